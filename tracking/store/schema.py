"""Bringing a database to the current schema, once, under a lock.

The server calls :func:`prepare` in the master process before any worker starts: an empty database
is migrated automatically; one at an older revision is refused with the command that upgrades it.
The tracking database and (through tracking.hostapi) the auth database both use this module, each
with its own migrations folder and version table.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

# Alembic keeps global state: one migration at a time in this process.
_PROCESS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Migrations:
    """One schema: where its migrations live, its version table, and how to upgrade it by hand."""

    folder: Path
    version_table: str
    lock_key: int  # PostgreSQL advisory lock key, shared by every wsauth process
    upgrade_command: str


TRACKING = Migrations(Path(__file__).resolve().parent.parent / "migrations", "alembic_version",
                      0x77736175, "wsauth db upgrade")


class SchemaError(Exception):
    """The database is not at a schema this server can use; the message says how to fix it."""


def _config(connection: Connection | None, schema: Migrations) -> Config:
    config = Config()
    config.set_main_option("script_location", str(schema.folder))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = schema.version_table
    return config


def head_revision(schema: Migrations = TRACKING) -> str:
    """The newest revision this package ships."""
    return ScriptDirectory.from_config(_config(None, schema)).get_current_head()


def current_revision(connection: Connection, schema: Migrations = TRACKING) -> str | None:
    """The revision a database is at, or None when it has never been migrated."""
    return MigrationContext.configure(
        connection, opts={"version_table": schema.version_table}
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
def _migration_lock(connection: Connection, schema: Migrations):
    # Several processes may start on one empty database at once; only one may migrate it.
    dialect = connection.dialect.name
    if dialect == "sqlite":
        with _file_lock(connection.engine.url.database):
            yield
        return
    name = f"wsauth_migration_{schema.lock_key}"
    if dialect == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({schema.lock_key})")
    elif dialect == "mysql":
        connection.exec_driver_sql(f"SELECT GET_LOCK('{name}', 300)")
    try:
        yield
    finally:
        if dialect == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({schema.lock_key})")
        elif dialect == "mysql":
            connection.exec_driver_sql(f"SELECT RELEASE_LOCK('{name}')")


@contextmanager
def _locked(engine: Engine, schema: Migrations):
    with _PROCESS_LOCK, engine.connect() as connection, _migration_lock(connection, schema):
        yield connection


def _upgrade(connection: Connection, schema: Migrations) -> tuple[str | None, str]:
    before = current_revision(connection, schema)
    command.upgrade(_config(connection, schema), "head")
    connection.commit()
    after = current_revision(connection, schema)
    connection.commit()
    return before, after


def upgrade(engine: Engine, schema: Migrations = TRACKING) -> tuple[str | None, str]:
    """Apply every pending migration; returns (revision before, revision after)."""
    with _locked(engine, schema) as connection:
        return _upgrade(connection, schema)


def prepare(engine: Engine, schema: Migrations = TRACKING) -> None:
    """Migrate a database that does not have this schema yet (empty, or holding only other
    schemas' tables); refuse one that is behind."""
    with _locked(engine, schema) as connection:
        revision = current_revision(connection, schema)
        tables = set(inspect(connection).get_table_names())
        connection.commit()
        if revision is None and not _own_tables(tables, schema):
            _upgrade(connection, schema)
            return
    shown = engine.url.render_as_string()
    if revision is None:
        raise SchemaError(
            f"the database at {shown} has tables but no wsauth schema version "
            f"({', '.join(sorted(tables)[:5])}); point the server at an empty database or at one "
            "created by wsauth"
        )
    if revision != head_revision(schema):
        raise SchemaError(
            f"the database at {shown} is at schema revision {revision}, this server needs "
            f"{head_revision(schema)}; run: {schema.upgrade_command} '{shown}'"
        )


def _own_tables(tables: set[str], schema: Migrations) -> set[str]:
    # The tracking and auth schemas may share one database; each ignores the other's tables.
    others = {name for other in _SCHEMAS if other is not schema for name in other_tables(other)}
    return tables - others


_SCHEMAS: list[Migrations] = [TRACKING]
_TABLES: dict[Migrations, set[str]] = {}


def register(schema: Migrations, tables: set[str]) -> None:
    """Make a schema known, with its tables, so that it may share a database with the others."""
    if schema not in _SCHEMAS:
        _SCHEMAS.append(schema)
    _TABLES[schema] = tables | {schema.version_table}


def other_tables(schema: Migrations) -> set[str]:
    """The tables a registered schema owns."""
    return _TABLES.get(schema, {schema.version_table})


def prepare_existing(engine: Engine, schema: Migrations = TRACKING) -> None:
    """Refuse a database that is not at the current revision of the schema."""
    with engine.connect() as connection:
        revision = current_revision(connection, schema)
    if revision != head_revision(schema):
        raise SchemaError(
            f"the database at {engine.url.render_as_string()} is at schema revision "
            f"{revision or '(none)'}, expected {head_revision(schema)}; run: {schema.upgrade_command} URI"
        )


def _tracking_tables() -> set[str]:
    from tracking.store import models  # noqa: F401  (registers the tables)
    from tracking.store.db import Base

    return set(Base.metadata.tables)


register(TRACKING, _tracking_tables())
