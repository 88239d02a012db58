"""MLflow's own `AuthServiceClient`, unchanged, managing users and grants against a real
`wsauth server --app-name basic-auth --enable-workspaces` (issue 4, items 8 and 11 and its "Done
when"): users, experiment and registered-model permissions, workspace permissions, and the errors
of each, which must be 4xx MlflowExceptions with a clear message, never a 500.

One server per database kind for the module (the helpers of test_auth_e2e.py start it); every
test uses its own users, workspaces and resources. The client reads MLFLOW_TRACKING_USERNAME /
MLFLOW_TRACKING_PASSWORD from the environment on every request, so `sign_in` switches users.
"""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.server.auth.client import AuthServiceClient

from tests.conftest import DATABASE_KINDS
from tests.integration.test_auth_e2e import (
    ADMIN, Account, auth_server, call, module_client, outcome, refused, sign_in,
)

pytestmark = pytest.mark.integration

USERS = "/api/2.0/mlflow/users"
WEAK = "Password must be a string of at least 12 characters"
INVALID_LEVEL = "Invalid permission 'SUPERUSER'. Valid permissions are: "


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request, tmp_path_factory):
    with auth_server(request.param, tmp_path_factory.mktemp(f"auth-client-{request.param}")) as process:
        yield process


@pytest.fixture
def admin(server, mlflow, monkeypatch):
    """AuthServiceClient signed in as the admin; the mlflow module aimed at the server."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    mlflow.set_tracking_uri(server.url)
    sign_in(monkeypatch, ADMIN)
    client = AuthServiceClient(server.url)
    client.mlflow = mlflow
    return client


@pytest.fixture
def new_user(admin):
    """new_user(prefix) -> an Account the admin just created."""

    def create(prefix: str = "user") -> Account:
        account = Account(_name(prefix), f"pw-{uuid.uuid4().hex}")
        admin.create_user(account.name, account.password)
        return account

    return create


@pytest.fixture
def place(server, admin):
    """A new workspace holding an experiment with a run and a registered model, made by the admin."""
    mlflow = admin.mlflow
    workspace = _name("ws")
    mlflow.create_workspace(name=workspace)
    mlflow.set_workspace(workspace)
    client = mlflow.MlflowClient()
    experiment_id = client.create_experiment(_name("exp"))
    run_id = client.create_run(experiment_id).info.run_id
    model = client.create_registered_model(_name("model")).name
    return SimpleNamespace(workspace=workspace, experiment_id=experiment_id, run_id=run_id, model=model)


@pytest.fixture(scope="module")
def known(server):
    """Things that exist, for the error cases: a user, a workspace, an experiment, a model."""
    with module_client(server) as (mlflow, monkeypatch):
        sign_in(monkeypatch, ADMIN)
        user = Account(_name("known"), f"pw-{uuid.uuid4().hex}")
        AuthServiceClient(server.url).create_user(user.name, user.password)
        workspace = _name("known")
        mlflow.create_workspace(name=workspace)
        mlflow.set_workspace(workspace)
        client = mlflow.MlflowClient()
        experiment_id = client.create_experiment(_name("exp"))
        model = client.create_registered_model(_name("model")).name
    return SimpleNamespace(user=user, workspace=workspace, experiment_id=experiment_id, model=model)


def signs_in(server, account: Account) -> int:
    """The status of the account reading itself (200 when its credentials work)."""
    return call(server, "GET", f"{USERS}/get", account, params={"username": account.name}).status_code


# users --------------------------------------------------------------------------------------------

def test_create_and_get_user(server, admin, monkeypatch):
    name, password = _name("new"), f"pw-{uuid.uuid4().hex}"
    created = admin.create_user(name, password)
    assert (created.username, created.is_admin) == (name, False) and isinstance(created.id, int)
    assert created.experiment_permissions == [] and created.registered_model_permissions == []
    got = admin.get_user(name)
    assert (got.id, got.username, got.is_admin) == (created.id, name, False)
    # No password and no hash ever comes back.
    raw = call(server, "GET", f"{USERS}/get", ADMIN, params={"username": name})
    assert raw.status_code == 200 and "password" not in raw.text and "$argon2" not in raw.text
    assert password not in raw.text
    # The new user signs in and sees themselves, nobody else.
    assert signs_in(server, Account(name, password)) == 200
    sign_in(monkeypatch, Account(name, password))
    assert admin.get_user(name).id == created.id
    refused(lambda: admin.get_user(ADMIN.name))
    refused(lambda: admin.create_user(_name("sneaky"), f"pw-{uuid.uuid4().hex}"))


def test_update_user_password(server, admin, new_user, monkeypatch):
    user = new_user("pw")
    assert signs_in(server, user) == 200  # now remembered by the worker's credential cache
    new = Account(user.name, f"new-{uuid.uuid4().hex}")
    admin.update_user_password(user.name, new.password)
    # Other workers drop the old password at their next counter read, at most a second later
    # (the bound itself is tested with a fake clock in tests/auth/test_caches.py); the deadline
    # here only keeps a broken server from hanging the test.
    deadline = time.monotonic() + 30
    while signs_in(server, user) != 401:
        assert time.monotonic() < deadline, "the old password still works 30 s after the change"
        time.sleep(0.05)
    assert signs_in(server, new) == 200

    # A user may change their own password (the policy applies), not anybody else's.
    sign_in(monkeypatch, new)
    refused(lambda: admin.update_user_password(user.name, "short"), "INVALID_PARAMETER_VALUE")
    assert signs_in(server, new) == 200
    refused(lambda: admin.update_user_password(ADMIN.name, f"pw-{uuid.uuid4().hex}"))
    newer = Account(user.name, f"newer-{uuid.uuid4().hex}")
    admin.update_user_password(user.name, newer.password)
    assert signs_in(server, newer) == 200 and signs_in(server, new) == 401
    sign_in(monkeypatch, ADMIN)
    assert signs_in(server, ADMIN) == 200


def test_update_user_admin(server, admin, new_user, monkeypatch):
    user = new_user("boss")
    users_list = lambda: call(server, "GET", f"{USERS}/list", user).status_code  # noqa: E731
    assert users_list() == 403  # remembered as a non-admin by the credential cache
    admin.update_user_admin(user.name, True)
    assert admin.get_user(user.name).is_admin is True
    assert users_list() == 200  # at once, on this worker
    admin.update_user_admin(user.name, False)
    assert admin.get_user(user.name).is_admin is False
    assert users_list() == 403
    # Nobody removes their own admin flag (the server would be left without an admin).
    error = refused(lambda: admin.update_user_admin(ADMIN.name, False), "INVALID_STATE")
    assert "own admin flag" in error.message
    assert admin.get_user(ADMIN.name).is_admin is True
    # A non-admin cannot make themselves an admin.
    sign_in(monkeypatch, user)
    refused(lambda: admin.update_user_admin(user.name, True))


def test_delete_user_removes_their_grants(server, admin, new_user, place, monkeypatch):
    user = new_user("gone")
    admin.set_workspace_permission(place.workspace, user.name, "EDIT")
    admin.create_experiment_permission(place.experiment_id, user.name, "READ")
    admin.create_registered_model_permission(place.model, user.name, "READ")
    # the user also creates an experiment, and so manages it
    sign_in(monkeypatch, user)
    own = admin.mlflow.MlflowClient().create_experiment(_name("own"))
    sign_in(monkeypatch, ADMIN)
    before = admin.get_user(user.name)
    assert sorted(p.experiment_id for p in before.experiment_permissions) == sorted([place.experiment_id, own])
    assert [(p.name, p.workspace) for p in before.registered_model_permissions] == [(place.model, place.workspace)]
    assert [p.workspace for p in admin.list_user_workspace_permissions(user.name)] == [place.workspace]
    assert signs_in(server, user) == 200

    admin.delete_user(user.name)
    refused(lambda: admin.get_user(user.name), "RESOURCE_DOES_NOT_EXIST")
    refused(lambda: admin.list_user_workspace_permissions(user.name), "RESOURCE_DOES_NOT_EXIST")
    assert signs_in(server, user) == 401
    assert before.id not in [p.user_id for p in admin.list_workspace_permissions(place.workspace)]

    # A new user of the same name inherits nothing.
    again = Account(user.name, f"pw-{uuid.uuid4().hex}")
    admin.create_user(again.name, again.password)
    fresh = admin.get_user(again.name)
    assert fresh.experiment_permissions == [] and fresh.registered_model_permissions == []
    assert admin.list_user_workspace_permissions(again.name) == []
    assert admin.list_workspace_permissions(place.workspace) == []
    for path, params in (("/api/2.0/mlflow/experiments/get", {"experiment_id": place.experiment_id}),
                         ("/api/2.0/mlflow/experiments/get", {"experiment_id": own}),
                         ("/api/2.0/mlflow/registered-models/get", {"name": place.model})):
        response = call(server, "GET", path, again, place.workspace, params=params)
        assert response.status_code == 403, (path, response.text)
    # The admin cannot delete themselves.
    refused(lambda: admin.delete_user(ADMIN.name), "INVALID_STATE")
    assert signs_in(server, ADMIN) == 200


# experiment and registered-model permissions -----------------------------------------------------

def test_experiment_permission_lifecycle(server, admin, new_user, place, monkeypatch):
    user = new_user("exp")
    mlflow = admin.mlflow
    client = mlflow.MlflowClient()
    as_user = lambda attempt: _as(monkeypatch, user, attempt)  # noqa: E731
    assert as_user(lambda: client.get_experiment(place.experiment_id)) == "PERMISSION_DENIED"

    created = admin.create_experiment_permission(place.experiment_id, user.name, "READ")
    user_id = admin.get_user(user.name).id
    assert (created.experiment_id, created.user_id, created.permission) == (place.experiment_id, user_id, "READ")
    got = admin.get_experiment_permission(place.experiment_id, user.name)
    assert (got.experiment_id, got.user_id, got.permission) == (place.experiment_id, user_id, "READ")
    assert as_user(lambda: client.get_experiment(place.experiment_id)) == "ALLOWED"
    assert as_user(lambda: client.set_experiment_tag(place.experiment_id, "k", "v")) == "PERMISSION_DENIED"
    sign_in(monkeypatch, user)
    assert [e.experiment_id for e in client.search_experiments()] == [place.experiment_id]
    sign_in(monkeypatch, ADMIN)

    admin.update_experiment_permission(place.experiment_id, user.name, "EDIT")
    assert admin.get_experiment_permission(place.experiment_id, user.name).permission == "EDIT"
    assert as_user(lambda: client.set_experiment_tag(place.experiment_id, "k", "v")) == "ALLOWED"
    assert as_user(lambda: client.log_metric(place.run_id, "m", 1.0)) == "ALLOWED"
    assert as_user(lambda: client.delete_run(place.run_id)) == "PERMISSION_DENIED"  # EDIT cannot delete
    assert client.get_experiment(place.experiment_id).tags["k"] == "v"

    refused(lambda: admin.create_experiment_permission(place.experiment_id, user.name, "MANAGE"),
            "RESOURCE_ALREADY_EXISTS")
    admin.delete_experiment_permission(place.experiment_id, user.name)
    refused(lambda: admin.get_experiment_permission(place.experiment_id, user.name), "RESOURCE_DOES_NOT_EXIST")
    assert admin.get_user(user.name).experiment_permissions == []
    assert as_user(lambda: client.get_experiment(place.experiment_id)) == "PERMISSION_DENIED"
    refused(lambda: admin.delete_experiment_permission(place.experiment_id, user.name), "RESOURCE_DOES_NOT_EXIST")


def test_registered_model_permission_lifecycle(server, admin, new_user, place, monkeypatch):
    user = new_user("model")
    client = admin.mlflow.MlflowClient()
    as_user = lambda attempt: _as(monkeypatch, user, attempt)  # noqa: E731
    assert as_user(lambda: client.get_registered_model(place.model)) == "PERMISSION_DENIED"

    created = admin.create_registered_model_permission(place.model, user.name, "READ")
    user_id = admin.get_user(user.name).id
    assert (created.name, created.user_id, created.permission, created.workspace) == (
        place.model, user_id, "READ", place.workspace)
    got = admin.get_registered_model_permission(place.model, user.name)
    assert (got.name, got.user_id, got.permission, got.workspace) == (place.model, user_id, "READ", place.workspace)
    assert as_user(lambda: client.get_registered_model(place.model)) == "ALLOWED"
    assert as_user(lambda: client.update_registered_model(place.model, "by user")) == "PERMISSION_DENIED"
    sign_in(monkeypatch, user)
    assert [m.name for m in client.search_registered_models()] == [place.model]
    sign_in(monkeypatch, ADMIN)

    admin.update_registered_model_permission(place.model, user.name, "EDIT")
    assert admin.get_registered_model_permission(place.model, user.name).permission == "EDIT"
    assert as_user(lambda: client.update_registered_model(place.model, "by user")) == "ALLOWED"
    assert as_user(lambda: client.delete_registered_model(place.model)) == "PERMISSION_DENIED"
    assert client.get_registered_model(place.model).description == "by user"

    refused(lambda: admin.create_registered_model_permission(place.model, user.name, "READ"),
            "RESOURCE_ALREADY_EXISTS")
    admin.delete_registered_model_permission(place.model, user.name)
    refused(lambda: admin.get_registered_model_permission(place.model, user.name), "RESOURCE_DOES_NOT_EXIST")
    assert admin.get_user(user.name).registered_model_permissions == []
    assert as_user(lambda: client.get_registered_model(place.model)) == "PERMISSION_DENIED"


def test_model_grants_follow_a_rename_and_vanish_with_the_model(server, admin, new_user, place, monkeypatch):
    user = new_user("follow")
    client = admin.mlflow.MlflowClient()
    admin.create_registered_model_permission(place.model, user.name, "EDIT")
    renamed = place.model + "-renamed"
    client.rename_registered_model(place.model, renamed)
    assert admin.get_registered_model_permission(renamed, user.name).permission == "EDIT"
    assert _as(monkeypatch, user, lambda: client.get_registered_model(renamed)) == "ALLOWED"
    # a new model under the old name is not the user's
    client.create_registered_model(place.model)
    refused(lambda: admin.get_registered_model_permission(place.model, user.name), "RESOURCE_DOES_NOT_EXIST")
    assert _as(monkeypatch, user, lambda: client.get_registered_model(place.model)) == "PERMISSION_DENIED"
    # deleted, then re-created: the grant is gone
    client.delete_registered_model(renamed)
    client.create_registered_model(renamed)
    refused(lambda: admin.get_registered_model_permission(renamed, user.name), "RESOURCE_DOES_NOT_EXIST")
    assert admin.get_user(user.name).registered_model_permissions == []
    assert _as(monkeypatch, user, lambda: client.get_registered_model(renamed)) == "PERMISSION_DENIED"


def test_workspace_grants_vanish_with_the_workspace(server, admin, new_user, monkeypatch):
    user = new_user("ws-gone")
    mlflow = admin.mlflow
    workspace = _name("ws")
    mlflow.create_workspace(name=workspace)
    admin.set_workspace_permission(workspace, user.name, "MANAGE")
    mlflow.delete_workspace(workspace)
    assert admin.list_user_workspace_permissions(user.name) == []
    mlflow.create_workspace(name=workspace)
    assert admin.list_workspace_permissions(workspace) == []
    sign_in(monkeypatch, user)
    assert [w.name for w in mlflow.list_workspaces()] == []
    mlflow.set_workspace(workspace)
    refused(lambda: mlflow.create_experiment(_name("exp")))


def _as(monkeypatch, account: Account, attempt) -> str:
    """outcome(attempt) with account's credentials, then back to the admin."""
    sign_in(monkeypatch, account)
    try:
        return outcome(attempt)
    finally:
        sign_in(monkeypatch, ADMIN)


