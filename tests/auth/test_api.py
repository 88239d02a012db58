"""The users and permission REST endpoints: MLflow's paths and JSON shapes, who may call each,
and bad input on every one (4xx JSON, never a 500, never raw SQL)."""

from __future__ import annotations

import uuid

import pytest

from tests.auth.conftest import ADMIN, PASSWORD, admin_headers, admin_post, as_user, basic_auth, new_user

API = "/api/2.0/mlflow"
WS_API = "/api/3.0/mlflow"
TEAM = "team-a"
SQL_WORDS = ("SELECT", "INSERT", "UPDATE ", "DELETE FROM", "sqlalchemy", "sqlite3", "psycopg", "IntegrityError",
             "$argon2", "Traceback")


def unique(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def world(make_module_auth_app):
    """team-a with an experiment and a model; 'target' has no grants; 'owner' created both."""
    client = make_module_auth_app().test_client()
    admin_post(client, f"{WS_API}/workspaces", {"name": TEAM})
    owner = new_user(client, "owner")
    target = new_user(client, "target")
    admin_post(client, f"{WS_API}/workspaces/{TEAM}/permissions", {"username": owner, "permission": "EDIT"})
    experiment_id = client.post(f"{API}/experiments/create", json={"name": "owned"},
                                headers=as_user(owner, TEAM)).json["experiment_id"]
    assert client.post(f"{API}/registered-models/create", json={"name": "owned-model"},
                       headers=as_user(owner, TEAM)).status_code == 200
    return client, experiment_id


def send(client, method: str, path: str, data=None, headers=None):
    """GET sends data as the query, other methods as a JSON body (as the mlflow client does)."""
    if method == "GET":
        return client.get(path, query_string=data or {}, headers=headers)
    return client.open(path, method=method, json=data, headers=headers)


def assert_error(response, status: int, code: str, message: str | None = None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error_code", "message"} and response.json["error_code"] == code
    if message is not None:
        assert message in response.json["message"], response.json["message"]
    assert not any(word in response.get_data(as_text=True) for word in SQL_WORDS)


# users ---------------------------------------------------------------------------------------------

def test_users_create_get_list_shapes(world):
    client, _ = world
    name = unique()
    created = client.post(f"{API}/users/create", json={"username": name, "password": PASSWORD}, headers=admin_headers())
    assert created.status_code == 200
    user = created.json["user"]
    assert user == {"id": user["id"], "username": name, "is_admin": False, "experiment_permissions": [],
                    "registered_model_permissions": [], "scorer_permissions": []}
    assert client.get(f"{API}/users/get", query_string={"username": name}, headers=admin_headers()).json == {"user": user}
    listed = client.get(f"{API}/users/list", headers=admin_headers()).json["users"]
    assert {"id": user["id"], "username": name, "is_admin": False} in listed
    assert listed[0] == {"id": 1, "username": ADMIN, "is_admin": True}
    assert client.get("/ajax-api/2.0/mlflow/users/list", headers=admin_headers()).json["users"] == listed


def test_users_get_lists_the_users_grants(world):
    client, experiment_id = world
    owner = client.get(f"{API}/users/get", query_string={"username": "owner"}, headers=basic_auth("owner")).json["user"]
    assert owner["experiment_permissions"] == [{"experiment_id": experiment_id, "user_id": owner["id"],
                                                "permission": "MANAGE"}]
    assert owner["registered_model_permissions"] == [{"name": "owned-model", "user_id": owner["id"],
                                                      "permission": "MANAGE", "workspace": TEAM}]


def test_who_may_call_the_user_endpoints(world):
    client, _ = world
    alice, bob = new_user(client), new_user(client)
    as_alice = basic_auth(alice)
    # self or admin
    assert client.get(f"{API}/users/get", query_string={"username": alice}, headers=as_alice).status_code == 200
    assert client.get(f"{API}/users/get", query_string={"username": bob}, headers=as_alice).status_code == 403
    assert client.patch(f"{API}/users/update-password", json={"username": alice, "password": "alices-new-password"},
                        headers=as_alice).json == {}
    as_alice = basic_auth(alice, "alices-new-password")
    assert client.patch(f"{API}/users/update-password", json={"username": bob, "password": "set-by-alice-123"},
                        headers=as_alice).status_code == 403
    # admin only
    for method, path, body in (("POST", "users/create", {"username": unique(), "password": PASSWORD}),
                               ("GET", "users/list", None),
                               ("PATCH", "users/update-admin", {"username": alice, "is_admin": True}),
                               ("DELETE", "users/delete", {"username": bob})):
        assert_error(send(client, method, f"{API}/{path}", body, as_alice), 403, "PERMISSION_DENIED",
                     "is for admins only")
    assert client.get(f"{API}/users/get", query_string={"username": bob}, headers=admin_headers()).status_code == 200


def test_admin_flag_and_delete(world):
    client, _ = world
    name = new_user(client)
    assert client.patch(f"{API}/users/update-admin", json={"username": name, "is_admin": True},
                        headers=admin_headers()).json == {}
    assert client.get(f"{API}/users/list", headers=basic_auth(name)).status_code == 200
    # another admin may demote the bootstrap admin, but nobody demotes or deletes themselves
    assert_error(client.patch(f"{API}/users/update-admin", json={"username": name, "is_admin": False},
                              headers=basic_auth(name)), 409, "INVALID_STATE", "cannot remove your own admin flag")
    assert_error(client.delete(f"{API}/users/delete", json={"username": name}, headers=basic_auth(name)),
                 409, "INVALID_STATE", "cannot delete yourself")
    assert_error(client.patch(f"{API}/users/update-admin", json={"username": ADMIN, "is_admin": False},
                              headers=admin_headers()), 409, "INVALID_STATE")
    assert_error(client.delete(f"{API}/users/delete", json={"username": ADMIN}, headers=admin_headers()),
                 409, "INVALID_STATE")
    assert client.patch(f"{API}/users/update-admin", json={"username": name, "is_admin": True},
                        headers=basic_auth(name)).status_code == 200  # keeping one's own flag is fine
    # a user holding grants can be deleted (MLflow refused with raw SQL)
    admin_post(client, f"{WS_API}/workspaces/{TEAM}/permissions", {"username": name, "permission": "READ"})
    client.patch(f"{API}/users/update-admin", json={"username": name, "is_admin": False}, headers=admin_headers())
    assert client.delete(f"{API}/users/delete", json={"username": name}, headers=admin_headers()).json == {}
    assert_error(client.get(f"{API}/users/get", query_string={"username": name}, headers=admin_headers()),
                 404, "RESOURCE_DOES_NOT_EXIST", f"User with username={name} not found")


USER_BAD_INPUT = [
    ("POST", "users/create", {"password": PASSWORD}, 400, "INVALID_PARAMETER_VALUE",
     "Missing value for required parameter 'username'."),
    ("POST", "users/create", {"username": "someone-new"}, 400, "INVALID_PARAMETER_VALUE",
     "Missing value for required parameter 'password'."),
    ("POST", "users/create", {"username": "owner", "password": PASSWORD}, 400, "RESOURCE_ALREADY_EXISTS",
     "User (username=owner) already exists."),
    ("POST", "users/create", {"username": 42, "password": PASSWORD}, 400, "INVALID_PARAMETER_VALUE", "must be a string"),
    ("POST", "users/create", {"username": "", "password": PASSWORD}, 400, "INVALID_PARAMETER_VALUE", "non-empty"),
    ("POST", "users/create", {"username": "   ", "password": PASSWORD}, 400, "INVALID_PARAMETER_VALUE", "non-empty"),
    ("POST", "users/create", {"username": "a:b", "password": PASSWORD}, 400, "INVALID_PARAMETER_VALUE", "without ':'"),
    ("POST", "users/create", {"username": "tab\there", "password": PASSWORD}, 400, "INVALID_PARAMETER_VALUE",
     "control characters"),
    ("POST", "users/create", {"username": "x" * 256, "password": PASSWORD}, 400, "INVALID_PARAMETER_VALUE",
     "the limit is 255"),
    ("POST", "users/create", {"username": "short-pw", "password": "short"}, 400, "INVALID_PARAMETER_VALUE",
     "at least 12 characters"),
    ("POST", "users/create", [1, 2], 400, "MALFORMED_REQUEST", "must be a JSON object"),
    ("GET", "users/get", {}, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'username'."),
    ("GET", "users/get", {"username": "ghost"}, 404, "RESOURCE_DOES_NOT_EXIST", "User with username=ghost not found"),
    ("PATCH", "users/update-password", {"username": "ghost", "password": PASSWORD}, 404, "RESOURCE_DOES_NOT_EXIST",
     "User with username=ghost not found"),
    ("PATCH", "users/update-password", {"username": "target"}, 400, "INVALID_PARAMETER_VALUE",
     "Missing value for required parameter 'password'."),
    ("PATCH", "users/update-password", {"username": "target", "password": ["x"] * 20}, 400,
     "INVALID_PARAMETER_VALUE", "at least 12 characters"),
    ("PATCH", "users/update-admin", {"username": "ghost", "is_admin": True}, 404, "RESOURCE_DOES_NOT_EXIST",
     "User with username=ghost not found"),
    ("PATCH", "users/update-admin", {"username": "target"}, 400, "INVALID_PARAMETER_VALUE",
     "Missing value for required parameter 'is_admin'."),
    ("PATCH", "users/update-admin", {"username": "target", "is_admin": "maybe"}, 400, "INVALID_PARAMETER_VALUE",
     "must be true or false"),
    ("PATCH", "users/update-admin", {"username": "target", "is_admin": 1}, 400, "INVALID_PARAMETER_VALUE",
     "must be true or false"),
    ("DELETE", "users/delete", {"username": "ghost"}, 404, "RESOURCE_DOES_NOT_EXIST", "User with username=ghost not found"),
    ("DELETE", "users/delete", {}, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'username'."),
]


@pytest.mark.parametrize("method, path, data, status, code, message", USER_BAD_INPUT,
                         ids=[f"{m} {p} {str(d)[:30]}" for m, p, d, *_ in USER_BAD_INPUT])
def test_bad_input_on_user_endpoints(world, method, path, data, status, code, message):
    client, _ = world
    assert_error(send(client, method, f"{API}/{path}", data, admin_headers()), status, code, message)


def test_a_body_that_is_not_json_is_refused(world):
    client, _ = world
    response = client.post(f"{API}/users/create", data="username=x&password=y", headers=admin_headers(),
                           content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, "MALFORMED_REQUEST", "not valid JSON")


# experiment and registered-model permissions --------------------------------------------------------

KINDS = {
    "experiment": ("experiments/permissions", "experiment_id", "experiment_permission"),
    "registered model": ("registered-models/permissions", "name", "registered_model_permission"),
}


def _key(world, kind):
    client, experiment_id = world
    return experiment_id if kind == "experiment" else "owned-model"


def _shape(kind, key, user_id, permission):
    if kind == "experiment":
        return {"experiment_id": key, "user_id": user_id, "permission": permission}
    return {"name": key, "user_id": user_id, "permission": permission, "workspace": TEAM}


@pytest.mark.parametrize("kind", KINDS)
def test_resource_permission_crud(world, kind):
    client, _ = world
    path, field, answer = KINDS[kind]
    key, name = _key(world, kind), new_user(client)
    user_id = client.get(f"{API}/users/get", query_string={"username": name}, headers=admin_headers()).json["user"]["id"]
    admin = as_user(None, TEAM)
    created = client.post(f"{API}/{path}/create", json={field: key, "username": name, "permission": "READ"}, headers=admin)
    assert created.json == {answer: _shape(kind, key, user_id, "READ")}
    fetched = client.get(f"{API}/{path}/get", query_string={field: key, "username": name}, headers=admin)
    assert fetched.json == {answer: _shape(kind, key, user_id, "READ")}
    assert client.patch(f"{API}/{path}/update", json={field: key, "username": name, "permission": "EDIT"},
                        headers=admin).json == {}
    assert client.get(f"{API}/{path}/get", query_string={field: key, "username": name},
                      headers=admin).json[answer]["permission"] == "EDIT"
    assert client.delete(f"{API}/{path}/delete", json={field: key, "username": name}, headers=admin).json == {}
    assert_error(client.get(f"{API}/{path}/get", query_string={field: key, "username": name}, headers=admin),
                 404, "RESOURCE_DOES_NOT_EXIST", f"permission with {_where(kind, key)} and username={name} not found")
    # DELETE may also carry its fields in the query
    admin_post(client, f"{API}/{path}/create", {field: key, "username": name, "permission": "READ"}, TEAM)
    assert client.delete(f"{API}/{path}/delete", query_string={field: key, "username": name}, headers=admin).json == {}


def _where(kind, key):
    return f"experiment_id={key}" if kind == "experiment" else f"workspace={TEAM}, name={key}"


@pytest.mark.parametrize("kind", KINDS)
def test_who_may_manage_resource_permissions(world, kind):
    client, _ = world
    path, field, _ = KINDS[kind]
    key = _key(world, kind)
    editor, manager, grantee = new_user(client), new_user(client), new_user(client)
    admin_post(client, f"{WS_API}/workspaces/{TEAM}/permissions", {"username": editor, "permission": "EDIT"})
    admin_post(client, f"{WS_API}/workspaces/{TEAM}/permissions", {"username": manager, "permission": "MANAGE"})
    body = {field: key, "username": grantee, "permission": "READ"}
    assert_error(client.post(f"{API}/{path}/create", json=body, headers=as_user(editor, TEAM)), 403,
                 "PERMISSION_DENIED", "needs 'manage'")
    assert_error(client.get(f"{API}/{path}/get", query_string={field: key, "username": "owner"},
                            headers=as_user(editor, TEAM)), 403, "PERMISSION_DENIED", "needs 'manage'")
    assert client.post(f"{API}/{path}/create", json=body, headers=as_user(manager, TEAM)).status_code == 200
    # the creator holds MANAGE on what they created
    assert client.patch(f"{API}/{path}/update", json={**body, "permission": "USE"},
                        headers=as_user("owner", TEAM)).status_code == 200
    assert client.delete(f"{API}/{path}/delete", json={field: key, "username": grantee},
                         headers=as_user("owner", TEAM)).status_code == 200


def _permission_bad_input(kind):
    path, field, _ = KINDS[kind]
    missing_key = "99999" if kind == "experiment" else "no-such-model"
    missing = "No experiment with id '99999' exists in workspace 'team-a'." if kind == "experiment" else \
        "Registered Model with name=no-such-model not found in workspace 'team-a'."
    return [
        ("POST", f"{path}/create", {"username": "target", "permission": "READ"}, 400, "INVALID_PARAMETER_VALUE",
         f"Missing value for required parameter '{field}'."),
        ("POST", f"{path}/create", {field: "KEY", "permission": "READ"}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'username'."),
        ("POST", f"{path}/create", {field: "KEY", "username": "target"}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'permission'."),
        ("POST", f"{path}/create", {field: "KEY", "username": "target", "permission": "WRITE"}, 400,
         "INVALID_PARAMETER_VALUE", "Invalid permission 'WRITE'. Valid permissions are: NO_PERMISSIONS, READ, USE, "
                                    "EDIT, MANAGE"),
        ("POST", f"{path}/create", {field: "KEY", "username": "target", "permission": "read"}, 400,
         "INVALID_PARAMETER_VALUE", "Invalid permission 'read'"),
        ("POST", f"{path}/create", {field: "KEY", "username": "target", "permission": 3}, 400,
         "INVALID_PARAMETER_VALUE", "must be a string"),
        ("POST", f"{path}/create", {field: ["KEY"], "username": "target", "permission": "READ"}, 400,
         "INVALID_PARAMETER_VALUE", "must be a string"),
        ("POST", f"{path}/create", {field: "KEY", "username": {"x": 1}, "permission": "READ"}, 400,
         "INVALID_PARAMETER_VALUE", "must be a string"),
        ("POST", f"{path}/create", {field: "KEY", "username": "ghost", "permission": "READ"}, 404,
         "RESOURCE_DOES_NOT_EXIST", "User with username=ghost not found"),
        ("POST", f"{path}/create", {field: missing_key, "username": "target", "permission": "READ"}, 404,
         "RESOURCE_DOES_NOT_EXIST", missing),
        ("POST", f"{path}/create", {field: "KEY", "username": "owner", "permission": "READ"}, 400,
         "RESOURCE_ALREADY_EXISTS", f"permission ({_where(kind, 'KEY')}, username=owner) already exists."),
        ("GET", f"{path}/get", {field: "KEY", "username": "target"}, 404, "RESOURCE_DOES_NOT_EXIST",
         f"permission with {_where(kind, 'KEY')} and username=target not found"),
        ("GET", f"{path}/get", {field: "KEY", "username": "ghost"}, 404, "RESOURCE_DOES_NOT_EXIST",
         "User with username=ghost not found"),
        ("GET", f"{path}/get", {field: "KEY"}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'username'."),
        ("PATCH", f"{path}/update", {field: "KEY", "username": "target", "permission": "READ"}, 404,
         "RESOURCE_DOES_NOT_EXIST", "username=target not found"),
        ("PATCH", f"{path}/update", {field: "KEY", "username": "owner", "permission": "ALL"}, 400,
         "INVALID_PARAMETER_VALUE", "Invalid permission 'ALL'"),
        ("PATCH", f"{path}/update", {field: missing_key, "username": "owner", "permission": "READ"}, 404,
         "RESOURCE_DOES_NOT_EXIST", missing),
        ("DELETE", f"{path}/delete", {field: "KEY", "username": "target"}, 404, "RESOURCE_DOES_NOT_EXIST",
         "username=target not found"),
        ("DELETE", f"{path}/delete", {field: "KEY", "username": "ghost"}, 404, "RESOURCE_DOES_NOT_EXIST",
         "User with username=ghost not found"),
    ]


BAD_PERMISSION_INPUT = [(kind, *case) for kind in KINDS for case in _permission_bad_input(kind)]


@pytest.mark.parametrize("kind, method, path, data, status, code, message", BAD_PERMISSION_INPUT,
                         ids=[f"{m} {p} {str(d)[:40]}" for _, m, p, d, *_ in BAD_PERMISSION_INPUT])
def test_bad_input_on_resource_permission_endpoints(world, kind, method, path, data, status, code, message):
    client, _ = world
    key = _key(world, kind)
    data = {k: (key if v == "KEY" else v) for k, v in data.items()}
    assert_error(send(client, method, f"{API}/{path}", data, as_user(None, TEAM)), status, code,
                 message.replace("KEY", key))


# workspace permissions ----------------------------------------------------------------------------

@pytest.fixture
def team(world):
    """A fresh workspace and its manager (MANAGE, not an admin)."""
    client, _ = world
    name, manager = unique("team"), new_user(client)
    admin_post(client, f"{WS_API}/workspaces", {"name": name})
    admin_post(client, f"{WS_API}/workspaces/{name}/permissions", {"username": manager, "permission": "MANAGE"})
    return name, manager


def test_workspace_permission_crud_and_shapes(world, team):
    client, _ = world
    workspace, manager = team
    name = new_user(client)
    user_id = client.get(f"{API}/users/get", query_string={"username": name}, headers=admin_headers()).json["user"]["id"]
    path = f"{WS_API}/workspaces/{workspace}/permissions"
    created = client.post(path, json={"username": name, "permission": "READ"}, headers=admin_headers())
    expected = {"workspace": workspace, "user_id": user_id, "username": name, "permission": "READ", "can_use": False}
    assert (created.status_code, created.json) == (200, {"permission": expected})
    upserted = client.post(path, json={"username": name, "permission": "USE"}, headers=admin_headers())
    assert upserted.json == {"permission": {**expected, "permission": "USE", "can_use": True}}
    listed = client.get(path, headers=admin_headers()).json["permissions"]
    assert [(p["username"], p["permission"]) for p in listed] == sorted([(manager, "MANAGE"), (name, "USE")])
    across = client.get(f"{WS_API}/workspace-permissions", query_string={"username": name}, headers=admin_headers())
    assert across.json == {"permissions": [{**expected, "permission": "USE", "can_use": True}]}
    removed = client.delete(path, query_string={"username": name}, headers=admin_headers())
    assert (removed.status_code, removed.get_data()) == (204, b"")
    assert_error(client.delete(path, query_string={"username": name}, headers=admin_headers()), 404,
                 "RESOURCE_DOES_NOT_EXIST",
                 f"Workspace permission does not exist for workspace='{workspace}', username='{name}'")
    admin_post(client, path, {"username": name, "permission": "EDIT"})
    assert client.delete(path, json={"username": name}, headers=admin_headers()).status_code == 204  # JSON body too


def test_who_may_call_the_workspace_permission_endpoints(world, team):
    client, _ = world
    workspace, manager = team
    editor = new_user(client)
    admin_post(client, f"{WS_API}/workspaces/{workspace}/permissions", {"username": editor, "permission": "EDIT"})
    path = f"{WS_API}/workspaces/{workspace}/permissions"
    assert client.get(path, headers=as_user(manager)).status_code == 200
    for method, body in (("GET", None), ("POST", {"username": editor, "permission": "READ"}),
                         ("DELETE", {"username": manager})):
        assert_error(send(client, method, path, body, as_user(editor)), 403, "PERMISSION_DENIED", "needs 'manage'")
    for who in (manager, editor):
        assert_error(client.get(f"{WS_API}/workspace-permissions", query_string={"username": who},
                                headers=as_user(who)), 403, "PERMISSION_DENIED", "is for admins only")
    # a manager of one workspace manages nothing in another
    assert_error(client.get(f"{WS_API}/workspaces/{TEAM}/permissions", headers=as_user(manager)), 403,
                 "PERMISSION_DENIED")


def test_a_manager_delegates_below_manage(world, team):
    client, _ = world
    workspace, manager = team
    path = f"{WS_API}/workspaces/{workspace}/permissions"
    member, other_manager = new_user(client), new_user(client)
    admin_post(client, path, {"username": other_manager, "permission": "MANAGE"})
    for level in ("READ", "USE", "EDIT", "NO_PERMISSIONS"):
        response = client.post(path, json={"username": member, "permission": level}, headers=as_user(manager))
        assert response.status_code == 200 and response.json["permission"]["permission"] == level
    assert client.delete(path, query_string={"username": member}, headers=as_user(manager)).status_code == 204
    # ... but may not hand out MANAGE, nor touch another manager's grant
    assert_error(client.post(path, json={"username": member, "permission": "MANAGE"}, headers=as_user(manager)),
                 403, "PERMISSION_DENIED", "Only admins may grant MANAGE on a workspace.")
    assert_error(client.post(path, json={"username": other_manager, "permission": "READ"}, headers=as_user(manager)),
                 403, "PERMISSION_DENIED", "Only admins may change or remove another user's MANAGE grant.")
    assert_error(client.delete(path, query_string={"username": other_manager}, headers=as_user(manager)),
                 403, "PERMISSION_DENIED", "Only admins may change or remove another user's MANAGE grant.")
    grants = {p["username"]: p["permission"] for p in client.get(path, headers=admin_headers()).json["permissions"]}
    assert grants == {manager: "MANAGE", other_manager: "MANAGE"}
    # a manager may step down themselves, and then manages no more
    assert client.post(path, json={"username": manager, "permission": "EDIT"}, headers=as_user(manager)).status_code == 200
    assert client.get(path, headers=as_user(manager)).status_code == 403


def _workspace_bad_input():
    return [
        ("POST", {"permission": "READ"}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'username'."),
        ("POST", {"username": "target"}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'permission'."),
        ("POST", {"username": "target", "permission": "WRITE"}, 400, "INVALID_PARAMETER_VALUE",
         "Invalid permission 'WRITE'"),
        ("POST", {"username": "target", "permission": None}, 400, "INVALID_PARAMETER_VALUE",
         "Missing value for required parameter 'permission'."),
        ("POST", {"username": ["target"], "permission": "READ"}, 400, "INVALID_PARAMETER_VALUE", "must be a string"),
        ("POST", {"username": "ghost", "permission": "READ"}, 404, "RESOURCE_DOES_NOT_EXIST",
         "User with username=ghost not found"),
        ("POST", "not an object", 400, "MALFORMED_REQUEST", "must be a JSON object"),
        ("DELETE", {}, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'username'."),
        ("DELETE", {"username": "ghost"}, 404, "RESOURCE_DOES_NOT_EXIST", "User with username=ghost not found"),
    ]


@pytest.mark.parametrize("method, data, status, code, message", _workspace_bad_input())
def test_bad_input_on_workspace_permission_endpoints(world, method, data, status, code, message):
    client, _ = world
    assert_error(send(client, method, f"{WS_API}/workspaces/{TEAM}/permissions", data, admin_headers()),
                 status, code, message)


@pytest.mark.parametrize("method, data", [("GET", None), ("POST", {"username": "target", "permission": "READ"}),
                                          ("DELETE", {"username": "target"})])
def test_an_unknown_workspace_is_404_for_admins_and_403_for_others(world, method, data):
    client, _ = world
    path = f"{WS_API}/workspaces/no-such-team/permissions"
    assert_error(send(client, method, path, data, admin_headers()), 404, "RESOURCE_DOES_NOT_EXIST",
                 "Workspace 'no-such-team' not found.")
    assert_error(send(client, method, path, data, as_user("owner")), 403, "PERMISSION_DENIED")


def test_bad_input_on_the_user_workspace_permissions_endpoint(world):
    client, _ = world
    path = f"{WS_API}/workspace-permissions"
    assert_error(client.get(path, headers=admin_headers()), 400, "INVALID_PARAMETER_VALUE",
                 "Missing value for required parameter 'username'.")
    assert_error(client.get(path, query_string={"username": "ghost"}, headers=admin_headers()), 404,
                 "RESOURCE_DOES_NOT_EXIST", "User with username=ghost not found")
    assert client.get(path, query_string={"username": "target"}, headers=admin_headers()).json == {"permissions": []}


@pytest.mark.parametrize("kind", ["experiment", "registered_model"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_a_resource_owner_cannot_tell_which_usernames_exist(world, kind, method):
    # Anyone who may create an experiment owns it (MANAGE) and so may call its permission
    # endpoints: a real user without a grant and a missing user must look the same (issue 10).
    client, experiment_id = world
    key = {"experiment_id": experiment_id} if kind == "experiment" else {"name": "owned-model"}
    path = f"{API}/{'experiments' if kind == 'experiment' else 'registered-models'}/permissions/"
    path += {"GET": "get", "PATCH": "update", "DELETE": "delete"}[method]
    answers = []
    for username in ("target", f"nobody-{uuid.uuid4().hex[:8]}"):
        data = {**key, "username": username, **({"permission": "READ"} if method == "PATCH" else {})}
        response = send(client, method, path, data, as_user("owner", TEAM))
        message = response.json["message"].replace(username, "<name>")
        answers.append((response.status_code, response.json["error_code"], message))
    assert answers[0] == answers[1] and answers[0][0] == 404, answers
    # an admin still learns which it is
    missing = send(client, method, path, {**key, "username": "nobody-at-all",
                                          **({"permission": "READ"} if method == "PATCH" else {})}, as_user(None, TEAM))
    assert "User with username=nobody-at-all not found" in missing.json["message"]


def test_a_workspace_manager_cannot_tell_which_usernames_exist(world, team):
    client, _ = world
    workspace, manager = team
    answers = []
    for username in ("target", f"nobody-{uuid.uuid4().hex[:8]}"):
        response = client.delete(f"{WS_API}/workspaces/{workspace}/permissions",
                                 query_string={"username": username}, headers=as_user(manager))
        answers.append((response.status_code, response.json["message"].replace(username, "<name>")))
    assert answers[0] == answers[1] and answers[0][0] == 404, answers
