"""Workspaces over REST (tracking/api/workspaces.py, tracking/workspaces.py): the CRUD routes and
their /ajax-api mirror, naming rules, the X-MLFLOW-WORKSPACE header, a server without workspaces,
server-info, /health and /version (seeds, "Managing Workspaces")."""

from __future__ import annotations

import pytest

import tracking

V3 = ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"]
WORKSPACES = "/api/3.0/mlflow/workspaces"
API = "/api/2.0/mlflow"
HEADER = "X-MLFLOW-WORKSPACE"
PATTERN = "^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DEFAULT = {"name": "default", "description": "Default workspace for legacy resources"}


def assert_error(response, status: int, error_code: str, fragment: str) -> None:
    """The response is MLflow's JSON error with this status, code and message fragment."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error_code"] == error_code
    assert fragment in response.json["message"], response.json["message"]


def create(client, name: str, prefix: str = V3[0], **fields):
    return client.post(f"{prefix}/workspaces", json={"name": name, **fields})


def listed(client, prefix: str = V3[0]) -> list[dict]:
    response = client.get(f"{prefix}/workspaces")
    assert response.status_code == 200
    return response.json["workspaces"]


# --- CRUD --------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", V3)
def test_crud_round_trip(client, prefix):
    assert listed(client, prefix) == [DEFAULT]

    response = create(client, "team-b", prefix, description="B team", default_artifact_root="s3://bucket/b")
    assert response.status_code == 201
    team_b = {"name": "team-b", "description": "B team", "default_artifact_root": "s3://bucket/b"}
    assert response.json == {"workspace": team_b}
    assert create(client, "team-a", prefix).json == {"workspace": {"name": "team-a"}}
    assert listed(client, prefix) == [DEFAULT, {"name": "team-a"}, team_b]  # sorted by name

    got = client.get(f"{prefix}/workspaces/team-b")
    assert (got.status_code, got.json) == (200, {"workspace": team_b})

    patched = client.patch(f"{prefix}/workspaces/team-b", json={"description": "renamed team"})
    assert patched.status_code == 200
    assert patched.json == {"workspace": {**team_b, "description": "renamed team"}}
    assert client.get(f"{prefix}/workspaces/team-b").json["workspace"]["description"] == "renamed team"

    deleted = client.delete(f"{prefix}/workspaces/team-b")
    assert (deleted.status_code, deleted.get_data()) == (204, b"")
    assert_error(client.get(f"{prefix}/workspaces/team-b"), 404, "RESOURCE_DOES_NOT_EXIST",
                 "Workspace 'team-b' not found.")
    assert [ws["name"] for ws in listed(client, prefix)] == ["default", "team-a"]


def test_duplicate_is_refused(client):
    assert create(client, "team-a").status_code == 201
    assert_error(create(client, "team-a"), 400, "RESOURCE_ALREADY_EXISTS", "Workspace 'team-a' already exists.")


def test_artifact_root_is_trimmed_and_empty_means_unset(client):
    assert create(client, "trim", default_artifact_root="  s3://bucket/t  ").json["workspace"] == {
        "name": "trim", "default_artifact_root": "s3://bucket/t"}
    assert create(client, "blank", default_artifact_root="   ").json["workspace"] == {"name": "blank"}


NAMES = [
    # (name sent, message fragment) - seeds' naming rules, checked in this order
    (5, "Parameter 'name' must be a string, got int 5."),
    (["team-a"], "Parameter 'name' must be a string, got list"),
    ("a", "Workspace name 'a' must be between 2 and 63 characters."),
    ("", "Workspace name '' must be between 2 and 63 characters."),
    ("a" * 64, "must be between 2 and 63 characters."),
    ("Team-A", f"Workspace name 'Team-A' must match the pattern {PATTERN}"),
    ("a--b", f"Workspace name 'a--b' must match the pattern {PATTERN}"),
    ("-ab", "must match the pattern"),
    ("ab-", "must match the pattern"),
    ("a_b", "must match the pattern"),
    ("a b", "must match the pattern"),
    ("tëam", "must match the pattern"),
    ("team-a\n", "must match the pattern"),  # '$' alone would let a trailing newline through
    ("workspaces", "Workspace name 'workspaces' is reserved and cannot be used."),
    ("api", "Workspace name 'api' is reserved and cannot be used."),
    ("ajax-api", "Workspace name 'ajax-api' is reserved and cannot be used."),
    ("static-files", "Workspace name 'static-files' is reserved and cannot be used."),
    ("default", "The 'default' workspace is reserved and cannot be created."),
]


def test_naming_rules(client):
    for name, fragment in NAMES:
        assert_error(create(client, name), 400, "INVALID_PARAMETER_VALUE", fragment)
    assert_error(client.post(WORKSPACES, json={"description": "no name"}), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'name'.")
    assert listed(client) == [DEFAULT]
    for name in ("ab", "a" * 63, "0-9", "team-a-1"):
        assert create(client, name).status_code == 201, name


def test_get_one(client):
    assert client.get(f"{WORKSPACES}/default").json == {"workspace": DEFAULT}
    assert_error(client.get(f"{WORKSPACES}/nope-ws"), 404, "RESOURCE_DOES_NOT_EXIST",
                 "Workspace 'nope-ws' not found.")
    assert_error(client.get(f"{WORKSPACES}/Bad_Name"), 400, "INVALID_PARAMETER_VALUE",
                 "Workspace name 'Bad_Name' must match the pattern")


def test_names_are_immutable(client):
    create(client, "team-a", description="d")
    assert_error(client.patch(f"{WORKSPACES}/team-a", json={"name": "team-z"}), 400, "INVALID_PARAMETER_VALUE",
                 "Workspace names are immutable; only description and default_artifact_root can change.")
    same = client.patch(f"{WORKSPACES}/team-a", json={"name": "team-a", "description": "e"})
    assert same.json == {"workspace": {"name": "team-a", "description": "e"}}
    assert client.get(f"{WORKSPACES}/team-z").status_code == 404


def test_update_artifact_root_set_and_clear(client):
    create(client, "team-a", description="d")
    set_root = client.patch(f"{WORKSPACES}/team-a", json={"default_artifact_root": " s3://bucket/a "})
    assert set_root.json == {"workspace": {"name": "team-a", "description": "d",
                                           "default_artifact_root": "s3://bucket/a"}}
    cleared = client.patch(f"{WORKSPACES}/team-a", json={"default_artifact_root": ""})
    assert cleared.json == {"workspace": {"name": "team-a", "description": "d"}}
    assert client.get(f"{WORKSPACES}/team-a").json == {"workspace": {"name": "team-a", "description": "d"}}


def test_update_needs_a_key_and_an_existing_workspace(client):
    create(client, "team-a")
    assert_error(client.patch(f"{WORKSPACES}/team-a", json={}), 400, "INVALID_PARAMETER_VALUE",
                 "Workspace update must have at least one key")
    assert_error(client.patch(f"{WORKSPACES}/nope-ws", json={"description": "x"}), 404,
                 "RESOURCE_DOES_NOT_EXIST", "Workspace 'nope-ws' not found.")
    default = client.patch(f"{WORKSPACES}/default", json={"description": "the usual"})
    assert default.json == {"workspace": {"name": "default", "description": "the usual"}}


@pytest.mark.parametrize("root, fragment", [
    ("s3://bucket/path#part", "'default_artifact_root' URL can't include fragments or params."),
    ("https://host/path;params", "'default_artifact_root' URL can't include fragments or params."),
    ("s3://bucket/path?versionId=1", "'default_artifact_root' URL can't include a query string."),
])
def test_artifact_root_fragments_params_and_queries_are_refused(client, root, fragment):
    assert_error(create(client, "team-a", default_artifact_root=root), 400, "INVALID_PARAMETER_VALUE", fragment)
    assert create(client, "team-a").status_code == 201
    assert_error(client.patch(f"{WORKSPACES}/team-a", json={"default_artifact_root": root}), 400,
                 "INVALID_PARAMETER_VALUE", fragment)
    assert client.get(f"{WORKSPACES}/team-a").json == {"workspace": {"name": "team-a"}}


def test_delete_refusals(client):
    assert_error(client.delete(f"{WORKSPACES}/default"), 400, "INVALID_PARAMETER_VALUE",
                 "The 'default' workspace is reserved and cannot be deleted.")
    assert_error(client.delete(f"{WORKSPACES}/nope-ws"), 404, "RESOURCE_DOES_NOT_EXIST",
                 "Workspace 'nope-ws' not found.")
    create(client, "team-a")
    assert_error(client.delete(f"{WORKSPACES}/team-a?mode=BOGUS"), 400, "INVALID_PARAMETER_VALUE",
                 "Invalid deletion mode 'BOGUS'. Must be one of: RESTRICT, CASCADE, SET_DEFAULT.")
    assert_error(client.delete(f"{WORKSPACES}/team-a?mode=cascade"), 400, "INVALID_PARAMETER_VALUE",
                 "Deletion mode CASCADE is not supported")
    assert client.get(f"{WORKSPACES}/team-a").status_code == 200
    assert client.delete(f"{WORKSPACES}/team-a?mode=restrict").status_code == 204


def test_delete_is_refused_while_experiments_exist(client):
    create(client, "team-a")
    header = {HEADER: "team-a"}
    ids = [client.post(f"{API}/experiments/create", json={"name": name}, headers=header).json["experiment_id"]
           for name in ("exp-b", "exp-a")]
    client.post(f"{API}/experiments/delete", json={"experiment_id": ids[0]}, headers=header)
    response = client.delete(f"{WORKSPACES}/team-a")
    assert_error(response, 409, "INVALID_STATE",
                 "Cannot delete workspace 'team-a': it still holds 2 experiment(s) (e.g. 'exp-a', 'exp-b')")
    assert client.get(f"{WORKSPACES}/team-a").status_code == 200
    got = client.get(f"{API}/experiments/get?experiment_id={ids[1]}", headers=header)
    assert got.json["experiment"]["name"] == "exp-a"


def test_delete_message_lists_a_few_names(client):
    create(client, "busy")
    for i in range(7):
        client.post(f"{API}/experiments/create", json={"name": f"e{i}"}, headers={HEADER: "busy"})
    response = client.delete(f"{WORKSPACES}/busy")
    assert_error(response, 409, "INVALID_STATE", "holds 7 experiment(s) (e.g. 'e0', 'e1', 'e2', 'e3', 'e4')")


# --- the X-MLFLOW-WORKSPACE header ---------------------------------------------------------------


def names_in(client, header_value: str | None):
    headers = {} if header_value is None else {HEADER: header_value}
    return client.post(f"{API}/experiments/search", json={"order_by": ["name"]}, headers=headers)


def test_header_scopes_requests(client):
    create(client, "team-a")
    client.post(f"{API}/experiments/create", json={"name": "in-a"}, headers={HEADER: "team-a"})
    for value in ("team-a", "  team-a  ", "\tteam-a"):
        assert [e["name"] for e in names_in(client, value).json["experiments"]] == ["in-a"], repr(value)
    for value in (None, "", "   ", "default", " default "):
        assert [e["name"] for e in names_in(client, value).json["experiments"]] == ["Default"], repr(value)


def test_bad_headers(client):
    assert_error(names_in(client, "Team-A"), 400, "INVALID_PARAMETER_VALUE",
                 f"Workspace name 'Team-A' must match the pattern {PATTERN}")
    assert_error(names_in(client, "api"), 400, "INVALID_PARAMETER_VALUE",
                 "Workspace name 'api' is reserved and cannot be used.")
    assert_error(names_in(client, "x"), 400, "INVALID_PARAMETER_VALUE", "must be between 2 and 63 characters")
    assert_error(names_in(client, "nope-ws"), 404, "RESOURCE_DOES_NOT_EXIST", "Workspace 'nope-ws' not found.")
    create(client, "gone")
    client.delete(f"{WORKSPACES}/gone")
    assert_error(names_in(client, "gone"), 404, "RESOURCE_DOES_NOT_EXIST", "Workspace 'gone' not found.")


def test_header_does_not_scope_workspace_routes(client):
    create(client, "team-a")
    response = client.get(WORKSPACES, headers={HEADER: "nope-ws"})
    assert [ws["name"] for ws in response.json["workspaces"]] == ["default", "team-a"]


# --- workspaces disabled ------------------------------------------------------------------------


def test_without_workspaces(make_app):
    client = make_app(workspaces_enabled=False).test_client()
    for prefix in V3:
        for method, path in (("GET", "/workspaces"), ("POST", "/workspaces"), ("GET", "/workspaces/default"),
                             ("PATCH", "/workspaces/team-a"), ("DELETE", "/workspaces/team-a")):
            response = client.open(f"{prefix}{path}", method=method, json={"name": "team-a"})
            assert_error(response, 404, "ENDPOINT_NOT_FOUND",
                         f"{prefix}{path} is disabled because this server runs without workspaces; "
                         "restart it with --enable-workspaces")
    assert_error(names_in(client, "team-a"), 400, "INVALID_PARAMETER_VALUE",
                 f"Header {HEADER}: 'team-a' was sent, but this server runs without workspaces")
    for value in (None, "", "default", " default "):
        assert [e["name"] for e in names_in(client, value).json["experiments"]] == ["Default"], repr(value)
    info = client.get("/api/3.0/mlflow/server-info", headers={HEADER: "team-a"})
    assert info.json == {"store_type": "SqlStore", "workspaces_enabled": False}


# --- server-info, health, version ----------------------------------------------------------------


@pytest.mark.parametrize("prefix", V3)
def test_server_info(client, prefix):
    expected = {"store_type": "SqlStore", "workspaces_enabled": True}
    for headers in ({}, {HEADER: "default"}, {HEADER: "nope-ws"}, {HEADER: "Not A Name!"}):
        response = client.get(f"{prefix}/server-info", headers=headers)
        assert (response.status_code, response.json) == (200, expected), headers


def test_health_and_version(client):
    health = client.get("/health")
    assert (health.status_code, health.get_data(as_text=True)) == (200, "OK")
    version = client.get("/version")
    assert (version.status_code, version.get_data(as_text=True)) == (200, tracking.__version__)
    assert client.get("/health", headers={HEADER: "Not A Name!"}).status_code == 200
