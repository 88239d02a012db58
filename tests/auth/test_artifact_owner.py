"""An artifact path belongs to the experiment whose stored artifact location holds it, whatever
its workspace's root is now; listings above experiment folders show only readable experiments."""

import pytest

from tests.auth.conftest import admin_post, as_user, new_user

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
WORKSPACES = "/api/3.0/mlflow/workspaces"
OLD_ROOT = "mlflow-artifacts:/workspaces/team-o/r1"


def _grant(client, experiment: str, user: str, level: str, workspace: str) -> None:
    admin_post(client, "/api/2.0/mlflow/experiments/permissions/create",
               {"experiment_id": experiment, "username": user, "permission": level}, workspace)


@pytest.fixture
def moved(auth_client, request):
    """Experiment 'old' is created under team-o's root r1, which then changes (or is cleared):
    `denied` reads team-o but holds NO_PERMISSIONS on it, `granted` holds only EDIT on it."""
    admin_post(auth_client, WORKSPACES, {"name": "team-o", "default_artifact_root": OLD_ROOT})
    experiment = admin_post(auth_client, "/api/2.0/mlflow/experiments/create", {"name": "old"}, "team-o")["experiment_id"]
    location = admin_post(auth_client, "/api/2.0/mlflow/experiments/get?experiment_id=" + experiment, {}, "team-o",
                          "get")["experiment"]["artifact_location"]
    assert location == f"{OLD_ROOT}/{experiment}"
    folder = f"workspaces/team-o/r1/{experiment}"
    admin_post(auth_client, f"{PROXY}/{folder}/secret.txt", {}, "team-o", "put")
    denied, granted = new_user(auth_client), new_user(auth_client)
    admin_post(auth_client, f"{WORKSPACES}/team-o/permissions", {"username": denied, "permission": "READ"})
    _grant(auth_client, experiment, denied, "NO_PERMISSIONS", "team-o")
    _grant(auth_client, experiment, granted, "EDIT", "team-o")
    admin_post(auth_client, f"{WORKSPACES}/team-o", {"default_artifact_root": request.param}, method="patch")
    return experiment, folder, denied, granted


ROOT_CHANGES = pytest.mark.parametrize("moved", ["mlflow-artifacts:/workspaces/team-o/r2", ""],
                                       indirect=True, ids=["changed", "cleared"])


@ROOT_CHANGES
def test_an_explicit_denial_follows_the_experiment_after_its_root_changes(auth_client, moved):
    experiment, folder, denied, _ = moved
    headers = as_user(denied, "team-o")
    assert auth_client.get("/api/2.0/mlflow/experiments/get", query_string={"experiment_id": experiment},
                           headers=headers).status_code == 403
    assert auth_client.get(f"{PROXY}/{folder}/secret.txt", headers=headers).status_code == 403
    assert auth_client.get(PROXY, query_string={"path": folder}, headers=headers).status_code == 403
    assert auth_client.put(f"{PROXY}/{folder}/new.txt", data=b"x", headers=headers).status_code == 403


@ROOT_CHANGES
def test_an_explicit_grant_follows_the_experiment_after_its_root_changes(auth_client, moved):
    _, folder, _, granted = moved
    headers = as_user(granted, "team-o")
    assert auth_client.put(f"{PROXY}/{folder}/new.txt", data=b"mine", headers=headers).status_code == 200
    assert auth_client.get(f"{PROXY}/{folder}/new.txt", headers=headers).data == b"mine"
    listing = auth_client.get(PROXY, query_string={"path": folder}, headers=headers)
    assert listing.status_code == 200
    assert {entry["path"] for entry in listing.json["files"]} == {"secret.txt", "new.txt"}


@pytest.fixture
def folders(auth_client):
    """team-l holds experiments 'hidden' and 'open', each with a file, and a plain folder."""
    admin_post(auth_client, WORKSPACES, {"name": "team-l"})
    hidden, shown = (admin_post(auth_client, "/api/2.0/mlflow/experiments/create", {"name": name}, "team-l")["experiment_id"]
                     for name in ("hidden", "open"))
    for name in (hidden, shown, "notes"):
        admin_post(auth_client, f"{PROXY}/workspaces/team-l/{name}/f.txt", {}, "team-l", "put")
    return hidden, shown


def _listed(client, user: str) -> set[str]:
    response = client.get(PROXY, query_string={"path": "workspaces/team-l"}, headers=as_user(user, "team-l"))
    assert response.status_code == 200, response.json
    return {entry["path"] for entry in response.json.get("files", [])}


def test_a_workspace_editor_does_not_see_a_denied_experiment_listed(auth_client, folders):
    hidden, shown = folders
    editor = new_user(auth_client)
    admin_post(auth_client, f"{WORKSPACES}/team-l/permissions", {"username": editor, "permission": "EDIT"})
    _grant(auth_client, hidden, editor, "NO_PERMISSIONS", "team-l")
    assert _listed(auth_client, editor) == {shown, "notes"}


def test_a_user_with_only_grants_sees_only_the_granted_experiments_listed(auth_client, folders):
    hidden, shown = folders
    guest = new_user(auth_client)
    _grant(auth_client, shown, guest, "READ", "team-l")
    _grant(auth_client, hidden, guest, "NO_PERMISSIONS", "team-l")
    assert _listed(auth_client, guest) == {shown}
    # inside the granted experiment everything is theirs to see
    inside = auth_client.get(PROXY, query_string={"path": f"workspaces/team-l/{shown}"}, headers=as_user(guest, "team-l"))
    assert inside.status_code == 200 and [e["path"] for e in inside.json["files"]] == ["f.txt"]


def test_a_user_without_any_access_is_still_refused_the_listing(auth_client, folders):
    stranger = new_user(auth_client)
    response = auth_client.get(PROXY, query_string={"path": "workspaces/team-l"}, headers=as_user(stranger, "team-l"))
    assert response.status_code == 403