# workspace permissions -----------------------------------------------------------------------------

def test_workspace_permissions_set_list_delete(server, admin, new_user, place, monkeypatch):
    user = new_user("member")
    mlflow = admin.mlflow
    client = mlflow.MlflowClient()
    user_id = admin.get_user(user.name).id
    assert admin.list_workspace_permissions(place.workspace) == []

    granted = admin.set_workspace_permission(place.workspace, user.name, "READ")
    assert (granted.workspace, granted.user_id, granted.permission) == (place.workspace, user_id, "READ")
    assert [(p.workspace, p.user_id, p.permission) for p in admin.list_workspace_permissions(place.workspace)] == [
        (place.workspace, user_id, "READ")]
    assert _as(monkeypatch, user, lambda: client.get_experiment(place.experiment_id)) == "ALLOWED"
    assert _as(monkeypatch, user, lambda: client.create_experiment(_name("exp"))) == "PERMISSION_DENIED"

    # POST upserts: one row, the new level.
    admin.set_workspace_permission(place.workspace, user.name, "EDIT")
    assert [(p.user_id, p.permission) for p in admin.list_workspace_permissions(place.workspace)] == [(user_id, "EDIT")]
    assert _as(monkeypatch, user, lambda: client.create_experiment(_name("exp"))) == "ALLOWED"

    # list_user_workspace_permissions spans workspaces.
    other = _name("ws")
    mlflow.set_workspace(None)
    mlflow.create_workspace(name=other)
    admin.set_workspace_permission(other, user.name, "MANAGE")
    assert sorted((p.workspace, p.permission) for p in admin.list_user_workspace_permissions(user.name)) == sorted(
        [(place.workspace, "EDIT"), (other, "MANAGE")])
    sign_in(monkeypatch, user)
    assert sorted(w.name for w in mlflow.list_workspaces()) == sorted([place.workspace, other])

    # A workspace manager (not an admin) lists and sets grants on their own workspace only.
    colleague = Account(_name("colleague"), "irrelevant-password")
    sign_in(monkeypatch, ADMIN)
    admin.create_user(colleague.name, f"pw-{uuid.uuid4().hex}")
    sign_in(monkeypatch, user)
    assert admin.set_workspace_permission(other, colleague.name, "READ").permission == "READ"
    assert {p.permission for p in admin.list_workspace_permissions(other)} == {"MANAGE", "READ"}
    refused(lambda: admin.set_workspace_permission(place.workspace, colleague.name, "READ"))  # only EDIT there
    refused(lambda: admin.list_workspace_permissions(place.workspace))
    sign_in(monkeypatch, ADMIN)

    admin.delete_workspace_permission(place.workspace, user.name)
    assert admin.list_workspace_permissions(place.workspace) == []
    assert [p.workspace for p in admin.list_user_workspace_permissions(user.name)] == [other]
    assert _as(monkeypatch, user, lambda: client.get_experiment(place.experiment_id)) == "PERMISSION_DENIED"
    refused(lambda: admin.delete_workspace_permission(place.workspace, user.name), "RESOURCE_DOES_NOT_EXIST")


