"""Readiness: can the server do real work right now? Every database it needs is asked `SELECT 1`.

`/health` only says that the process answers; `/ready` says which database, if any, is down
(issue 6). The host probes its tracking database and a separate workspace catalog; an app plugin
adds its own database through `tracking.hostapi.add_ready_database`.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracking.state import EXTENSION as HOST_EXTENSION
from tracking.store.db import Database

EXTENSION = "wsauth.readiness"
# Longer than a connect to a live database takes, shorter than a load balancer's probe timeout.
PROBE_SECONDS = 3.0
log = logging.getLogger(__name__)


def add_database(app: Flask, name: str, database: Database) -> None:
    """Make `/ready` probe one more database, reported under `name`."""
    app.extensions.setdefault(EXTENSION, {})[name] = database


def databases(app: Flask) -> dict[str, Database]:
    """Every database of the app by name: tracking, workspaces (when apart), then the plugins'."""
    state = app.extensions[HOST_EXTENSION]
    found = {"tracking": state.database}
    catalog = getattr(state.provider, "database", None)
    if isinstance(catalog, Database) and catalog is not state.database:
        found["workspaces"] = catalog
    return {**found, **app.extensions.get(EXTENSION, {})}


def probe_all(app: Flask) -> dict[str, str]:
    """{name: "up" | "down"}: the databases are probed at once; one that has not answered
    within PROBE_SECONDS is down (its probe thread is left to finish on its own)."""
    found = databases(app)
    answered: dict[str, bool] = {}
    threads = [threading.Thread(target=_probe, args=(name, database, answered), daemon=True,
                                name=f"ready-{name}") for name, database in found.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + PROBE_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: "up" if answered.get(name) else "down" for name in found}


def _probe(name: str, database: Database, answered: dict[str, bool]) -> None:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        answered[name] = True
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        log.warning("readiness: the %s database is down: %s", name, str(orig).split("\n")[0][:200])
        answered[name] = False
