"""`wsauth db migrate-to-default-workspace`: counts, conflicts, confirmation, one transaction."""

import subprocess

import pytest
from sqlalchemy import text

from tests.conftest import WSAUTH
from tracking.store.db import Database
from tracking.store.workspace_merge import MergeConflict, merge_into_default


def _migrate(uri, *args, input=None):
    return subprocess.run([WSAUTH, "db", "migrate-to-default-workspace", uri, *args],
                          capture_output=True, text=True, timeout=60, input=input)


def _create(client, workspace, path, body):
    response = client.post(f"/api/2.0/mlflow/{path}", json=body, headers={"X-MLFLOW-WORKSPACE": workspace})
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def two_workspaces(client):
    """team-a and team-b, each with an experiment (one run) and a model (one version)."""
    for team in ("team-a", "team-b"):
        client.post("/api/3.0/mlflow/workspaces", json={"name": team})
        experiment_id = _create(client, team, "experiments/create", {"name": f"exp-{team}"})["experiment_id"]
        _create(client, team, "runs/create", {"experiment_id": experiment_id})
        _create(client, team, "registered-models/create", {"name": f"model-{team}"})
        _create(client, team, "model-versions/create", {"name": f"model-{team}", "source": "s3://b/m"})
    return client


def _workspaces(uri, table):
    database = Database(uri)
    try:
        with database.session() as s:
            return dict(s.execute(text(f"SELECT name, workspace FROM {table}")).all())
    finally:
        database.dispose()


def test_dry_run_reports_what_the_move_then_does(two_workspaces, database_uri, make_app):
    dry = _migrate(database_uri, "--dry-run")
    assert dry.returncode == 0
    assert "  experiments: 2\n  registered_models: 2\n" in dry.stdout
    assert "(2 runs, 2 model_versions move with their parents)" in dry.stdout
    assert "Total rows: 4" in dry.stdout
    assert _workspaces(database_uri, "experiments")["exp-team-a"] == "team-a", "dry run changed nothing"

    moved = _migrate(database_uri, "-y")
    assert moved.returncode == 0 and "Moved 4 rows to the default workspace." in moved.stdout
    assert set(_workspaces(database_uri, "experiments").values()) == {"default"}
    assert set(_workspaces(database_uri, "registered_models").values()) == {"default"}
    assert "No rows need to be moved." in _migrate(database_uri, "-y").stdout

    # a server without workspaces now serves everything
    client = make_app(workspaces_enabled=False).test_client()
    names = {e["name"] for e in client.post("/api/2.0/mlflow/experiments/search", json={}).json["experiments"]}
    assert names == {"Default", "exp-team-a", "exp-team-b"}
    versions = client.get("/api/2.0/mlflow/model-versions/search").json["model_versions"]
    assert {v["name"] for v in versions} == {"model-team-a", "model-team-b"}


def test_answering_no_changes_nothing(two_workspaces, database_uri):
    result = _migrate(database_uri, input="n\n")
    assert result.returncode == 1 and "Proceed with the move? [y/N]" in result.stdout
    assert _workspaces(database_uri, "experiments")["exp-team-b"] == "team-b"


def test_conflicts_abort_with_a_sample_of_five_and_all_with_verbose(two_workspaces, database_uri):
    for i in range(4):
        for team in ("team-a", "team-b"):
            _create(two_workspaces, team, "experiments/create", {"name": f"same-{i}"})
    for verbose, listed in ((False, 5), (True, 8)):
        args = ["--dry-run", "--verbose"] if verbose else ["--dry-run"]
        result = _migrate(database_uri, *args)
        assert result.returncode == 1
        lines = [line for line in result.stderr.splitlines() if line.startswith("  experiments: name='same-")]
        assert len(lines) == listed
        assert ("... (3 more; --verbose lists all)" in result.stderr) is not verbose
    assert _migrate(database_uri, "-y").returncode == 1
    assert _workspaces(database_uri, "experiments")["exp-team-a"] == "team-a", "nothing moved"


def test_a_conflict_found_inside_the_transaction_moves_nothing(two_workspaces, database_uri):
    _create(two_workspaces, "default", "registered-models/create", {"name": "model-team-a"})
    database = Database(database_uri)
    try:
        with pytest.raises(MergeConflict) as raised:
            merge_into_default(database)
        assert {(c.name, c.workspace) for c in raised.value.conflicts} == {
            ("model-team-a", "default"), ("model-team-a", "team-a")}
    finally:
        database.dispose()
    assert _workspaces(database_uri, "experiments")["exp-team-a"] == "team-a"
