"""Workspaces through the real mlflow client: selection, CRUD, naming rules and isolation (issue 2,
items 5 and 8; seeds "Managing Workspaces" and "Client Workspace Selection")."""

from __future__ import annotations

import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.integration

WORKSPACES = "/api/3.0/mlflow/workspaces"
INVALID_NAMES = [
    "a",            # shorter than 2
    "x" * 64,       # longer than 63
    "Team-A",       # upper case
    "team_a",       # underscore
    "-team",        # leading hyphen
    "team-",        # trailing hyphen
    "team--a",      # consecutive hyphens
    "api",          # reserved: server routes
    "ajax-api",
    "static-files",
    "workspaces",   # reserved: path conflicts
]


def _workspace_header(name: str) -> dict[str, str]:
    return {"X-MLFLOW-WORKSPACE": name}


def _experiment_names(server, workspace: str) -> set[str]:
    """The experiments a REST caller sees in a workspace (independent of the client)."""
    response = requests.get(f"{server.url}/api/2.0/mlflow/experiments/search",
                            params={"max_results": 1000}, headers=_workspace_header(workspace),
                            timeout=10)
    assert response.status_code == 200, response.text
    return {e["name"] for e in response.json().get("experiments", [])}


# --- selecting a workspace -------------------------------------------------------------------


def test_set_workspace_scopes_new_experiments(ws_server, mlflow, new_workspace, unique):
    team = new_workspace(ws_server)
    name = unique("exp")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.set_workspace(team)
    experiment_id = mlflow.create_experiment(name)

    assert name in _experiment_names(ws_server, team)
    assert name not in _experiment_names(ws_server, "default")
    assert mlflow.get_experiment(experiment_id).name == name


def test_mlflow_workspace_env_var_selects_the_workspace(ws_server, mlflow, monkeypatch, new_workspace,
                                                        unique):
    team = new_workspace(ws_server)
    name = unique("exp")
    monkeypatch.setenv("MLFLOW_WORKSPACE", team)
    mlflow.set_tracking_uri(ws_server.url)
    experiment_id = mlflow.create_experiment(name)

    assert name in _experiment_names(ws_server, team)
    assert name not in _experiment_names(ws_server, "default")
    assert [e.experiment_id for e in mlflow.search_experiments(filter_string=f"name = '{name}'")] == [
        experiment_id]


def test_without_a_workspace_the_client_works_in_default(ws_server, mlflow, unique):
    name = unique("exp")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_experiment(name)

    assert name in _experiment_names(ws_server, "default")
    assert mlflow.get_experiment("0").name == "Default"


def test_unknown_workspace_is_refused_with_its_name(ws_server, mlflow, unique):
    missing = unique("nowhere")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.set_workspace(missing)
    with pytest.raises(MlflowException, match=f"Workspace '{missing}' not found") as caught:
        mlflow.create_experiment(unique("exp"))
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"


# --- workspace CRUD ----------------------------------------------------------------------------


def test_create_get_and_list_workspaces(ws_server, mlflow, unique):
    name = unique("team")
    mlflow.set_tracking_uri(ws_server.url)
    created = mlflow.create_workspace(name, description="Team workspace",
                                      default_artifact_root="s3://bucket/team")

    assert (created.name, created.description, created.default_artifact_root) == (
        name, "Team workspace", "s3://bucket/team")
    fetched = mlflow.get_workspace(name)
    assert (fetched.name, fetched.description, fetched.default_artifact_root) == (
        name, "Team workspace", "s3://bucket/team")
    listed = {ws.name: ws for ws in mlflow.list_workspaces()}
    assert listed[name].description == "Team workspace"
    assert listed["default"].description == "Default workspace for legacy resources"
    assert MlflowClient(ws_server.url).get_workspace(name).description == "Team workspace"


def test_create_without_optional_fields(ws_server, mlflow, unique):
    name = unique("bare")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_workspace(name)

    fetched = mlflow.get_workspace(name)
    assert fetched.name == name
    assert not fetched.description
    assert not fetched.default_artifact_root


