"""`wsauth gc`: deleted experiments and runs are purged for good; nothing else is touched."""

import subprocess

import pytest

from tests.conftest import WSAUTH


def _post(client, path, body, workspace="team-a"):
    response = client.post(f"/api/2.0/mlflow/{path}", json=body, headers={"X-MLFLOW-WORKSPACE": workspace})
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def populated(app, client):
    """team-a: a deleted experiment with a run, a live experiment with a live and a deleted run."""
    client.post("/api/3.0/mlflow/workspaces", json={"name": "team-a"})
    gone = _post(client, "experiments/create", {"name": "gone"})["experiment_id"]
    kept = _post(client, "experiments/create", {"name": "kept"})["experiment_id"]
    _post(client, "runs/create", {"experiment_id": gone})
    live = _post(client, "runs/create", {"experiment_id": kept})["run"]["info"]["run_id"]
    dead = _post(client, "runs/create", {"experiment_id": kept})["run"]["info"]["run_id"]
    _post(client, "runs/log-metric", {"run_id": dead, "key": "m", "value": 1, "timestamp": 1})
    _post(client, "runs/delete", {"run_id": dead})
    _post(client, "experiments/delete", {"experiment_id": gone})
    return {"gone": gone, "kept": kept, "live": live, "dead": dead}


def _gc(uri, *args, input=None):
    return subprocess.run([WSAUTH, "gc", "--backend-store-uri", uri, *args],
                          capture_output=True, text=True, timeout=60, input=input)


def test_gc_purges_deleted_and_frees_the_workspace(populated, client, database_uri):
    dry = _gc(database_uri, "--dry-run")
    assert dry.returncode == 0 and "Would purge 1 experiment(s) and 2 run(s)." in dry.stdout
    blocked = client.delete("/api/3.0/mlflow/workspaces/team-a")
    assert blocked.status_code == 409 and "'gone'" in blocked.json["message"]

    done = _gc(database_uri, "-y")
    assert done.returncode == 0, done.stderr
    assert "Purged." in done.stdout and "artifacts are not removed" in done.stdout
    headers = {"X-MLFLOW-WORKSPACE": "team-a"}
    assert client.get(f"/api/2.0/mlflow/runs/get?run_id={populated['dead']}", headers=headers).status_code == 404
    assert client.get(f"/api/2.0/mlflow/runs/get?run_id={populated['live']}", headers=headers).status_code == 200
    # the name of the purged experiment is free again
    _post(client, "experiments/create", {"name": "gone"})


def test_gc_respects_older_than_and_asks_before_deleting(populated, database_uri):
    recent = _gc(database_uri, "--older-than", "1d", "-y")
    assert "Would purge" not in recent.stdout and "0 experiment(s) and 0 run(s)" in recent.stdout
    declined = _gc(database_uri, input="n\n")
    assert declined.returncode == 1
    assert "1 experiment(s) and 2 run(s)" in _gc(database_uri, "--dry-run").stdout


@pytest.mark.parametrize("duration", ["abc", "1w", "-1d", ""])
def test_gc_rejects_bad_durations_in_one_line(duration, database_uri):
    result = _gc(database_uri, "--older-than", duration)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("wsauth: error:")