# errors --------------------------------------------------------------------------------------------

ERRORS = {
    # name: (attempt(admin, known), error code, words the message must contain)
    "duplicate user": (lambda a, k: a.create_user(k.user.name, f"pw-{uuid.uuid4().hex}"),
                       "RESOURCE_ALREADY_EXISTS", "already exists"),
    "get unknown user": (lambda a, k: a.get_user("nobody-" + uuid.uuid4().hex), "RESOURCE_DOES_NOT_EXIST", "not found"),
    "password of unknown user": (lambda a, k: a.update_user_password("nobody-x", f"pw-{uuid.uuid4().hex}"),
                                 "RESOURCE_DOES_NOT_EXIST", "not found"),
    "admin flag of unknown user": (lambda a, k: a.update_user_admin("nobody-x", True), "RESOURCE_DOES_NOT_EXIST",
                                   "not found"),
    "delete unknown user": (lambda a, k: a.delete_user("nobody-x"), "RESOURCE_DOES_NOT_EXIST", "not found"),
    "weak password on create": (lambda a, k: a.create_user(_name("weak"), "short"), "INVALID_PARAMETER_VALUE", WEAK),
    "empty password on create": (lambda a, k: a.create_user(_name("weak"), ""), "INVALID_PARAMETER_VALUE", "password"),
    "weak password on update": (lambda a, k: a.update_user_password(k.user.name, "elevenchars"),
                                "INVALID_PARAMETER_VALUE", WEAK),
    "username with a colon": (lambda a, k: a.create_user("a:b", f"pw-{uuid.uuid4().hex}"),
                              "INVALID_PARAMETER_VALUE", "Username"),
    "username too long": (lambda a, k: a.create_user("u" * 300, f"pw-{uuid.uuid4().hex}"),
                          "INVALID_PARAMETER_VALUE", "username"),
    "bad level, experiment": (lambda a, k: a.create_experiment_permission(k.experiment_id, k.user.name, "SUPERUSER"),
                              "INVALID_PARAMETER_VALUE", INVALID_LEVEL),
    "bad level, experiment update": (lambda a, k: a.update_experiment_permission(k.experiment_id, k.user.name,
                                                                                "SUPERUSER"),
                                     "INVALID_PARAMETER_VALUE", INVALID_LEVEL),
    "bad level, model": (lambda a, k: a.create_registered_model_permission(k.model, k.user.name, "SUPERUSER"),
                         "INVALID_PARAMETER_VALUE", INVALID_LEVEL),
    "bad level, workspace": (lambda a, k: a.set_workspace_permission(k.workspace, k.user.name, "SUPERUSER"),
                             "INVALID_PARAMETER_VALUE", INVALID_LEVEL),
    "grant to unknown user": (lambda a, k: a.create_experiment_permission(k.experiment_id, "nobody-x", "READ"),
                              "RESOURCE_DOES_NOT_EXIST", "nobody-x"),
    "grant on unknown experiment": (lambda a, k: a.create_experiment_permission("987654321", k.user.name, "READ"),
                                    "RESOURCE_DOES_NOT_EXIST", "987654321"),
    "grant on unknown model": (lambda a, k: a.create_registered_model_permission("no-such-model", k.user.name, "READ"),
                               "RESOURCE_DOES_NOT_EXIST", "no-such-model"),
    "missing experiment grant": (lambda a, k: a.get_experiment_permission(k.experiment_id, k.user.name),
                                 "RESOURCE_DOES_NOT_EXIST", "not found"),
    "missing model grant": (lambda a, k: a.delete_registered_model_permission(k.model, k.user.name),
                            "RESOURCE_DOES_NOT_EXIST", "not found"),
    "workspace grant on unknown workspace": (lambda a, k: a.set_workspace_permission("no-such-ws", k.user.name, "READ"),
                                             "RESOURCE_DOES_NOT_EXIST", "no-such-ws"),
    "workspace grant to unknown user": (lambda a, k: a.set_workspace_permission(k.workspace, "nobody-x", "READ"),
                                        "RESOURCE_DOES_NOT_EXIST", "nobody-x"),
    "missing workspace grant": (lambda a, k: a.delete_workspace_permission(k.workspace, k.user.name),
                                "RESOURCE_DOES_NOT_EXIST", "does not exist"),
    "workspace grants of unknown user": (lambda a, k: a.list_user_workspace_permissions("nobody-x"),
                                         "RESOURCE_DOES_NOT_EXIST", "not found"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_bad_requests_raise_a_clear_mlflow_exception(server, admin, known, case):
    attempt, code, words = ERRORS[case]
    admin.mlflow.set_workspace(known.workspace)
    with pytest.raises(MlflowException) as caught:
        attempt(admin, known)
    error = caught.value
    assert error.error_code == code, f"{error.error_code}: {error.message}"
    assert 400 <= error.get_http_status_code() < 500
    assert words.lower() in error.message.lower(), error.message
    for leak in ("$argon2", "SELECT ", "INSERT ", "sqlalchemy", "Traceback", known.user.password):
        assert leak not in error.message, error.message
    # Nothing was half done: the known user still signs in with their password.
    assert signs_in(server, known.user) == 200


def test_errors_never_answer_500_on_malformed_bodies(server, known):
    """Raw bodies the client would never send: missing fields, wrong types, not JSON."""
    v3 = f"/api/3.0/mlflow/workspaces/{known.workspace}/permissions"
    attempts = [
        ("POST", f"{USERS}/create", {"json": {"username": _name("x")}}),
        ("POST", f"{USERS}/create", {"json": {"username": 5, "password": ["a"]}}),
        ("POST", f"{USERS}/create", {"data": b"not json", "headers": {"Content-Type": "application/json"}}),
        ("PATCH", f"{USERS}/update-admin", {"json": {"username": known.user.name, "is_admin": "maybe"}}),
        ("PATCH", f"{USERS}/update-password", {"json": {"username": known.user.name}}),
        ("POST", "/api/2.0/mlflow/experiments/permissions/create",
         {"json": {"experiment_id": known.experiment_id, "username": known.user.name}}),
        ("POST", "/api/2.0/mlflow/experiments/permissions/create",
         {"json": {"experiment_id": "abc", "username": known.user.name, "permission": "READ"}}),
        ("GET", "/api/2.0/mlflow/registered-models/permissions/get", {"params": {"name": known.model}}),
        ("POST", v3, {"json": {"username": known.user.name}}),
        ("POST", v3, {"json": {"permission": "READ"}}),
        ("DELETE", v3, {}),
        ("GET", "/api/3.0/mlflow/workspace-permissions", {}),
    ]
    for method, path, kwargs in attempts:
        headers = {"X-MLFLOW-WORKSPACE": known.workspace, **kwargs.pop("headers", {})}
        response = _raw(server, method, path, headers, kwargs)
        assert 400 <= response.status_code < 500, (method, path, kwargs, response.status_code, response.text)
        body = response.json()
        assert set(body) == {"error_code", "message"} and body["message"], (method, path, body)
    assert signs_in(server, known.user) == 200


def _raw(server, method, path, headers, kwargs):
    """A request as the admin with headers of our own (call() sets only the workspace header)."""
    return requests.request(method, server.url + path, auth=(ADMIN.name, ADMIN.password), headers=headers,
                            timeout=30, **kwargs)
