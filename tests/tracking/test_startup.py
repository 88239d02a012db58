"""Start-up checks (seeds, "Startup Validation"): each refusal is one line and exit status 1."""

import sqlite3
import subprocess

import pytest

from tests.conftest import WSAUTH
from tracking.settings import Settings
from tracking.startup import StartupError, check_settings


def _start(tmp_path, *args, env=None):
    """Run `wsauth server` expecting it to refuse; return its stderr."""
    import os

    result = subprocess.run([WSAUTH, "server", "--port", "1", *args], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path, env={**os.environ, **(env or {})})
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wsauth: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("uri", ["./mlruns", "file:///tmp/mlruns", "mlruns"])
def test_file_store_is_refused_with_workspaces(tmp_path, uri):
    line = _start(tmp_path, "--backend-store-uri", uri, "--enable-workspaces")
    assert "Workspaces need a SQL backend store" in line and "remove --enable-workspaces" in line


@pytest.mark.parametrize("root, fragment", [
    ("/data/artifacts/workspaces", "ends with the reserved 'workspaces' segment"),
    ("s3://bucket/workspaces/", "ends with the reserved 'workspaces' segment"),
    ("s3://bucket/workspaces/team-a", "already sits under the reserved 'workspaces/<name>' prefix"),
    ("", "is empty"),
])
def test_reserved_artifact_roots_are_refused(root, fragment):
    with pytest.raises(StartupError, match=fragment):
        check_settings(Settings(default_artifact_root=root, workspaces_enabled=True), environ={})


def test_reserved_root_is_fine_without_workspaces():
    check_settings(Settings(default_artifact_root="/data/workspaces"), environ={})


def test_client_only_variable_is_refused(tmp_path):
    line = _start(tmp_path, "--backend-store-uri", f"sqlite:///{tmp_path}/m.db", env={"MLFLOW_WORKSPACE": "team-a"})
    assert "MLFLOW_WORKSPACE=team-a" in line and "client-only" in line
    assert not (tmp_path / "m.db").exists(), "refused before touching the database"


def test_remote_artifact_destination_is_refused(tmp_path):
    line = _start(tmp_path, "--backend-store-uri", f"sqlite:///{tmp_path}/m.db", "--artifacts-destination", "s3://b/p")
    assert "--artifacts-destination s3://b/p is not a local folder" in line


def test_disabling_workspaces_with_resources_outside_default_points_at_the_migrate_command(client, database_uri, tmp_path):
    client.post("/api/3.0/mlflow/workspaces", json={"name": "team-a"})
    headers = {"X-MLFLOW-WORKSPACE": "team-a"}
    assert client.post("/api/2.0/mlflow/experiments/create", json={"name": "e"}, headers=headers).status_code == 200
    assert client.post("/api/2.0/mlflow/registered-models/create", json={"name": "m"}, headers=headers).status_code == 200
    line = _start(tmp_path, "--backend-store-uri", database_uri)
    assert "1 experiments, 1 registered_models live outside the 'default' workspace" in line
    assert "wsauth db migrate-to-default-workspace" in line


def test_preflight_lists_artifact_locations_of_another_workspace(tmp_path):
    uri = f"sqlite:///{tmp_path}/m.db"
    root = str(tmp_path / "art")
    subprocess.run([WSAUTH, "db", "upgrade", uri], check=True, capture_output=True)
    with sqlite3.connect(tmp_path / "m.db") as db:
        db.execute("INSERT INTO workspaces (name) VALUES ('team-a')")
        db.execute(
            "INSERT INTO experiments (workspace, name, lifecycle_stage, artifact_location) "
            "VALUES ('default', 'squatter', 'active', ?)", (f"{root}/workspaces/team-a/7",))
    line = _start(tmp_path, "--backend-store-uri", uri, "--enable-workspaces", "--default-artifact-root", root)
    assert "1 experiment artifact location(s) sit under another workspace's reserved" in line
    assert f"experiment 1 of 'default' at {root}/workspaces/team-a/7" in line


def test_a_taken_port_is_one_line(tmp_path):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        line = _start(tmp_path, "--backend-store-uri", f"sqlite:///{tmp_path}/m.db", "--port", str(port))
    assert f"cannot listen on 127.0.0.1:{port}" in line


def test_a_missing_database_driver_is_one_line(tmp_path):
    line = _start(tmp_path, "--backend-store-uri", "mssql://user:pw@127.0.0.1/db")
    assert "a database driver is missing" in line


def test_a_workspace_store_without_provider_is_one_line(tmp_path):
    line = _start(tmp_path, "--backend-store-uri", f"sqlite:///{tmp_path}/m.db", "--workspace-store-uri", "oracle://h/db")
    assert "no workspace provider for 'oracle' URIs" in line


@pytest.mark.parametrize("command", [["gc", "--backend-store-uri"], ["db", "migrate-to-default-workspace"]])
def test_maintenance_commands_do_not_create_a_missing_sqlite_database(tmp_path, command):
    result = subprocess.run([WSAUTH, *command, f"sqlite:///{tmp_path}/missing.db"], capture_output=True, text=True)
    assert result.returncode == 1 and "there is no SQLite database at" in result.stderr
    assert not (tmp_path / "missing.db").exists()
