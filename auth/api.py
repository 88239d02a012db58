"""REST endpoints of the auth layer, in MLflow's paths and JSON shapes (AuthServiceClient works
unchanged): users, experiment and registered-model permissions, workspace permissions; and
wsauth's own, for admins: the audit trail and sign-in lockouts."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from typing import Callable

from flask import Flask, g, request

from auth import kinds, passwords, policy
from auth.audit import current_actor
from auth.kinds import Kind
from auth.layer import current_layer
from auth.permissions import Permission
from auth.refusals import deny, workspaces_off
from auth.store import Grant, UnknownUser, User, missing_grant, missing_workspace_grant
from tracking import hostkit
from tracking.hostkit import Field, InvalidParameter, InvalidState, NotFound, read

V2 = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
V3 = ("/api/3.0/mlflow",)
USERNAME = Field("username", required=True, max_length=255)
PERMISSION = Field("permission", required=True, max_length=40)


def _layer():
    return current_layer()


def _permission(name: str) -> Permission:
    try:
        return Permission.parse(name)
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from None


def _password_hash(password: object) -> str:
    try:
        return passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise InvalidParameter(str(exc)) from None


def _new_password_hash() -> str:
    """The hash of the request's password, read apart from the other fields: the generic field
    errors quote a wrongly typed value, and a password must never appear in an error."""
    payload = hostkit.body() or request.args
    if payload.get("password") is None:
        raise InvalidParameter("Missing value for required parameter 'password'.")
    return _password_hash(payload["password"])


def _username(name: str) -> str:
    if not name.strip() or any(ord(c) < 32 for c in name) or ":" in name:
        raise InvalidParameter("Username must be non-empty, without ':' or control characters.")
    return name


def _user_json(user: User, grants: dict[str, list[Grant]] | None = None) -> dict:
    grants = grants or {}
    return {
        "id": user.id, "username": user.username, "is_admin": user.is_admin,
        "experiment_permissions": [_experiment_grant(g) for g in grants.get(kinds.EXPERIMENT_GRANTS.name, [])],
        "registered_model_permissions": [_model_grant(g) for g in grants.get(kinds.MODEL_GRANTS.name, [])],
        "scorer_permissions": [],  # wsauth has no scorers; the mlflow client expects the key
    }


def _experiment_grant(grant: Grant) -> dict:
    return {"experiment_id": grant.key, "user_id": grant.user_id, "permission": grant.permission.name}


def _model_grant(grant: Grant) -> dict:
    return {"name": grant.key, "user_id": grant.user_id, "permission": grant.permission.name,
            "workspace": grant.workspace}


def _workspace_grant(grant: Grant) -> dict:
    return {"workspace": grant.key, "user_id": grant.user_id, "username": grant.username,
            "permission": grant.permission.name, "can_use": grant.permission.allows("use")}


# users ------------------------------------------------------------------------------------------

def create_user():
    """POST users/create -> {"user"} (admin)."""
    username = _username(read(USERNAME)["username"])
    layer = _layer()
    user = layer.store.create_user(username, _new_password_hash(), by=current_actor())
    return {"user": _user_json(user)}


def get_user():
    """GET users/get?username= -> {"user"} with the user's explicit grants (admin or self)."""
    user = _existing_user(read(USERNAME)["username"])
    return {"user": _user_json(user, _layer().store.grants_of_user(user.id))}


def list_users():
    """GET users/list -> {"users"} (admin)."""
    return {"users": [{"id": u.id, "username": u.username, "is_admin": u.is_admin}
                      for u in _layer().store.list_users()]}


def update_user_password():
    """PATCH users/update-password (admin or self); the password policy applies."""
    username = read(USERNAME)["username"]
    _layer().store.update_user(username, password_hash=_new_password_hash(), by=current_actor())
    return {}


def update_user_admin():
    """PATCH users/update-admin (admin); nobody removes their own admin flag."""
    args = read(USERNAME, Field("is_admin", "bool", required=True))
    if args["username"] == g.auth_user.username and not args["is_admin"]:
        raise InvalidState("You cannot remove your own admin flag; ask another admin.")
    _layer().store.update_user(args["username"], is_admin=args["is_admin"], by=current_actor())
    return {}


def delete_user():
    """DELETE users/delete (admin): the user and all their grants."""
    username = read(USERNAME)["username"]
    if username == g.auth_user.username:
        raise InvalidState("You cannot delete yourself; ask another admin.")
    _layer().store.delete_user(username, by=current_actor())
    return {}


def _existing_user(username: str) -> User:
    user = _layer().store.get_user(username)
    if user is None:
        raise NotFound(f"User with username={username} not found")
    return user


# experiment and registered-model permissions ----------------------------------------------------

EXPERIMENT_ID = Field("experiment_id", "id", required=True, max_length=40)
MODEL_NAME = Field("name", required=True, max_length=256)


