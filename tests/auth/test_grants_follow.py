"""Grants follow their resources: gone with the model or prompt, the workspace or the user; moved
on rename; and a re-created name, or a new experiment after `wsauth gc`, inherits nothing."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from auth.permissions import Permission
from tests.auth.conftest import admin_headers, admin_post, as_user, new_user
from tests.conftest import WSAUTH

API = "/api/2.0/mlflow"
WS_API = "/api/3.0/mlflow"
PROMPT_TAG = [{"key": "mlflow.prompt.is_prompt", "value": "true"}]


@pytest.fixture(scope="module")
def world(make_module_auth_app, module_database_uri):
    app = make_module_auth_app()
    return app, app.test_client(), module_database_uri


@pytest.fixture
def team(world):
    """A fresh workspace and a user with no grant on it."""
    _, client, _ = world
    name = f"team-{uuid.uuid4().hex[:6]}"
    admin_post(client, f"{WS_API}/workspaces", {"name": name})
    return name, new_user(client)


def grants_of(client, username) -> dict:
    user = client.get(f"{API}/users/get", query_string={"username": username}, headers=admin_headers()).json["user"]
    return {"experiments": {g["experiment_id"]: g["permission"] for g in user["experiment_permissions"]},
            "models": {(g["workspace"], g["name"]): g["permission"] for g in user["registered_model_permissions"]}}


def model_status(client, name, username, workspace) -> int:
    return client.get(f"{API}/registered-models/get", query_string={"name": name},
                      headers=as_user(username, workspace)).status_code


def create_model(client, workspace, name, prompt=False):
    admin_post(client, f"{API}/registered-models/create", {"name": name, "tags": PROMPT_TAG if prompt else []}, workspace)


def grant_model(client, workspace, name, username, level="MANAGE"):
    admin_post(client, f"{API}/registered-models/permissions/create",
               {"name": name, "username": username, "permission": level}, workspace)


@pytest.mark.parametrize("prompt", [False, True], ids=["model", "prompt"])
def test_deleting_a_model_drops_its_grants_and_a_new_one_inherits_none(world, team, prompt):
    _, client, _ = world
    workspace, bob = team
    create_model(client, workspace, "doomed", prompt)
    grant_model(client, workspace, "doomed", bob)
    assert model_status(client, "doomed", bob, workspace) == 200
    assert client.delete(f"{API}/registered-models/delete", json={"name": "doomed"},
                         headers=as_user(bob, workspace)).status_code == 200  # bob may: he holds MANAGE
    assert grants_of(client, bob)["models"] == {}
    create_model(client, workspace, "doomed", prompt)
    assert model_status(client, "doomed", bob, workspace) == 403
    assert client.delete(f"{API}/registered-models/delete", json={"name": "doomed"},
                         headers=as_user(bob, workspace)).status_code == 403


@pytest.mark.parametrize("prompt", [False, True], ids=["model", "prompt"])
def test_renaming_a_model_moves_its_grants(world, team, prompt):
    _, client, _ = world
    workspace, bob = team
    create_model(client, workspace, "before", prompt)
    grant_model(client, workspace, "before", bob, "EDIT")
    renamed = client.post(f"{API}/registered-models/rename", json={"name": "before", "new_name": "after"},
                          headers=as_user(bob, workspace))
    assert renamed.status_code == 200 and renamed.json["registered_model"]["name"] == "after"
    assert grants_of(client, bob)["models"] == {(workspace, "after"): "EDIT"}
    assert grants_of(client, "admin")["models"][(workspace, "after")] == "MANAGE"  # the creator's grant moved too
    assert model_status(client, "after", bob, workspace) == 200
    create_model(client, workspace, "before", prompt)
    assert model_status(client, "before", bob, workspace) == 403


def test_a_failed_rename_moves_nothing(world, team):
    _, client, _ = world
    workspace, bob = team
    create_model(client, workspace, "kept")
    create_model(client, workspace, "taken")
    grant_model(client, workspace, "kept", bob, "EDIT")
    clash = client.post(f"{API}/registered-models/rename", json={"name": "kept", "new_name": "taken"},
                        headers=as_user(bob, workspace))
    assert clash.status_code == 400 and clash.json["error_code"] == "RESOURCE_ALREADY_EXISTS"
    assert grants_of(client, bob)["models"] == {(workspace, "kept"): "EDIT"}
    assert model_status(client, "taken", bob, workspace) == 403


def test_deleting_a_workspace_drops_its_grants(world, team):
    app, client, _ = world
    workspace, bob = team
    admin_post(client, f"{WS_API}/workspaces/{workspace}/permissions", {"username": bob, "permission": "EDIT"})
    create_model(client, workspace, "in-the-way")
    refused = client.delete(f"{WS_API}/workspaces/{workspace}", headers=admin_headers())
    assert refused.status_code == 409 and refused.json["error_code"] == "INVALID_STATE"
    assert client.get(f"{WS_API}/workspace-permissions", query_string={"username": bob},
                      headers=admin_headers()).json["permissions"][0]["workspace"] == workspace
    admin_post(client, f"{API}/registered-models/delete", {"name": "in-the-way"}, workspace, method="delete")
    # a grant on a model name left behind (e.g. written by an older version) goes with the workspace
    store = app.extensions["wsauth.auth"].store
    store.grant_creator("registered_model", "left-behind", workspace, store.get_user(bob).id, Permission.MANAGE)
    assert client.delete(f"{WS_API}/workspaces/{workspace}", headers=admin_headers()).status_code == 204
    assert client.get(f"{WS_API}/workspace-permissions", query_string={"username": bob},
                      headers=admin_headers()).json == {"permissions": []}
    assert grants_of(client, bob)["models"] == {}
    # the same name again starts empty
    admin_post(client, f"{WS_API}/workspaces", {"name": workspace})
    create_model(client, workspace, "left-behind")
    assert model_status(client, "left-behind", bob, workspace) == 403
    assert client.get(f"{WS_API}/workspaces", headers=as_user(bob)).json == {"workspaces": []}


def test_deleting_a_user_drops_all_their_grants(world, team):
    _, client, _ = world
    workspace, bob = team
    admin_post(client, f"{WS_API}/workspaces/{workspace}/permissions", {"username": bob, "permission": "EDIT"})
    experiment_id = client.post(f"{API}/experiments/create", json={"name": "bobs"},
                                headers=as_user(bob, workspace)).json["experiment_id"]
    assert client.post(f"{API}/registered-models/create", json={"name": "bobs-model"},
                       headers=as_user(bob, workspace)).status_code == 200
    assert grants_of(client, bob) == {"experiments": {experiment_id: "MANAGE"},
                                      "models": {(workspace, "bobs-model"): "MANAGE"}}
    assert client.delete(f"{API}/users/delete", json={"username": bob}, headers=admin_headers()).status_code == 200
    new_user(client, bob)  # somebody else takes the name
    assert grants_of(client, bob) == {"experiments": {}, "models": {}}
    assert client.get(f"{WS_API}/workspace-permissions", query_string={"username": bob},
                      headers=admin_headers()).json == {"permissions": []}
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment_id},
                      headers=as_user(bob, workspace)).status_code == 403


def test_experiment_ids_are_never_reused_after_gc(world, team):
    """Experiment grants are global by id: a purged id must never come back, or its old grants
    would apply to a stranger's new experiment (MLflow's W8 on SQLite)."""
    _, client, database_uri = world
    workspace, bob = team
    experiment_id = admin_post(client, f"{API}/experiments/create", {"name": "short-lived"}, workspace)["experiment_id"]
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": experiment_id, "username": bob, "permission": "EDIT"}, workspace)
    admin_post(client, f"{API}/experiments/delete", {"experiment_id": experiment_id}, workspace)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_AUTH_CONFIG_PATH"}  # the grant stays behind
    purged = subprocess.run([WSAUTH, "gc", "--backend-store-uri", database_uri, "--workspace", workspace, "-y"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert purged.returncode == 0, purged.stderr
    assert f"experiment {workspace}/{experiment_id} (short-lived)" in purged.stdout
    assert grants_of(client, bob)["experiments"] == {experiment_id: "EDIT"}
    new_id = admin_post(client, f"{API}/experiments/create", {"name": "short-lived"}, workspace)["experiment_id"]
    assert int(new_id) > int(experiment_id)
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": new_id},
                      headers=as_user(bob, workspace)).status_code == 403


def test_probing_an_id_before_it_exists_is_not_remembered(world, team):
    """Only found resources are cached (MLflow cached misses for an hour, W2)."""
    _, client, _ = world
    workspace, bob = team
    last = int(admin_post(client, f"{API}/experiments/create", {"name": "before-the-probe"}, workspace)["experiment_id"])
    for probe in range(last + 1, last + 6):
        response = client.get(f"{API}/experiments/get", query_string={"experiment_id": str(probe)},
                              headers=as_user(bob, workspace))
        assert response.status_code == 403
    created = admin_post(client, f"{API}/experiments/create", {"name": "after-the-probe"}, workspace)["experiment_id"]
    assert last < int(created) <= last + 5
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": created, "username": bob, "permission": "READ"}, workspace)
    shown = client.get(f"{API}/experiments/get", query_string={"experiment_id": created},
                       headers=as_user(bob, workspace))
    assert shown.status_code == 200 and shown.json["experiment"]["name"] == "after-the-probe"
    found = client.post(f"{API}/experiments/search", json={}, headers=as_user(bob, workspace)).json["experiments"]
    assert [e["name"] for e in found] == ["after-the-probe"]
