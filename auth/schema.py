"""The auth database's schema: migrated at start-up, once, under a lock, before workers start."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import inspect

from auth.models import AuthBase
from tracking.hostkit import Database, Migrations, register, upgrade

AUTH = Migrations(Path(__file__).resolve().parent / "migrations", "alembic_version_auth",
                  0x77736176, "wsauth server --app-name basic-auth (it upgrades the auth database)")
register(AUTH, set(AuthBase.metadata.tables))


def migrate(database: Database) -> tuple[str | None, str]:
    """Bring the auth database to the newest revision (it is wsauth's own: always safe)."""
    return upgrade(database.engine, AUTH)


def migrate_existing(database: Database) -> None:
    """For offline commands: refuse a database that has never held the auth tables (a wrong
    database_uri, or a relative SQLite path run from another directory, would otherwise be
    created empty and silently used); bring an older one up to date."""
    url = database.engine.url
    missing_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
        and not os.path.exists(url.database)
    if missing_file or not inspect(database.engine).has_table(AUTH.version_table):
        raise ValueError(f"no auth database at {database.engine.url.render_as_string()}: it holds no auth "
                         "tables. Check database_uri in basic_auth.ini (a relative SQLite path is relative "
                         "to the directory you run the command in; run it where the server runs).")
    migrate(database)