def _target(kind: Kind, key_field: Field, fields: tuple[Field, ...]) -> tuple[dict, str, str | None]:
    """The request's fields, the key of the resource they name (as grants store it; 404 when
    it is not in the request's workspace) and the workspace, for kinds keyed per workspace."""
    args = read(key_field, *fields)
    workspace = _layer().host.current_workspace()
    key = kind.locate(_layer(), args[key_field.name], workspace)
    if key is None:
        raise kind.not_found(args[key_field.name], workspace)
    return args, key, workspace if kind.grants.per_workspace else None


def _grant_routes(kind: Kind, key_field: Field, response_key: str, render):
    """create / get / update / delete handlers of one kind of resource permission."""
    grants = kind.grants

    def create():
        args, key, workspace = _target(kind, key_field, (USERNAME, PERMISSION))
        _check_manager_untouched(args["username"])
        grant = _layer().store.create_grant(grants, key, workspace, args["username"], _permission(args["permission"]),
                                            by=current_actor())
        return {response_key: render(grant)}

    def get():
        args, key, workspace = _target(kind, key_field, (USERNAME,))
        with _hiding_unknown_users(missing_grant, grants, key, workspace, args["username"]):
            return {response_key: render(_layer().store.get_grant(grants, key, workspace, args["username"]))}

    def update():
        args, key, workspace = _target(kind, key_field, (USERNAME, PERMISSION))
        _check_manager_untouched(args["username"])
        with _hiding_unknown_users(missing_grant, grants, key, workspace, args["username"]):
            _layer().store.update_grant(grants, key, workspace, args["username"], _permission(args["permission"]),
                                        by=current_actor())
        return {}

    def delete():
        args, key, workspace = _target(kind, key_field, (USERNAME,))
        _check_manager_untouched(args["username"])
        with _hiding_unknown_users(missing_grant, grants, key, workspace, args["username"]):
            _layer().store.delete_grant(grants, key, workspace, args["username"], by=current_actor())
        return {}

    return create, get, update, delete


# workspace permissions ----------------------------------------------------------------------------

def _existing_workspace(name: str) -> str:
    if not _layer().host.workspaces_enabled():
        raise workspaces_off()
    if not _layer().host.workspace_exists(name):
        raise NotFound(f"Workspace '{name}' not found.")
    return name


def _is_delegate() -> bool:
    return not g.auth_user.is_admin


@contextmanager
def _hiding_unknown_users(missing: Callable[..., NotFound], *about):
    """To a non-admin, a user who does not exist looks like a user without the grant: reading
    grants must not tell which usernames exist (issue 10). Admins keep the precise message."""
    try:
        yield
    except UnknownUser:
        if not _is_delegate():
            raise
        raise missing(*about) from None


def list_workspace_permissions(workspace_name: str):
    """GET workspaces/<ws>/permissions -> {"permissions"} (admin or MANAGE on the workspace)."""
    workspace = _existing_workspace(workspace_name)
    return {"permissions": [_workspace_grant(grant) for grant in _layer().store.workspace_grants(workspace=workspace)]}


def set_workspace_permission(workspace_name: str):
    """POST workspaces/<ws>/permissions: create or replace a user's grant on the workspace.

    A workspace manager who is not an admin delegates below MANAGE: they cannot grant MANAGE
    nor change or remove another user's MANAGE grant (MLflow's W21)."""
    workspace = _existing_workspace(workspace_name)
    args = read(USERNAME, PERMISSION)
    level = _permission(args["permission"])
    _existing_user(args["username"])
    if _is_delegate():
        _check_delegation(workspace, args["username"], level)
    grant = _layer().store.set_workspace_grant(workspace, args["username"], level, by=current_actor())
    return {"permission": _workspace_grant(grant)}


def delete_workspace_permission(workspace_name: str):
    """DELETE workspaces/<ws>/permissions?username= -> 204."""
    workspace = _existing_workspace(workspace_name)
    username = read(USERNAME)["username"]
    if _is_delegate():
        _check_delegation(workspace, username, None)
    with _hiding_unknown_users(missing_workspace_grant, workspace, username):
        _layer().store.delete_workspace_grant(workspace, username, by=current_actor())
    return "", 204


def _check_manager_untouched(username: str) -> None:
    """A non-admin may not set another workspace manager's grants on single resources: that would
    demote them resource by resource, which _check_delegation forbids for the workspace (W21)."""
    if not _is_delegate() or username == g.auth_user.username or not _layer().host.workspaces_enabled():
        return
    user = _layer().store.get_user(username)
    workspace = _layer().host.current_workspace()
    if user is not None and _layer().store.workspace_grant(user.id, workspace) is Permission.MANAGE:
        deny(
            f"Only admins may change the grants of '{username}', who manages workspace '{workspace}'."
        )


def _check_delegation(workspace: str, username: str, level: Permission | None) -> None:
    current = {grant.username: grant.permission for grant in _layer().store.workspace_grants(workspace=workspace)}
    refusal = policy.delegation_refusal(level, current.get(username), username == g.auth_user.username)
    if refusal:
        deny(refusal)


