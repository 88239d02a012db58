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
