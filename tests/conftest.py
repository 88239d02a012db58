"""Shared fixtures: databases (SQLite, and PostgreSQL when configured), apps built from the
factory, and real `wsauth server` processes on 127.0.0.1.

Set WSAUTH_TEST_POSTGRES_URI (a superuser URI, e.g. postgresql://wsauth:wsauth@127.0.0.1:54329/postgres)
to run every database test on PostgreSQL too; `.ci/run` does. WSAUTH_TEST_MYSQL_URI (a user who
may create databases, e.g. mysql://wsauth:wsauth@127.0.0.1:3306/) adds MySQL / MariaDB.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracking.app import create_app
from tracking.server import prepare_databases
from tracking.settings import Settings

POSTGRES_URI = os.environ.get("WSAUTH_TEST_POSTGRES_URI")
MYSQL_URI = os.environ.get("WSAUTH_TEST_MYSQL_URI")
DATABASE_KINDS = ["sqlite"] + ["postgresql"] * bool(POSTGRES_URI) + ["mysql"] * bool(MYSQL_URI)
WSAUTH = str(Path(sys.executable).with_name("wsauth"))


@contextmanager
def postgres_database():
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"wsauth_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URI.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URI).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def mysql_database():
    """A new, empty MySQL / MariaDB database, dropped afterwards."""
    name = f"wsauth_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(MYSQL_URI.replace("mysql://", "mysql+pymysql://", 1))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    try:
        yield make_url(MYSQL_URI).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@contextmanager
def database_of_kind(kind: str, folder: Path):
    """A new, empty database of that kind (a SQLite file in folder, or a server database)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'mlflow.db'}"
        return
    with (postgres_database() if kind == "postgresql" else mysql_database()) as uri:
        yield uri


@pytest.fixture(params=DATABASE_KINDS)
def database_uri(request, tmp_path):
    """An empty tracking database of each configured kind."""
    with database_of_kind(request.param, tmp_path) as uri:
        yield uri


@pytest.fixture
def make_app(database_uri, tmp_path):
    """Build a migrated host app: make_app(workspaces_enabled=True, **settings)."""
    built = []

    def build(**overrides):
        options = {"backend_store_uri": database_uri, "workspaces_enabled": True,
                   "artifacts_destination": str(tmp_path / "mlartifacts")}
        settings = Settings(**{**options, **overrides})
        prepare_databases(settings)
        app = create_app(settings)
        app.config["TESTING"] = True
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["wsauth"].database.dispose()
        if "wsauth.auth" in app.extensions:  # the auth layer's own engine
            app.extensions["wsauth.auth"].store.database.dispose()


@pytest.fixture
def app(make_app):
    """A host app with workspaces enabled."""
    return make_app()


@pytest.fixture
def client(app):
    """A Flask test client of `app`."""
    return app.test_client()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(server, timeout: float) -> None:
    """Wait for a started server (its .process, .url, .log, .stop()) to answer /health; a
    generous deadline for a wait, not a bound on speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited: {server.log.read_text()[-5000:]}")
        try:
            if requests.get(f"{server.url}/health", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # workers still booting
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not start: {server.log.read_text()[-5000:]}")


class ServerProcess:
    """A real `wsauth server` on 127.0.0.1, stopped by stop()."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"server-{self.port}.log"
        command = [WSAUTH, "server", "--host", "127.0.0.1", "--port", str(self.port), *args]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **(env or {})})
        self._wait()

    def _wait(self, timeout: float = 30) -> None:
        wait_until_healthy(self, timeout)

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_server(database_uri, tmp_path):
    """start_server(*extra_args) -> ServerProcess on the test database, stopped afterwards."""
    servers = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        base = ["--backend-store-uri", database_uri, "--workers", "1"]
        server = ServerProcess([*base, *args], tmp_path, env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def mlflow_client_env(monkeypatch):
    """Reset the mlflow client's global state (tracking URI, workspace) around a test."""
    import mlflow
    from mlflow.utils.workspace_context import set_workspace

    monkeypatch.delenv("MLFLOW_WORKSPACE", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    yield mlflow
    if mlflow.active_run():
        mlflow.end_run()
    set_workspace(None)
    mlflow.set_tracking_uri(None)