def test_duplicate_workspace_is_refused(ws_server, mlflow, unique):
    name = unique("dup")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_workspace(name, description="first")
    with pytest.raises(MlflowException, match=f"'{name}' already exists") as caught:
        mlflow.create_workspace(name, description="second")
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert mlflow.get_workspace(name).description == "first"


def test_get_unknown_workspace_is_not_found(ws_server, mlflow, unique):
    missing = unique("missing")
    mlflow.set_tracking_uri(ws_server.url)
    with pytest.raises(MlflowException, match=f"Workspace '{missing}' not found") as caught:
        mlflow.get_workspace(missing)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_update_description_keeps_artifact_root(ws_server, mlflow, unique):
    name = unique("upd")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_workspace(name, description="before", default_artifact_root="s3://bucket/upd")

    updated = mlflow.update_workspace(name, description="after")

    assert (updated.description, updated.default_artifact_root) == ("after", "s3://bucket/upd")
    fetched = mlflow.get_workspace(name)
    assert (fetched.description, fetched.default_artifact_root) == ("after", "s3://bucket/upd")


def test_update_sets_and_clears_the_artifact_root(ws_server, mlflow, unique):
    name = unique("root")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_workspace(name, description="keep me")
    mlflow.set_workspace(name)

    updated = mlflow.update_workspace(name, default_artifact_root="s3://bucket/own-root")
    assert (updated.description, updated.default_artifact_root) == ("keep me", "s3://bucket/own-root")
    first = mlflow.create_experiment(unique("exp"))
    assert mlflow.get_experiment(first).artifact_location == f"s3://bucket/own-root/{first}"

    cleared = mlflow.update_workspace(name, default_artifact_root="")
    assert not cleared.default_artifact_root
    assert not mlflow.get_workspace(name).default_artifact_root
    assert mlflow.get_workspace(name).description == "keep me"
    second = mlflow.create_experiment(unique("exp"))
    assert mlflow.get_experiment(second).artifact_location == (
        f"{ws_server.artifact_root}/workspaces/{name}/{second}")
    # Existing experiments keep their location (seeds, "Artifact Behavior").
    assert mlflow.get_experiment(first).artifact_location == f"s3://bucket/own-root/{first}"


def test_update_unknown_workspace_is_not_found(ws_server, mlflow, unique):
    mlflow.set_tracking_uri(ws_server.url)
    with pytest.raises(MlflowException, match="not found") as caught:
        mlflow.update_workspace(unique("missing"), description="x")
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_delete_empty_workspace(ws_server, mlflow, unique):
    name = unique("empty")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_workspace(name)

    mlflow.delete_workspace(name)

    assert name not in {ws.name for ws in mlflow.list_workspaces()}
    with pytest.raises(MlflowException, match="not found"):
        mlflow.get_workspace(name)
    # The name is free again.
    assert mlflow.create_workspace(name).name == name


def test_delete_workspace_with_an_experiment_names_the_experiment(ws_server, mlflow, unique):
    name, experiment = unique("busy"), unique("blocking-exp")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_workspace(name)
    mlflow.set_workspace(name)
    mlflow.create_experiment(experiment)

    with pytest.raises(MlflowException, match=experiment) as caught:
        mlflow.delete_workspace(name)

    assert caught.value.error_code == "INVALID_STATE"
    assert mlflow.get_workspace(name).name == name
    assert experiment in _experiment_names(ws_server, name)


def test_delete_workspace_holding_only_deleted_experiments_is_refused(ws_server, mlflow, unique):
    # A deleted experiment can still be restored, so it keeps the workspace (issue 2, item 5).
    name, experiment = unique("trash"), unique("deleted-exp")
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.create_workspace(name)
    mlflow.set_workspace(name)
    mlflow.delete_experiment(mlflow.create_experiment(experiment))

    with pytest.raises(MlflowException, match=experiment):
        mlflow.delete_workspace(name)


