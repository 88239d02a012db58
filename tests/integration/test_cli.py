"""The `wsauth` command as an operator uses it (issue 2, item 2): MLflow's server flags, one-line
errors, the workspace switches and catalog location, and the database migrations."""

from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest
import requests
from sqlalchemy import create_engine, inspect, text

from tests.conftest import WSAUTH, ServerProcess, free_port

pytestmark = pytest.mark.integration

MLFLOW_FLAGS = [
    "--backend-store-uri", "--default-artifact-root", "--serve-artifacts", "--no-serve-artifacts",
    "--artifacts-destination", "--enable-workspaces", "--disable-workspaces",
    "--workspace-store-uri", "--app-name", "--host", "--port", "--workers",
]


def clean_env() -> dict[str, str]:
    """This process's environment without MLFLOW_* variables (a test client may have set some)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


def wsauth(*args: str, cwd) -> subprocess.CompletedProcess:
    """Run the `wsauth` executable to completion."""
    return subprocess.run([WSAUTH, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=clean_env())


def server_info(server: ServerProcess) -> dict:
    response = requests.get(f"{server.url}/api/3.0/mlflow/server-info", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def create_workspace(server: ServerProcess, name: str) -> None:
    response = requests.post(f"{server.url}/api/3.0/mlflow/workspaces", json={"name": name},
                             timeout=10)
    assert response.status_code == 201, response.text


def engine_for(uri: str):
    """An engine on a test database, with the installed driver for bare server URIs."""
    for bare, driver in (("postgresql://", "postgresql+psycopg://"), ("mysql://", "mysql+pymysql://")):
        if uri.startswith(bare):
            uri = driver + uri[len(bare):]
    return create_engine(uri)


def workspace_names(uri: str) -> set[str]:
    """The names in a database's `workspaces` table, read directly (not through the server)."""
    engine = engine_for(uri)
    try:
        if not inspect(engine).has_table("workspaces"):
            return set()
        with engine.connect() as connection:
            return set(connection.scalars(text("SELECT name FROM workspaces")))
    finally:
        engine.dispose()


# --- flags and errors --------------------------------------------------------------------------


