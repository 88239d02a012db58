"""Filling the scale measurement's databases (bench/scale.py): a fresh database per size, migrated
with wsauth's real migrations, then bulk-inserted rows (executemany on SQLite, COPY on PostgreSQL)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Connection, make_url

from auth.models import ExperimentGrantRow, UserRow, WorkspaceGrantRow
from auth.schema import migrate as migrate_auth
from scale_population import Population
from tracking.store import schema
from tracking.store.db import Database
from tracking.store.models import (
    ExperimentRow, ExperimentTagRow, LatestMetricRow, MetricRow, ParamRow, RunRow, RunTagRow, WorkspaceRow,
)


TABLES = {
    "workspaces": WorkspaceRow, "experiments": ExperimentRow, "experiment_tags": ExperimentTagRow,
    "runs": RunRow, "tags": RunTagRow, "params": ParamRow, "metrics": MetricRow,
    "latest_metrics": LatestMetricRow, "users": UserRow, "workspace_permissions": WorkspaceGrantRow,
    "experiment_permissions": ExperimentGrantRow,
}


def fresh_database(base: str | None, size: str, folder: Path) -> str:
    """An empty database for one size: a new SQLite file in `folder`, or a new PostgreSQL
    database next to the one `base` names (dropped first when it exists)."""
    if not base:
        path = folder / f"scale-{size}.db"
        for suffix in ("", "-wal", "-shm", ".migration-lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = make_url(base)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"--database must be a PostgreSQL URI, not {url.get_backend_name()}")
    name = f"wsauth_scale_{size}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def seed(uri: str, population: Population) -> dict[str, float]:
    """Migrate the empty database (tracking, then auth) and bulk-insert the population; returns
    how long each step took."""
    timings = {}
    started = time.perf_counter()
    database = Database(uri)
    try:
        schema.upgrade(database.engine)
        migrate_auth(database)
        timings["migrate_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        with database.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Outside the transaction, for this connection only: the rows are consistent by
                # construction, and a large page cache keeps the indexes in memory while they grow.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.exec_driver_sql("PRAGMA cache_size=-262144")
                connection.commit()
            with connection.begin():
                for name, model in TABLES.items():
                    insert_rows(connection, model.__table__, in_key_order(model, population.tables.get(name, [])))
                if connection.dialect.name == "postgresql":
                    _advance_sequences(connection)
        timings["insert_seconds"] = time.perf_counter() - started
        if database.engine.dialect.name == "postgresql":
            started = time.perf_counter()
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))  # what autovacuum would soon do after bulk loads
            timings["analyze_seconds"] = time.perf_counter() - started
    finally:
        database.dispose()
    return timings


def in_key_order(model, rows: list[dict]) -> list[dict]:
    """Rows sorted by primary key: appending to an index is much cheaper than inserting at random
    places (run ids are random)."""
    columns = [column.name for column in model.__table__.primary_key.columns]
    if not rows or not all(c in rows[0] for c in columns):
        return rows
    return sorted(rows, key=lambda row: tuple(row[c] for c in columns))


def insert_rows(connection: Connection, table, rows: list[dict]) -> None:
    """Bulk insert through the driver (COPY on PostgreSQL, executemany on SQLite): SQLAlchemy's
    per-row parameter handling would cost more than the database's own work."""
    if not rows:
        return
    columns = list(rows[0])
    values = ([row[c] for c in columns] for row in rows)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor().copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    elif connection.dialect.name == "sqlite":
        driver.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                           f"VALUES ({', '.join('?' for _ in columns)})", values)
    else:
        connection.execute(insert(table), rows)


def _advance_sequences(connection: Connection) -> None:
    # Explicit ids do not move PostgreSQL's sequences; the server's next insert must not collide.
    for table, column in (("experiments", "experiment_id"), ("users", "id"), ("experiment_permissions", "id"),
                          ("metrics", "id")):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"(SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}), false)"))


def database_bytes(uri: str) -> int:
    """The size of the database on disk."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        return sum(os.path.getsize(p) for p in (url.database, f"{url.database}-wal") if os.path.exists(p))
    engine = create_engine(url.set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        value = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return int(value)
