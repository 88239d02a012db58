"""Bringing a tracking database to the current schema, once, under a lock.

The server calls :func:`prepare` in the master process before any worker starts: an empty database
is migrated automatically; one at an older revision is refused with the command that upgrades it.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "alembic_version"
# An arbitrary constant shared by every wsauth process: the PostgreSQL advisory lock's key.
_PG_LOCK_KEY = 0x77736175
# Alembic keeps global state: one migration at a time in this process.
_PROCESS_LOCK = threading.Lock()


class SchemaError(Exception):
    """The database is not at a schema this server can use; the message says how to fix it."""


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this package ships."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision a database is at, or None when it has never been migrated."""
    return MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()


@contextmanager
def _file_lock(database: str | None):
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migration-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _migration_lock(connection: Connection):
    # Several processes may start on one empty database at once; only one may migrate it.
    dialect = connection.dialect.name
    if dialect == "sqlite":
        with _file_lock(connection.engine.url.database):
            yield
        return
    if dialect == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_LOCK_KEY})")
    elif dialect == "mysql":
        connection.exec_driver_sql("SELECT GET_LOCK('wsauth_tracking_migration', 300)")
    try:
        yield
    finally:
        if dialect == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_LOCK_KEY})")
        elif dialect == "mysql":
            connection.exec_driver_sql("SELECT RELEASE_LOCK('wsauth_tracking_migration')")


@contextmanager
def _locked(engine: Engine):
    with _PROCESS_LOCK, engine.connect() as connection, _migration_lock(connection):
        yield connection


def _upgrade(connection: Connection) -> tuple[str | None, str]:
    before = current_revision(connection)
    command.upgrade(_config(connection), "head")
    connection.commit()
    after = current_revision(connection)
    connection.commit()
    return before, after


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration; returns (revision before, revision after)."""
    with _locked(engine) as connection:
        return _upgrade(connection)


def prepare(engine: Engine) -> None:
    """Migrate an empty database; refuse one that is behind or has foreign tables."""
    with _locked(engine) as connection:
        revision = current_revision(connection)
        tables = set(inspect(connection).get_table_names())
        connection.commit()
        if revision is None and not tables:
            _upgrade(connection)
            return
    if revision is None:
        raise SchemaError(
            f"the database at {engine.url.render_as_string()} has tables but no wsauth schema "
            f"version ({', '.join(sorted(tables)[:5])}); point --backend-store-uri at an empty "
            "database or at one created by wsauth"
        )
    if revision != head_revision():
        raise SchemaError(
            f"the tracking database is at schema revision {revision}, this server needs "
            f"{head_revision()}; run: wsauth db upgrade '{engine.url.render_as_string()}'"
        )


def prepare_existing(engine: Engine) -> None:
    """Refuse a database that is not a wsauth tracking database at the current revision."""
    with engine.connect() as connection:
        revision = current_revision(connection)
    if revision != head_revision():
        raise SchemaError(
            f"the database at {engine.url.render_as_string()} is at schema revision "
            f"{revision or '(none)'}, expected {head_revision()}; run: wsauth db upgrade URI"
        )
