"""Starting the server: databases first, once, in the master process; then gunicorn workers."""

from __future__ import annotations

import logging
import os
import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from tracking import artifacts, workspaces
from tracking.app import app_plugin_names, create_app, load_app_plugin
from tracking.settings import Settings
from tracking.store import schema
from tracking.store.db import Database
from tracking.startup import StartupError, check_databases, check_settings
from tracking.store.experiments import ExperimentStore


def default_workers() -> int:
    """Two workers on a laptop, more on a bigger machine (at most four)."""
    return max(1, min(4, os.cpu_count() or 1))


def short_reason(exc: BaseException) -> str:
    """The first line of a database driver's error, without SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]


def checked_uri(uri: str, must_exist: bool = False) -> str:
    """A database URI SQLAlchemy can parse, whose SQLite folder (or, with must_exist, file) exists."""
    try:
        url = make_url(uri)
    except ArgumentError:
        raise StartupError(
            f"'{uri}' is not a database URI; use e.g. sqlite:///mlflow.db or "
            "postgresql://user:password@host/dbname"
        ) from None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = os.path.dirname(os.path.abspath(url.database))
        if not os.path.isdir(folder):
            raise StartupError(f"the folder of the SQLite database does not exist: {folder}")
        if must_exist and not os.path.isfile(url.database):
            raise StartupError(f"there is no SQLite database at {os.path.abspath(url.database)}")
    return uri


def check_app_name(name: str | None) -> None:
    """Refuse an --app-name no installed plugin has."""
    if name and name not in app_plugin_names():
        raise StartupError(
            f"unknown --app-name '{name}'; known: {', '.join(app_plugin_names()) or 'none installed'}"
        )


def prepare_databases(settings: Settings) -> None:
    """Check the settings, migrate empty databases, refuse outdated ones, run the start-up
    checks and give experiment 0 its location."""
    check_settings(settings)
    _check_provider(settings)
    for uri in dict.fromkeys([settings.backend_store_uri, settings.catalog_uri]):
        database = Database(checked_uri(uri))
        try:
            schema.prepare(database.engine)
        except schema.SchemaError as exc:
            raise StartupError(str(exc)) from None
        except SQLAlchemyError as exc:
            shown = make_url(uri).render_as_string(hide_password=True)
            raise StartupError(f"cannot use the database at {shown}: {short_reason(exc)}") from None
        finally:
            database.dispose()
    tracking, catalog = Database(settings.backend_store_uri), Database(settings.catalog_uri)
    try:
        check_databases(settings, tracking, catalog)
    finally:
        tracking.dispose()
        catalog.dispose()
    _locate_default_experiment(settings)
    _prepare_plugin(settings.app_name)


def _prepare_plugin(name: str | None) -> None:
    """Let the app plugin do its one-time work (its own database, its admin) before workers start."""
    if not name:
        return
    prepare = load_app_plugin(name).prepare
    if prepare is None:
        return
    try:
        prepare()
    except SQLAlchemyError as exc:
        raise StartupError(f"app plugin '{name}': database error: {short_reason(exc)}") from None
    except Exception as exc:  # a plugin's own configuration error: shown as one line
        raise StartupError(f"app plugin '{name}': {exc}") from None


def _check_provider(settings: Settings) -> None:
    """A workspace provider must exist for the workspace store's URI scheme."""
    scheme = make_url(checked_uri(settings.catalog_uri)).get_backend_name()
    if scheme not in workspaces.provider_names():
        raise StartupError(
            f"no workspace provider for '{scheme}' URIs (--workspace-store-uri); installed: "
            f"{', '.join(workspaces.provider_names())}"
        )


def _locate_default_experiment(settings: Settings) -> None:
    database = Database(settings.backend_store_uri)
    try:
        location = artifacts.experiment_location(
            settings.artifact_root, "default", None, "0", settings.workspaces_enabled
        )
        ExperimentStore(database).fill_missing_location(0, location)
    finally:
        database.dispose()


def check_port(host: str, port: int) -> None:
    """Refuse to start when the address is taken, in one line (before gunicorn logs its retries)."""
    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve with gunicorn; each worker builds its own app (no connection crosses a fork)."""
    from gunicorn.app.base import BaseApplication

    from tracking import gunicorn_errors

    check_port(host, port)
    gunicorn_errors.install()

    class Gunicorn(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread",
                "threads": 8, "timeout": 120, "graceful_timeout": 10, "keepalive": 5,
                "errorlog": "-", "loglevel": "info",
                "limit_request_line": 8190,  # gunicorn's largest finite limit (default 4094)
            }
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 24
                options["control_socket_disable"] = True
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
            return create_app(settings)

    Gunicorn().run()
