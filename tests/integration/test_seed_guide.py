"""The seed guide (../shared/seeds/getting-started.mdx) run as a user would, against a real server.

Issue 2 is done when a new user can run Step 2 and Step 4 unchanged and see their workspace,
experiment, parameters and metrics. The snippets below are the guide's, with two edits: the
tracking URI is the test server's, and `mlflow.get_workspace()` takes the name (see Step 4).
"""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.integration

SEED_ROOT = "s3://mlflow-artifacts"  # Step 1's --default-artifact-root, as a URI string
TEAM_A_DESCRIPTION = "Workspace for Team A machine learning projects"


@pytest.fixture
def seed_server(start_server):
    """Step 1: a server started with --enable-workspaces and the guide's artifact root."""
    return start_server("--enable-workspaces", "--default-artifact-root", SEED_ROOT)


def test_python_snippets_show_workspace_experiment_params_and_metrics(seed_server, mlflow, capsys):
    url = seed_server.url

    # Step 2: Create a Workspace
    mlflow.set_tracking_uri(url)
    workspace = mlflow.create_workspace(
        name="team-a",
        description="Workspace for Team A machine learning projects",
        default_artifact_root="s3://team-a-artifacts",
    )
    print(f"Created workspace: {workspace.name}")

    # Step 4: Use Workspaces from Python Client
    mlflow.set_tracking_uri(url)
    mlflow.set_workspace("team-a")
    experiment_id = mlflow.create_experiment("my-experiment")
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.log_param("learning_rate", 0.01)
        mlflow.log_metric("accuracy", 0.95)
    # The seed calls mlflow.get_workspace() with no argument, a client-side TypeError in every
    # mlflow release (get_workspace(name) is required); we pass the name.
    print(f"Logged run in workspace: {mlflow.get_workspace('team-a')}")

    printed = capsys.readouterr().out
    assert "Created workspace: team-a" in printed
    assert "Logged run in workspace: " in printed and "name='team-a'" in printed

    # What the user sees: their workspace ...
    seen = mlflow.get_workspace("team-a")
    assert (seen.name, seen.description, seen.default_artifact_root) == (
        "team-a", TEAM_A_DESCRIPTION, "s3://team-a-artifacts")
    # ... their experiment, in team-a, under the workspace's own artifact root ...
    experiment = mlflow.get_experiment_by_name("my-experiment")
    assert experiment.experiment_id == experiment_id
    assert experiment.artifact_location == f"s3://team-a-artifacts/{experiment_id}"
    # ... and the run's parameters and metrics, as search_runs shows them.
    runs = mlflow.search_runs([experiment_id])
    assert len(runs) == 1
    assert runs.loc[0, "params.learning_rate"] == "0.01"
    assert runs.loc[0, "metrics.accuracy"] == pytest.approx(0.95)
    assert runs.loc[0, "status"] == "FINISHED"
    run = mlflow.get_run(runs.loc[0, "run_id"])
    assert run.data.params == {"learning_rate": "0.01"}
    assert run.data.metrics == {"accuracy": pytest.approx(0.95)}
    assert run.info.artifact_uri == f"s3://team-a-artifacts/{experiment_id}/{run.info.run_id}/artifacts"

    # The experiment belongs to team-a only: the default workspace does not show it.
    mlflow.set_workspace("default")
    assert mlflow.get_experiment_by_name("my-experiment") is None
    assert [e.name for e in mlflow.search_experiments()] == ["Default"]


