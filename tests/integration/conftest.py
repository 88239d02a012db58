"""Fixtures for the integration tests: shared `wsauth server` processes and a clean mlflow client.

Starting a server costs about a second, so the servers most tests talk to live for the whole
session, one per database kind. Tests that share a server use unique workspace and experiment
names (the `unique` fixture), so they never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from contextlib import ExitStack

import pytest
import requests

from tests.conftest import DATABASE_KINDS, ServerProcess, database_of_kind

WORKSPACES = "/api/3.0/mlflow/workspaces"
PLAIN_ARTIFACT_ROOT = "s3://wsauth-plain-bucket/mlflow"
FORGOTTEN_TRACKING_URI = "http://127.0.0.1:9"  # nothing listens on the discard port


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def unique():
    """unique(prefix) -> a name nobody else in the session uses, valid for a workspace."""
    return _unique


def _launch(request, tmp_path_factory, *args: str) -> ServerProcess:
    """Start a server on a new database of the fixture's kind; stop it at the end of the session."""
    folder = tmp_path_factory.mktemp(f"server-{request.param}")
    stack = ExitStack()
    uri = stack.enter_context(database_of_kind(request.param, folder))
    server = ServerProcess(["--backend-store-uri", uri, "--workers", "1", *args], folder)
    stack.callback(server.stop)  # runs before the database is dropped
    request.addfinalizer(stack.close)
    return server


@pytest.fixture(scope="session", params=DATABASE_KINDS)
def ws_server(request, tmp_path_factory) -> ServerProcess:
    """A server with --enable-workspaces and a local --default-artifact-root (`.artifact_root`)."""
    folder = tmp_path_factory.mktemp("ws-artifacts")
    server = _launch(request, tmp_path_factory, "--enable-workspaces",
                     "--default-artifact-root", str(folder))
    server.artifact_root = str(folder)
    return server


@pytest.fixture(scope="session", params=DATABASE_KINDS)
def plain_server(request, tmp_path_factory) -> ServerProcess:
    """A server without workspaces whose --default-artifact-root is a URI string."""
    server = _launch(request, tmp_path_factory, "--default-artifact-root", PLAIN_ARTIFACT_ROOT)
    server.artifact_root = PLAIN_ARTIFACT_ROOT
    return server


@pytest.fixture
def mlflow(mlflow_client_env, monkeypatch):
    """The mlflow module with no tracking URI, workspace or active experiment left over."""
    import mlflow.tracking.fluent as fluent
    from mlflow.utils import request_utils

    sessions = []
    cached = request_utils._cached_get_request_session

    def tracked_session(*args, **kwargs):
        session = cached(*args, **kwargs)
        sessions.append(session)
        return session

    # Idle keep-alive connections make a server's graceful stop wait; close them at the end.
    monkeypatch.setattr(request_utils, "_cached_get_request_session", tracked_session)
    for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    # A test that forgets set_tracking_uri() must fail, not write ./mlflow.db (the client's default).
    monkeypatch.setenv("MLFLOW_TRACKING_URI", FORGOTTEN_TRACKING_URI)
    fluent._active_experiment_id = None
    yield mlflow_client_env
    # set_experiment() keeps the id in a module global and in os.environ (for subprocesses).
    fluent._active_experiment_id = None
    for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        os.environ.pop(name, None)
    for session in sessions:
        session.close()


@pytest.fixture
def new_workspace():
    """new_workspace(server, **fields) -> the name of a workspace created over REST (setup)."""

    def create(server: ServerProcess, **fields) -> str:
        name = _unique("ws")
        response = requests.post(f"{server.url}{WORKSPACES}", json={"name": name, **fields},
                                 timeout=10)
        assert response.status_code == 201, response.text
        return name

    return create
