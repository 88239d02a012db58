"""Engines and sessions for the tracking database (SQLite, PostgreSQL, MySQL)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every tracking table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalise_uri(uri: str) -> str:
    """Pick the installed driver for bare PostgreSQL / MySQL URIs (MLflow users write them bare)."""
    url = make_url(uri)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "mysql":
        url = url.set(drivername="mysql+pymysql")
    return url.render_as_string(hide_password=False)


def is_sqlite(uri: str) -> bool:
    """True for a SQLite URI."""
    return make_url(uri).get_backend_name() == "sqlite"


# A database that is down must cost a request seconds, not the operating system's TCP timeout
# (minutes) nor gunicorn's worker timeout: the request then fails with 503 and can be retried.
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10


def make_engine(uri: str) -> Engine:
    """An engine tuned for a multi-threaded server on the given database.

    Server databases are pinged when a pooled connection is checked out, so that connections a
    restarted database dropped are replaced by themselves (issue 6: recover without a restart)."""
    uri = normalise_uri(uri)
    if is_sqlite(uri):
        engine = create_engine(uri, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_timeout=POOL_TIMEOUT_SECONDS)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(uri, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         pool_timeout=POOL_TIMEOUT_SECONDS, connect_args=_connect_timeout(uri))


def _connect_timeout(uri: str) -> dict[str, int]:
    """connect_timeout for the PostgreSQL and MySQL drivers, unless the URI sets its own."""
    url = make_url(uri)
    if url.get_backend_name() not in ("postgresql", "mysql") or "connect_timeout" in url.query:
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT_SECONDS}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers proceed while one writer commits; several gunicorn workers share the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # LIKE is case-sensitive on the other databases and in MLflow (ILIKE is the insensitive one).
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.close()


class Database:
    """One engine and its session factory."""

    def __init__(self, uri: str):
        self.uri = uri
        self.engine = make_engine(uri)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block succeeds and rolls back when it raises."""
        with self._sessions() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        """Close pooled connections (before forking workers, and at shutdown)."""
        self.engine.dispose()