def test_default_workspace_cannot_be_deleted(ws_server, mlflow):
    mlflow.set_tracking_uri(ws_server.url)
    with pytest.raises(MlflowException, match="'default' workspace is reserved") as caught:
        mlflow.delete_workspace("default")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "default" in {ws.name for ws in mlflow.list_workspaces()}


def test_default_workspace_cannot_be_created(ws_server):
    # The mlflow client refuses 'default' itself; the server must too (seeds, "Reserved names").
    response = requests.post(f"{ws_server.url}{WORKSPACES}", json={"name": "default"}, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "reserved" in response.json()["message"]


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid_workspace_names_are_refused(ws_server, mlflow, name):
    mlflow.set_tracking_uri(ws_server.url)
    # The client checks the naming rules before sending anything ...
    with pytest.raises(MlflowException):
        mlflow.create_workspace(name)
    # ... and the server enforces them for every other client (seeds, "Workspace Naming Rules").
    response = requests.post(f"{ws_server.url}{WORKSPACES}", json={"name": name}, timeout=10)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Workspace name" in body["message"]
    assert name not in {ws.name for ws in mlflow.list_workspaces()}


def test_workspace_names_at_the_length_limits_are_accepted(ws_server, mlflow, unique):
    mlflow.set_tracking_uri(ws_server.url)
    longest = unique("long").ljust(63, "z")
    for name in (longest, "q" + unique("")[-1]):
        assert mlflow.create_workspace(name).name == name
        assert mlflow.get_workspace(name).name == name


# --- isolation -------------------------------------------------------------------------------


@pytest.fixture
def team_a_run(ws_server, mlflow, new_workspace, unique):
    """An experiment and a finished run in a fresh workspace: (workspace, experiment, run)."""
    team_a = new_workspace(ws_server)
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.set_workspace(team_a)
    experiment = mlflow.get_experiment(mlflow.create_experiment(unique("private")))
    with mlflow.start_run(experiment_id=experiment.experiment_id) as run:
        mlflow.log_param("secret", "yes")
        mlflow.log_metric("score", 1.0)
    return team_a, experiment, run.info.run_id


@pytest.mark.parametrize("other", ["team-b", "default"])
def test_experiments_and_runs_are_invisible_from_another_workspace(ws_server, mlflow, team_a_run,
                                                                   new_workspace, other):
    team_a, experiment, run_id = team_a_run
    mlflow.set_workspace(new_workspace(ws_server) if other == "team-b" else "default")
    client = MlflowClient()

    assert experiment.name not in {e.name for e in mlflow.search_experiments()}
    assert mlflow.get_experiment_by_name(experiment.name) is None
    with pytest.raises(MlflowException) as caught:
        mlflow.get_experiment(experiment.experiment_id)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as caught:
        client.get_run(run_id)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as caught:
        client.get_metric_history(run_id, "score")
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    try:
        found = client.search_runs([experiment.experiment_id])
    except MlflowException as exc:  # refusing is as good as finding nothing
        assert exc.error_code == "RESOURCE_DOES_NOT_EXIST"
    else:
        assert [r.info.run_id for r in found] == []
    # Writes are refused too, and the run stays as it was.
    with pytest.raises(MlflowException):
        client.log_param(run_id, "secret", "overwritten")
    with pytest.raises(MlflowException):
        client.delete_experiment(experiment.experiment_id)

    mlflow.set_workspace(team_a)
    run = client.get_run(run_id)
    assert run.data.params == {"secret": "yes"}
    assert mlflow.get_experiment(experiment.experiment_id).lifecycle_stage == "active"


def test_same_experiment_name_in_two_workspaces(ws_server, mlflow, new_workspace, unique):
    team_a, team_b = new_workspace(ws_server), new_workspace(ws_server)
    shared = unique("shared-name")
    mlflow.set_tracking_uri(ws_server.url)

    mlflow.set_workspace(team_a)
    in_a = mlflow.create_experiment(shared)
    with mlflow.start_run(experiment_id=in_a):
        mlflow.log_param("team", "a")
    mlflow.set_workspace(team_b)
    in_b = mlflow.create_experiment(shared)
    with mlflow.start_run(experiment_id=in_b):
        mlflow.log_param("team", "b")

    assert in_a != in_b
    assert mlflow.get_experiment_by_name(shared).experiment_id == in_b
    assert mlflow.search_runs([in_b], output_format="list")[0].data.params == {"team": "b"}
    mlflow.set_workspace(team_a)
    assert mlflow.get_experiment_by_name(shared).experiment_id == in_a
    assert mlflow.search_runs([in_a], output_format="list")[0].data.params == {"team": "a"}
    # Within one workspace the name stays unique.
    with pytest.raises(MlflowException) as caught:
        mlflow.create_experiment(shared)
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_set_experiment_in_each_workspace_finds_its_own(ws_server, mlflow, new_workspace, unique):
    team_a, team_b = new_workspace(ws_server), new_workspace(ws_server)
    name = unique("set-exp")
    mlflow.set_tracking_uri(ws_server.url)

    mlflow.set_workspace(team_a)
    in_a = mlflow.set_experiment(name).experiment_id
    mlflow.set_workspace(team_b)
    in_b = mlflow.set_experiment(name).experiment_id

    assert in_a != in_b
    assert {name} <= _experiment_names(ws_server, team_a)
    assert {name} <= _experiment_names(ws_server, team_b)


# --- a server without workspaces -------------------------------------------------------------


def test_server_info_reports_workspaces(ws_server, plain_server):
    for server, enabled in ((ws_server, True), (plain_server, False)):
        response = requests.get(f"{server.url}/api/3.0/mlflow/server-info", timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["workspaces_enabled"] is enabled
        # It answers without a workspace header, and ignores one (seeds, "Detecting ...").
        assert requests.get(f"{server.url}/api/3.0/mlflow/server-info",
                            headers=_workspace_header("team-a"), timeout=10).status_code == 200
    # Without workspaces the workspace routes say so (issue 2, item 5: "a clear 4xx").
    listed = requests.get(f"{plain_server.url}{WORKSPACES}", timeout=10)
    assert listed.status_code == 404, listed.text
    assert listed.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "--enable-workspaces" in listed.json()["message"]


@pytest.mark.parametrize("call", [
    lambda mlflow: mlflow.list_workspaces(),
    lambda mlflow: mlflow.get_workspace("default"),
    lambda mlflow: mlflow.create_workspace("team-a"),
    lambda mlflow: mlflow.update_workspace("team-a", description="x"),
    lambda mlflow: mlflow.delete_workspace("team-a"),
], ids=["list", "get", "create", "update", "delete"])
def test_workspace_calls_fail_clearly_without_workspaces(plain_server, mlflow, call):
    mlflow.set_tracking_uri(plain_server.url)
    with pytest.raises(MlflowException, match="does not expose workspace APIs") as caught:
        call(mlflow)
    # The server's own answer says how to turn workspaces on.
    assert "--enable-workspaces" in str(caught.value.__cause__)


def test_workspace_header_is_refused_without_workspaces(plain_server, mlflow, unique):
    mlflow.set_tracking_uri(plain_server.url)
    mlflow.set_workspace("team-a")
    # The client probes server-info and refuses before sending the request ...
    with pytest.raises(MlflowException, match="--enable-workspaces"):
        mlflow.create_experiment(unique("exp"))
    # ... and the server refuses the header from any other client, saying why.
    response = requests.post(f"{plain_server.url}/api/2.0/mlflow/experiments/create",
                             json={"name": unique("exp")}, headers=_workspace_header("team-a"),
                             timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "without workspaces" in response.json()["message"]

    # Without a workspace everything works, in 'default'.
    mlflow.set_workspace(None)
    name = unique("exp")
    experiment_id = mlflow.create_experiment(name)
    assert mlflow.get_experiment(experiment_id).name == name
    # A header naming 'default' is harmless: that is where everything lives.
    assert name in _experiment_names(plain_server, "default")
