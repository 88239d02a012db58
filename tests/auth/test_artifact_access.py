"""Proxied artifact paths are authorized by the experiment that owns them, wherever its
workspace keeps artifacts; concurrent workspace grants do not clash."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from auth.config import ConfigError, load
from tests.auth.conftest import admin_post, as_user, new_user

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def rooted(auth_client):
    """team-r keeps artifacts under its own proxied root; alice may EDIT team-r, but holds
    explicit NO_PERMISSIONS on one experiment there."""
    admin_post(auth_client, "/api/3.0/mlflow/workspaces",
               {"name": "team-r", "default_artifact_root": "mlflow-artifacts:/workspaces/team-r/models"})
    alice = new_user(auth_client)
    admin_post(auth_client, "/api/3.0/mlflow/workspaces/team-r/permissions", {"username": alice, "permission": "EDIT"})
    hidden = admin_post(auth_client, "/api/2.0/mlflow/experiments/create", {"name": "hidden"}, "team-r")["experiment_id"]
    shared = admin_post(auth_client, "/api/2.0/mlflow/experiments/create", {"name": "shared"}, "team-r")["experiment_id"]
    admin_post(auth_client, "/api/2.0/mlflow/experiments/permissions/create",
               {"experiment_id": hidden, "username": alice, "permission": "NO_PERMISSIONS"}, "team-r")
    return alice, hidden, shared


def test_an_explicit_denial_holds_under_a_workspace_root(auth_client, rooted):
    alice, hidden, shared = rooted
    headers = as_user(alice, "team-r")
    denied = auth_client.put(f"{PROXY}/workspaces/team-r/models/{hidden}/run/artifacts/x.txt", data=b"x", headers=headers)
    assert denied.status_code == 403 and "experiment" in denied.json["message"]
    allowed = auth_client.put(f"{PROXY}/workspaces/team-r/models/{shared}/run/artifacts/x.txt", data=b"ok", headers=headers)
    assert allowed.status_code == 200
    assert auth_client.get(f"{PROXY}/workspaces/team-r/models/{shared}/run/artifacts/x.txt", headers=headers).data == b"ok"
    listing = auth_client.get(PROXY, query_string={"path": f"workspaces/team-r/models/{hidden}"}, headers=headers)
    assert listing.status_code == 403


def test_a_grant_does_not_reach_a_path_the_experiment_does_not_own(auth_client, rooted):
    """Experiment `hidden` lives under .../models/<id>; the same id under the default layout is
    not its folder, so only the workspace grant applies there."""
    alice, hidden, _ = rooted
    response = auth_client.put(f"{PROXY}/workspaces/team-r/{hidden}/elsewhere.txt", data=b"x", headers=as_user(alice, "team-r"))
    assert response.status_code == 200


def test_concurrent_workspace_grants_for_one_user_do_not_clash(auth_app, auth_client):
    admin_post(auth_client, "/api/3.0/mlflow/workspaces", {"name": "busy"})
    bob = new_user(auth_client)

    def grant(level):
        client = auth_app.test_client()
        return client.post("/api/3.0/mlflow/workspaces/busy/permissions", json={"username": bob, "permission": level},
                           headers=as_user(None)).status_code

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(grant, ["READ", "EDIT"] * 6)) == {200}
    listed = auth_client.get("/api/3.0/mlflow/workspaces/busy/permissions", headers=as_user(None)).json["permissions"]
    assert [p["username"] for p in listed] == [bob] and listed[0]["permission"] in ("READ", "EDIT")


@pytest.mark.parametrize("name", ["ad:min", ":admin"])
def test_an_admin_name_that_cannot_sign_in_is_refused(tmp_path, name):
    ini = tmp_path / "a.ini"
    ini.write_text(f"[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///x.db\nadmin_username = {name}\n")
    with pytest.raises(ConfigError, match="admin_username.*cannot sign in with HTTP Basic"):
        load(ini, environ={})


def test_review_findings_stay_fixed(auth_client, make_user):
    """Leading zeros, no-op renames, folder deletes, manager lock-outs and unreadable source runs."""
    admin_post(auth_client, "/api/3.0/mlflow/workspaces", {"name": "team-z"})
    reader, editor, manager, other_manager = (new_user(auth_client) for _ in range(4))
    for user, level in ((reader, "READ"), (editor, "EDIT"), (manager, "MANAGE"), (other_manager, "MANAGE")):
        admin_post(auth_client, "/api/3.0/mlflow/workspaces/team-z/permissions", {"username": user, "permission": level})
    experiment = admin_post(auth_client, "/api/2.0/mlflow/experiments/create", {"name": "denied"}, "team-z")["experiment_id"]
    run = admin_post(auth_client, "/api/2.0/mlflow/runs/create", {"experiment_id": experiment}, "team-z")["run"]["info"]["run_id"]
    for user in (reader, editor, manager):
        admin_post(auth_client, "/api/2.0/mlflow/experiments/permissions/create",
                   {"experiment_id": experiment, "username": user, "permission": "NO_PERMISSIONS"}, "team-z")
    # 1. a leading zero does not get past an explicit denial in runs/search
    found = auth_client.post("/api/2.0/mlflow/runs/search", json={"experiment_ids": [f"0{experiment}"]},
                             headers=as_user(reader, "team-z"))
    assert found.status_code == 200 and found.json.get("runs", []) == []
    # 2. renaming a model onto its own name keeps every grant
    admin_post(auth_client, "/api/2.0/mlflow/registered-models/create", {"name": "m"}, "team-z")
    admin_post(auth_client, "/api/2.0/mlflow/registered-models/permissions/create",
               {"name": "m", "username": reader, "permission": "NO_PERMISSIONS"}, "team-z")
    renamed = auth_client.post("/api/2.0/mlflow/registered-models/rename", json={"name": "m", "new_name": "m"},
                               headers=as_user(editor, "team-z"))
    assert renamed.status_code == 200
    assert auth_client.get("/api/2.0/mlflow/registered-models/get", query_string={"name": "m"},
                           headers=as_user(reader, "team-z")).status_code == 403
    # 3. a manager cannot delete the folder that holds a denied experiment
    admin_post(auth_client, "/api/2.0/mlflow-artifacts/artifacts/workspaces/team-z/" + experiment + "/f.txt", {}, "team-z", "put")
    gone = auth_client.delete(f"{PROXY}/workspaces/team-z", headers=as_user(manager, "team-z"))
    assert gone.status_code == 403 and "only admins may delete" in gone.json["message"]
    # 4. a manager cannot lock another manager out resource by resource
    open_one = admin_post(auth_client, "/api/2.0/mlflow/experiments/create", {"name": "open"}, "team-z")["experiment_id"]
    locked = auth_client.post("/api/2.0/mlflow/experiments/permissions/create",
                              json={"experiment_id": open_one, "username": other_manager, "permission": "NO_PERMISSIONS"},
                              headers=as_user(manager, "team-z"))
    assert locked.status_code == 403 and "manages workspace 'team-z'" in locked.json["message"]
    # 5. a version cannot be made from a run the user may not read
    admin_post(auth_client, "/api/2.0/mlflow/registered-models/create", {"name": "cm"}, "team-z")
    made = auth_client.post("/api/2.0/mlflow/model-versions/create",
                            json={"name": "cm", "source": f"runs:/{run}/model"}, headers=as_user(editor, "team-z"))
    assert made.status_code == 403
    for spelling in ("RUNS:/", "Runs:/", " runs:/", "\trUnS:/"):  # clients lowercase schemes
        sneaky = auth_client.post("/api/2.0/mlflow/model-versions/create",
                                  json={"name": "cm", "source": f"{spelling}{run}/model"},
                                  headers=as_user(editor, "team-z"))
        assert sneaky.status_code == 403, (spelling, sneaky.json)
    missing = auth_client.post("/api/2.0/mlflow/model-versions/create",
                               json={"name": "cm", "source": "runs:/" + "f" * 32 + "/model"}, headers=as_user(editor, "team-z"))
    assert missing.status_code == 404  # an unknown run in a readable workspace: the handler's 404
    # and a prompt-style source without a run still works for the editor
    assert auth_client.post("/api/2.0/mlflow/model-versions/create", json={"name": "cm", "source": "dummy-source"},
                            headers=as_user(editor, "team-z")).status_code == 200


def test_a_password_with_a_lone_surrogate_is_a_400(auth_client, make_user):
    user = make_user()
    response = auth_client.patch("/api/2.0/mlflow/users/update-password",
                                 json={"username": user, "password": "\ud800secretsecretsecret"}, headers=as_user(None))
    assert response.status_code == 400 and "valid Unicode" in response.json["message"]