def test_managing_workspaces_snippets(seed_server, mlflow):
    url = seed_server.url
    mlflow.set_tracking_uri(url)
    mlflow.create_workspace(name="team-a", description=TEAM_A_DESCRIPTION,
                            default_artifact_root="s3://team-a-artifacts")

    # List Workspaces
    workspaces = mlflow.list_workspaces()
    listed = {workspace.name: workspace.description for workspace in workspaces}
    assert listed == {"default": "Default workspace for legacy resources",
                      "team-a": TEAM_A_DESCRIPTION}

    # Get Workspace Details
    from mlflow import MlflowClient

    client = MlflowClient(url)
    workspace = client.get_workspace("team-a")
    assert (workspace.name, workspace.description) == ("team-a", TEAM_A_DESCRIPTION)

    # Update Workspace Description
    updated = mlflow.update_workspace(
        name="team-a",
        description="Updated description for Team A",
        default_artifact_root="s3://team-a-artifacts",
    )
    assert updated.name == "team-a"
    assert client.get_workspace("team-a").description == "Updated description for Team A"

    # Delete Workspace: "fails if the workspace contains any experiments".
    mlflow.set_workspace("team-a")
    mlflow.create_experiment("my-experiment")
    with pytest.raises(mlflow.MlflowException, match="my-experiment"):
        mlflow.delete_workspace("team-a")
    assert mlflow.get_workspace("team-a").name == "team-a"


def test_curl_equivalents(seed_server):
    url = seed_server.url
    team_a = {"name": "team-a", "description": TEAM_A_DESCRIPTION,
              "default_artifact_root": "s3://team-a-artifacts"}

    # Step 2, REST: create the workspace.
    created = requests.post(f"{url}/api/3.0/mlflow/workspaces", json=team_a, timeout=10)
    assert created.status_code == 201, created.text
    assert created.json() == {"workspace": team_a}

    # REST API Alternatives: list, get, update, delete.
    listed = requests.get(f"{url}/api/3.0/mlflow/workspaces", timeout=10)
    assert listed.status_code == 200
    assert listed.json() == {"workspaces": [
        {"name": "default", "description": "Default workspace for legacy resources"}, team_a]}
    got = requests.get(f"{url}/api/3.0/mlflow/workspaces/team-a", timeout=10)
    assert got.status_code == 200 and got.json() == {"workspace": team_a}
    patched = requests.patch(f"{url}/api/3.0/mlflow/workspaces/team-a",
                             json={"description": "Updated description"}, timeout=10)
    assert patched.status_code == 200, patched.text
    assert patched.json() == {"workspace": {**team_a, "description": "Updated description"}}
    assert requests.get(f"{url}/api/3.0/mlflow/workspaces/team-a", timeout=10).json() == {
        "workspace": {**team_a, "description": "Updated description"}}
    deleted = requests.delete(f"{url}/api/3.0/mlflow/workspaces/team-a", timeout=10)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = requests.get(f"{url}/api/3.0/mlflow/workspaces/team-a", timeout=10)
    assert gone.status_code == 404 and gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    # Using REST APIs with Workspaces: the header scopes experiments.
    assert requests.post(f"{url}/api/3.0/mlflow/workspaces", json=team_a, timeout=10).status_code == 201
    header = {"X-MLFLOW-WORKSPACE": "team-a"}
    made = requests.post(f"{url}/api/2.0/mlflow/experiments/create", headers=header,
                         json={"name": "my-experiment"}, timeout=10)
    assert made.status_code == 200, made.text
    experiment_id = made.json()["experiment_id"]
    in_team_a = requests.get(f"{url}/api/2.0/mlflow/experiments/list", headers=header, timeout=10)
    assert in_team_a.status_code == 200, in_team_a.text
    [experiment] = in_team_a.json()["experiments"]
    assert (experiment["experiment_id"], experiment["name"]) == (experiment_id, "my-experiment")
    assert experiment["artifact_location"] == f"s3://team-a-artifacts/{experiment_id}"
    in_default = requests.get(f"{url}/api/2.0/mlflow/experiments/list", timeout=10)
    assert [e["name"] for e in in_default.json()["experiments"]] == ["Default"]

    # Delete Workspace: refused while it holds an experiment, naming it (409, see DESIGN.md).
    refused = requests.delete(f"{url}/api/3.0/mlflow/workspaces/team-a", timeout=10)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error_code"] == "INVALID_STATE"
    assert "my-experiment" in refused.json()["message"]