def list_user_workspace_permissions():
    """GET workspace-permissions?username= -> {"permissions"} across workspaces (admin)."""
    if not _layer().host.workspaces_enabled():
        raise workspaces_off()
    user = _existing_user(read(USERNAME)["username"])
    return {"permissions": [_workspace_grant(grant) for grant in _layer().store.workspace_grants(user_id=user.id)]}


# audit trail and lockouts (admins) ---------------------------------------------------------------

AUDIT_PAGE_LIMIT = 1000


def list_audit_events():
    """GET audit-events?actor&target&action&since&until&max_results&page_token -> {"events",
    "next_page_token"}, newest first; since/until in milliseconds since the epoch."""
    args = read(Field("actor", max_length=255), Field("target", max_length=512), Field("action", max_length=64),
                Field("since", "int"), Field("until", "int"), Field("max_results", "int"),
                Field("page_token", max_length=100))
    size = args["max_results"] if args["max_results"] is not None else 100
    if not 1 <= size <= AUDIT_PAGE_LIMIT:
        raise InvalidParameter(f"max_results must be between 1 and {AUDIT_PAGE_LIMIT}, got {size}.")
    before = _page_token(args["page_token"])
    events = _layer().audit.search(actor=args["actor"], target=args["target"], action=args["action"],
                                   since=args["since"], until=args["until"], before_id=before, limit=size + 1)
    page = events[:size]
    next_token = _token(page[-1].id) if len(events) > size else None
    return {"events": [event.to_json() for event in page], **({"next_page_token": next_token} if next_token else {})}


def _token(event_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before_id": event_id}).encode()).decode()


def _page_token(token: str | None) -> int | None:
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))["before_id"]
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    except (ValueError, KeyError, TypeError):
        pass
    raise InvalidParameter("page_token is not one this server gave out; pass next_page_token unchanged.")


def list_lockouts():
    """GET users/lockouts[?username] -> {"lockouts"}: current sign-in lockouts."""
    username = read(Field("username", max_length=255))["username"]
    return {"lockouts": [{"username": lock.username, "address": lock.address, "failures": lock.failures,
                          "locked_until": lock.locked_until} for lock in _layer().guard.lockouts(username)]}


def clear_lockouts():
    """DELETE users/lockouts {username[, address]}: lift a user's lockouts -> {"cleared"}."""
    args = read(USERNAME, Field("address", max_length=64))
    layer = _layer()
    cleared = layer.guard.clear(args["username"], args["address"])
    layer.audit.record("login.unlocked", f"user {args['username']}", "success", address=args["address"],
                       cleared=cleared)
    return {"cleared": cleared}


def register_routes(app: Flask) -> None:
    """Add the auth endpoints to the app (endpoint names match auth.rules)."""
    experiment = _grant_routes(kinds.EXPERIMENT, EXPERIMENT_ID, "experiment_permission", _experiment_grant)
    model = _grant_routes(kinds.REGISTERED_MODEL, MODEL_NAME, "registered_model_permission", _model_grant)
    table = [
        ("/users/create", "POST", "createUser", create_user, V2),
        ("/users/get", "GET", "getUser", get_user, V2),
        ("/users/list", "GET", "listUsers", list_users, V2),
        ("/users/update-password", "PATCH", "updateUserPassword", update_user_password, V2),
        ("/users/update-admin", "PATCH", "updateUserAdmin", update_user_admin, V2),
        ("/users/delete", "DELETE", "deleteUser", delete_user, V2),
        *[(f"/experiments/permissions/{verb}", method, f"{verb}ExperimentPermission", handler, V2)
          for verb, method, handler in zip(("create", "get", "update", "delete"), ("POST", "GET", "PATCH", "DELETE"), experiment)],
        *[(f"/registered-models/permissions/{verb}", method, f"{verb}RegisteredModelPermission", handler, V2)
          for verb, method, handler in zip(("create", "get", "update", "delete"), ("POST", "GET", "PATCH", "DELETE"), model)],
        ("/workspaces/<workspace_name>/permissions", "GET", "listWorkspacePermissions", list_workspace_permissions, V3),
        ("/workspaces/<workspace_name>/permissions", "POST", "setWorkspacePermission", set_workspace_permission, V3),
        ("/workspaces/<workspace_name>/permissions", "DELETE", "deleteWorkspacePermission", delete_workspace_permission, V3),
        ("/workspace-permissions", "GET", "listUserWorkspacePermissions", list_user_workspace_permissions, V3),
        ("/audit-events", "GET", "listAuditEvents", list_audit_events, V3),
        ("/users/lockouts", "GET", "listLockouts", list_lockouts, V2),
        ("/users/lockouts", "DELETE", "clearLockouts", clear_lockouts, V2),
    ]
    for path, method, endpoint, handler, prefixes in table:
        for prefix in prefixes:
            app.add_url_rule(prefix + path, endpoint, handler, methods=[method])
