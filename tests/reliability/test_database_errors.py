"""Every database failure is a 503 TEMPORARILY_UNAVAILABLE JSON body, in the host and in the auth
layer alike (never a 500, never an allow), and the pools recover by themselves (issue 6)."""

from __future__ import annotations

import socket
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.auth.conftest import admin_headers, basic_auth, make_auth_app, new_user, write_ini  # noqa: F401  (fixtures)
from tests.conftest import postgres_database
from tests.reliability.conftest import needs_postgres
from tracking.app import create_app
from tracking.server import prepare_databases
from tracking.settings import Settings
from tracking.store import db

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=5"
USERS = "/api/2.0/mlflow/users/list"


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json == {"error_code": "TEMPORARILY_UNAVAILABLE",
                             "message": "The database is unavailable; retry shortly."}


@contextmanager
def exhausted(engine):
    """Every connection of the engine's pool checked out (and returned afterwards)."""
    with ExitStack() as held:
        while True:
            try:
                held.enter_context(engine.connect())
            except PoolTimeout:
                break
        yield


@pytest.fixture
def short_pool_timeout(monkeypatch):
    """Engines made from now on give up waiting for a pooled connection after 0.2 s."""
    monkeypatch.setattr(db, "POOL_TIMEOUT_SECONDS", 0.2)


def test_an_exhausted_tracking_pool_is_503_until_a_connection_returns(short_pool_timeout, make_app):
    app = make_app()
    client = app.test_client()
    with exhausted(app.extensions["wsauth"].database.engine):
        assert_unavailable(client.get(SEARCH))
    assert client.get(SEARCH).status_code == 200


def test_an_exhausted_auth_pool_is_503_never_an_allow(short_pool_timeout, make_auth_app):
    app = make_auth_app()
    client = app.test_client()
    with exhausted(app.extensions["wsauth.auth"].store.database.engine):
        for path in (USERS, SEARCH):  # admin-only, and a tracking route
            assert_unavailable(client.get(path, headers=admin_headers()))
        assert client.get("/health").status_code == 200
    assert client.get(USERS, headers=admin_headers()).status_code == 200


@pytest.fixture
def locking_postgres():
    """(URI whose statements time out after 300 ms, a connection of the test's own) on a new
    PostgreSQL database."""
    with postgres_database() as uri:
        from sqlalchemy import create_engine

        engine = create_engine(db.normalise_uri(uri))
        with engine.connect() as connection:
            yield uri + "?options=-cstatement_timeout=300", connection
        engine.dispose()


@needs_postgres
def test_a_statement_timeout_is_503_in_tracking_and_auth(locking_postgres, tmp_path, monkeypatch):
    uri, locker = locking_postgres
    monkeypatch.setenv("MLFLOW_AUTH_CONFIG_PATH", str(_ini(tmp_path, uri)))
    settings = Settings(backend_store_uri=uri, workspaces_enabled=True, app_name="basic-auth",
                        artifacts_destination=str(tmp_path / "artifacts"))
    prepare_databases(settings)
    app = create_app(settings)
    try:
        client = app.test_client()
        assert client.get(SEARCH, headers=admin_headers()).status_code == 200
        locker.execute(text("LOCK TABLE experiments IN ACCESS EXCLUSIVE MODE"))
        assert_unavailable(client.get(SEARCH, headers=admin_headers()))
        locker.rollback()
        # A user who has not signed in yet (nothing cached): the auth layer must read the users
        # table, whose lock makes it time out; she has READ by default, so a 200 would be an allow.
        new_user(client, "carol")
        locker.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        assert_unavailable(client.get(SEARCH, headers=basic_auth("carol")))
        locker.rollback()
        assert client.get(SEARCH, headers=basic_auth("carol")).status_code == 200
        # A failure after the view (the audit of a workspace change, written after the host
        # committed it) is a 503 too, not a 500.
        locker.execute(text("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE"))
        assert_unavailable(client.post("/api/3.0/mlflow/workspaces", json={"name": "team-a"}, headers=admin_headers()))
        locker.rollback()
    finally:
        app.extensions["wsauth"].database.dispose()
        app.extensions["wsauth.auth"].store.database.dispose()


def _ini(folder, uri: str):
    path = folder / "basic_auth.ini"
    path.write_text(f"[mlflow]\ndefault_permission = READ\ndatabase_uri = {uri}\nadmin_username = admin\n"
                    "admin_password = admin-password-1234\n")
    return path


@needs_postgres
@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_connections_the_database_dropped_are_replaced_without_an_error(make_auth_app, database_uri):
    app = make_auth_app()
    client = app.test_client()
    assert client.get(SEARCH, headers=admin_headers()).status_code == 200
    from sqlalchemy import create_engine

    killer = create_engine(db.normalise_uri(database_uri))
    with killer.connect() as connection:
        dropped = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    killer.dispose()
    assert dropped >= 2  # the pooled connections of the tracking and the auth engines
    for _ in range(3):
        assert client.get(SEARCH, headers=admin_headers()).status_code == 200


@pytest.fixture
def silent_postgres_uri():
    """A URI of a 'database' that accepts TCP connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        # sslmode=disable: one connection attempt (the default tries with TLS, then again without).
        yield f"postgresql://nobody@127.0.0.1:{listener.getsockname()[1]}/nothing?sslmode=disable"


def test_a_database_that_never_answers_fails_within_the_connect_timeout(silent_postgres_uri, tmp_path, monkeypatch):
    """The workspace catalog lives apart and hangs: a request that needs it gets 503 after the
    connect timeout (2 s, the driver's minimum) instead of hanging its worker, and /ready says
    which database is down without waiting for it."""
    from tracking import readiness

    monkeypatch.setattr(db, "CONNECT_TIMEOUT_SECONDS", 2)
    monkeypatch.setattr(readiness, "PROBE_SECONDS", 0.5)
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    prepare_databases(Settings(backend_store_uri=tracking_uri, artifacts_destination=str(tmp_path)))
    app = create_app(Settings(backend_store_uri=tracking_uri, workspace_store_uri=silent_postgres_uri,
                              workspaces_enabled=True, artifacts_destination=str(tmp_path)))
    try:
        client = app.test_client()
        assert_unavailable(client.get(SEARCH, headers={"X-MLFLOW-WORKSPACE": "team-a"}))
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert ready.json["databases"] == {"tracking": "up", "workspaces": "down"}
        assert "workspaces" in ready.json["message"]
    finally:
        app.extensions["wsauth"].database.dispose()
