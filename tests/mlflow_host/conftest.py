"""A real `mlflow server --app-name wsauth` (the full mlflow package, its uvicorn or gunicorn,
on 127.0.0.1) with a basic_auth.ini, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from tests.conftest import DATABASE_KINDS, database_of_kind, free_port, wait_until_healthy

MLFLOW = str(Path(sys.executable).with_name("mlflow"))
ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1234"
PASSWORD = "a-users-password-1234"


def ini(folder: Path, auth_uri: str) -> Path:
    path = folder / "basic_auth.ini"
    path.write_text("[mlflow]\n"
                    "default_permission = READ\n"
                    f"database_uri = {auth_uri}\n"
                    f"admin_username = {ADMIN}\n"
                    f"admin_password = {ADMIN_PASSWORD}\n"
                    "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                    "grant_default_workspace_access = false\n")
    return path


def psycopg(uri: str) -> str:
    """MLflow's store on psycopg2, the driver MLflow is made for: with psycopg 3, which sends
    typed parameters, MLflow 3.11.1's alias queries fail (integer = character varying)."""
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


class MlflowServer:
    """`mlflow server --app-name wsauth ...` in a folder of its own, stopped by stop()."""

    def __init__(self, folder: Path, backend_uri: str, auth_uri: str, *args: str, config: Path | None = None,
                 artifacts: list[str] | None = None, env: dict[str, str] | None = None):
        """`config`: a basic_auth.ini of the test's (else one for ADMIN and `auth_uri`);
        `artifacts`: the server's artifact options (else a folder the clients write, or, with
        "proxied" among `args`, MLflow's artifact proxy to --artifacts-destination)."""
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"mlflow-{self.port}.log"
        env = {**os.environ, "MLFLOW_AUTH_CONFIG_PATH": str(config or ini(folder, auth_uri)), **(env or {})}
        env.pop("MLFLOW_TRACKING_URI", None)
        if artifacts is None:
            artifacts = (["--artifacts-destination", str(folder / "proxied")] if "proxied" in args
                         else ["--default-artifact-root", str(folder / "mlartifacts")])
        command = [MLFLOW, "server", "--app-name", "wsauth", "--host", "127.0.0.1", "--port", str(self.port),
                   "--backend-store-uri", backend_uri, *artifacts, *(arg for arg in args if arg != "proxied")]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True)
        wait_until_healthy(self, 180)  # MLflow imports a lot and migrates its database first

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()

    def api(self, method: str, path: str, user: str | None = ADMIN, password: str | None = None,
            workspace: str | None = None, **kwargs) -> requests.Response:
        """One REST call, as `user` (None: no credentials)."""
        auth = None if user is None else (user, password or (ADMIN_PASSWORD if user == ADMIN else PASSWORD))
        headers = {**({"X-MLflow-Workspace": workspace} if workspace else {}), **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, auth=auth, headers=headers, timeout=30, **kwargs)


def start(folder: Path, kind: str, *args: str) -> tuple[MlflowServer, ExitStack]:
    stack = ExitStack()
    backend = stack.enter_context(database_of_kind(kind, folder))
    auth = f"sqlite:///{folder / 'basic_auth.db'}"
    if kind == "postgresql":
        backend = psycopg(backend)
        auth = stack.enter_context(database_of_kind(kind, folder))
    server = MlflowServer(folder, backend, auth, *args)
    stack.callback(server.stop)
    return server, stack


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def mlflow_server(request, tmp_path_factory):
    """One server with workspaces on (uvicorn, one worker) for the tests of a module."""
    server, stack = start(tmp_path_factory.mktemp("mlflow"), request.param, "--enable-workspaces", "--workers", "1")
    with stack:
        yield server