def test_server_help_lists_mlflow_flags(tmp_path):
    result = wsauth("server", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for flag in MLFLOW_FLAGS:
        assert flag in result.stdout, f"{flag} missing from `wsauth server --help`"
    assert "sqlite:///mlflow.db" in result.stdout  # the default backend store
    assert "5000" in result.stdout  # the default port


BAD_INVOCATIONS = {
    # id: (arguments, a word the error line must contain)
    "unknown-option": (["server", "--bogus"], "--bogus"),
    "port-abc": (["server", "--port", "abc"], "--port"),
    "workers-0": (["server", "--workers", "0"], "--workers"),
    "unknown-app": (["server", "--app-name", "no-such-app"], "known:"),
    "unreachable-db": (["server", "--backend-store-uri", "postgresql://nobody:x@127.0.0.1:1/db"],
                       "127.0.0.1"),
    "sqlite-missing-folder": (["server", "--backend-store-uri", "sqlite:///{tmp}/missing/mlflow.db"],
                              "missing"),
    # Seeds, Step 1: the root must not conflict with the reserved workspace paths.
    "reserved-artifact-root": (["server", "--enable-workspaces", "--backend-store-uri",
                                "sqlite:///{tmp}/reserved.db", "--default-artifact-root",
                                "{tmp}/artifacts/workspaces"], "workspaces"),
    "upgrade-unreachable-db": (["db", "upgrade", "postgresql://nobody:x@127.0.0.1:1/db"],
                               "127.0.0.1"),
}


@pytest.fixture(scope="module")
def bad_invocation_results(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every bad invocation, run concurrently once (each costs an interpreter start)."""
    folder = tmp_path_factory.mktemp("bad-invocations")
    running = {}
    for case, (args, _) in BAD_INVOCATIONS.items():
        args = [arg.replace("{tmp}", str(folder)) for arg in args]
        if args[0] == "server" and "--port" not in args:
            args += ["--port", str(free_port())]  # should one start, it must not take 5000
        running[case] = subprocess.Popen([WSAUTH, *args], cwd=folder, env=clean_env(), text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = {}
    for case, process in running.items():
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        results[case] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return results


@pytest.mark.parametrize("case", BAD_INVOCATIONS)
def test_bad_invocations_end_with_one_line(bad_invocation_results, case):
    result = bad_invocation_results[case]
    _, expected_word = BAD_INVOCATIONS[case]

    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wsauth: error:"), lines[0]
    assert expected_word in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert "x@" not in lines[0]  # the password of the unreachable URI is not echoed


# --- workspace switches --------------------------------------------------------------------------


def test_mlflow_enable_workspaces_env_enables_workspaces(start_server):
    # Off by default: see test_client_workspaces.py's plain_server tests.
    server = start_server(env={"MLFLOW_ENABLE_WORKSPACES": "true"})
    assert server_info(server)["workspaces_enabled"] is True
    create_workspace(server, "team-env")
    assert requests.get(f"{server.url}/api/3.0/mlflow/workspaces/team-env", timeout=10).status_code == 200
    # Without --default-artifact-root a server that serves artifacts roots them at
    # mlflow-artifacts:/ (MLflow's default), under the workspace prefix.
    made = requests.post(f"{server.url}/api/2.0/mlflow/experiments/create", json={"name": "e"},
                         headers={"X-MLFLOW-WORKSPACE": "team-env"}, timeout=10)
    assert made.status_code == 200, made.text
    got = requests.get(f"{server.url}/api/2.0/mlflow/experiments/get",
                       params={"experiment_id": made.json()["experiment_id"]},
                       headers={"X-MLFLOW-WORKSPACE": "team-env"}, timeout=10)
    assert got.json()["experiment"]["artifact_location"] == (
        f"mlflow-artifacts:/workspaces/team-env/{made.json()['experiment_id']}")


@pytest.mark.parametrize("how", ["flag", "env"])
def test_workspace_store_uri_puts_the_catalog_elsewhere(start_server, database_uri, tmp_path, how):
    catalog = f"sqlite:///{tmp_path / 'catalog.db'}"
    if how == "flag":
        server = start_server("--enable-workspaces", "--workspace-store-uri", catalog)
    else:
        server = start_server("--enable-workspaces", env={"MLFLOW_WORKSPACE_STORE_URI": catalog})

    create_workspace(server, "team-cat")
    experiment = requests.post(f"{server.url}/api/2.0/mlflow/experiments/create",
                               json={"name": "in-team-cat"},
                               headers={"X-MLFLOW-WORKSPACE": "team-cat"}, timeout=10)
    assert experiment.status_code == 200, experiment.text

    assert workspace_names(catalog) == {"default", "team-cat"}
    assert "team-cat" not in workspace_names(database_uri)
    # The experiment itself lives in the tracking database, labelled with its workspace.
    engine = engine_for(database_uri)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT workspace FROM experiments WHERE name = 'in-team-cat'")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("team-cat",)]


# --- migrations ----------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_once(tmp_path):
    path = tmp_path / "upgraded.db"
    uri = f"sqlite:///{path}"

    first = wsauth("db", "upgrade", uri, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Upgraded the tracking database")
    revision = first.stdout.strip().split()[-1].rstrip(".")

    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM workspaces").fetchall() == [("default",)]
        assert db.execute("SELECT experiment_id, name, workspace, lifecycle_stage FROM experiments"
                          ).fetchall() == [(0, "Default", "default", "active")]
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]

    second = wsauth("db", "upgrade", uri, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "already at revision" in second.stdout and revision in second.stdout
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM experiments").fetchone() == (1,)


def test_new_sqlite_database_is_migrated_at_first_start(tmp_path):
    path = tmp_path / "fresh" / "mlflow.db"
    path.parent.mkdir()
    args = ["--backend-store-uri", f"sqlite:///{path}", "--workers", "2", "--enable-workspaces",
            "--default-artifact-root", str(tmp_path / "artifacts")]
    server = ServerProcess(args, tmp_path)
    try:
        default = requests.get(f"{server.url}/api/2.0/mlflow/experiments/get",
                               params={"experiment_id": "0"}, timeout=10)
        assert default.status_code == 200, default.text
        assert default.json()["experiment"]["name"] == "Default"
        assert default.json()["experiment"]["artifact_location"] == (
            f"{tmp_path / 'artifacts'}/workspaces/default/0")
        for _ in range(6):  # both workers answer without a migration race
            assert requests.get(f"{server.url}/api/3.0/mlflow/workspaces", timeout=10).status_code == 200
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log and "already exists" not in log, log
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
        assert db.execute("SELECT name FROM workspaces").fetchall() == [("default",)]


def test_db_upgrade_defaults_to_the_servers_database(tmp_path):
    """`wsauth db upgrade` with no URI upgrades what `wsauth server` opens by default."""
    result = wsauth("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mlflow.db").exists()
    again = wsauth("db", "upgrade", "sqlite:///mlflow.db", cwd=tmp_path)
    assert again.stdout.startswith("The tracking database is already at revision"), again.stdout


def test_the_documented_revision_is_the_current_one(tmp_path):
    from pathlib import Path

    result = wsauth("db", "upgrade", f"sqlite:///{tmp_path / 'fresh.db'}", cwd=tmp_path)
    revision = result.stdout.strip().split()[-1].rstrip(".")
    docs = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    assert f"already at revision {revision}." in docs.read_text()
