"""Flask glue: authenticate, look the route's rule up, decide, and answer 401 / 403; set the
visibility filter of searches; follow resources as they are created, renamed and deleted."""

from __future__ import annotations

import logging

from flask import Flask, g, request

from auth import kinds, policy, rules
from auth.access import Access, RequestView
from auth.audit import current_actor
from auth.kinds import GrantKind
from auth.layer import current_layer as _layer
from auth.permissions import Capability, Permission
from auth.refusals import deny as _deny
from auth.refusals import workspaces_off
from tracking import hostkit
from tracking.hostapi import Visibility

log = logging.getLogger(__name__)


def before_request():
    """Authorize the request before any handler runs (fail closed)."""
    if request.routing_exception is not None:
        return None  # no such route: the host answers 404 / 405
    return authorize()


def authorize():
    """Authorize the current request by the rule of the operation the host names for it: None
    to let it through, a custom authentication function's own answer, or an ApiError (401 / 403
    / 404 / 400). A host that serves routes outside Flask's (MLflow's FastAPI routes) calls this
    in a request context of its own."""
    layer = _layer()
    rule = rules.rule_for(layer.host.operation())
    if rule == rules.PUBLIC:
        return None
    user = layer.authenticate()
    if not hasattr(user, "is_admin"):
        return user  # a custom authentication function answered itself
    g.auth_user = user
    if user.is_admin or rule == rules.AUTHENTICATED:
        return None
    if rule == rules.COMPOSITE:
        for operation, fields in layer.host.operation_parts():
            _authorize_part(layer, user, operation, fields)
        return None
    if rule == rules.ADMIN:
        _deny(f"{request.method} {request.path} is for admins only.")
    elif rule == rules.SELF_OR_ADMIN:
        _require_self(user)
    elif isinstance(rule, rules.Filtered):
        _restrict_lists(Access(layer, user, _view()), rule.kind)
    elif rule == rules.VISIBLE_WORKSPACE:
        _require_visible_workspace(Access(layer, user, _view()), request.view_args["workspace_name"])
    else:
        _require(Access(layer, user, _view()), rule)
    return None


def _authorize_part(layer, user, operation: str | None, fields) -> None:
    """One operation of a request that asks for several (MLflow's GraphQL), under its own rule:
    a requirement on the resource its fields name, or a search restricted like the REST one."""
    rule = rules.rule_for(operation)
    view = RequestView(request.method, request.path, {}, lambda: fields)
    if isinstance(rule, rules.Filtered):
        _restrict_lists(Access(layer, user, view), rule.kind)
    elif isinstance(rule, rules.Requirement):
        _require(Access(layer, user, view), rule)
    elif rule not in (rules.PUBLIC, rules.AUTHENTICATED):
        _deny(f"{request.method} {request.path} asks for {operation or 'a field'} that is for admins only.")


def _view() -> RequestView:
    """The request as the decision reads it."""
    return RequestView(request.method, request.path, request.view_args or {}, _layer().host.request_fields)


# Host routes whose success is a security event: endpoint -> audit action.
AUDITED = {"createWorkspace": "workspace.created", "updateWorkspace": "workspace.updated",
           "deleteWorkspace": "workspace.deleted"}


def after_request(response):
    """Audit every refusal (the hook's, and those of handlers such as the delegation limits) and
    successful workspace changes (the host commits them; the auth layer records them)."""
    if response.status_code == 403:
        # Every refusal of the layer (the hook's, and the delegation limits of its handlers)
        # goes through auth.refusals.deny, which keeps its reason on g.
        reason = g.get("auth_denial") or "refused by the host"
        _layer().audit.record("request.denied", f"{request.method} {request.path}"[:512], "denied", reason=reason)
        return response
    action = AUDITED.get(_layer().host.operation() or "")
    if action and response.status_code < 300:
        name = (request.view_args or {}).get("workspace_name") or _body().get("name")
        changes = {k: v for k, v in _body().items() if k in ("description", "default_artifact_root")}
        _layer().audit.record(action, f"workspace {name}", "success", **changes)
    return response


def _require(access: Access, requirement: rules.Requirement) -> None:
    target = requirement.target
    if not access.host.workspaces_enabled():
        if requirement.creates and policy.creation_needs_no_workspace_grant(workspaces_enabled=False):
            return
        if target.kind is kinds.WORKSPACE:
            raise workspaces_off()  # the same clear 404 an admin gets, not a 403 about 'default'
    if target.kind is kinds.ARTIFACT and requirement.capability is Capability.DELETE \
            and access.artifact_owner(target) is None:
        # A folder above experiment folders may hold experiments the user may not delete.
        _deny(f"Permission denied: only admins may delete {request.path}, which is not inside one "
              "experiment's artifact folder.")
    if requirement.lists_experiments and access.artifact_owner(target) is None:
        _restrict_listing(access, requirement)
        return
    decision, what = access.decide(target)
    if not decision.allows(requirement.capability) and (fresh := _on_fresh_grants(access)):
        decision, what = fresh.decide(target)
    g.auth_decision = decision  # the last decision taken travels with the request
    if not decision.allows(requirement.capability):
        _deny(
            f"Permission denied: {request.method} {request.path} needs '{requirement.capability}' on "
            f"{what}; you hold {decision.permission.name} ({decision.step})."
        )
    for extra in requirement.also:  # checked when the request names them; one named must exist
        if access.names(extra.target):
            if (missing := access.absent(extra.target)) is not None:
                raise missing
            _require(access, extra)


def _on_fresh_grants(access: Access) -> Access | None:
    """Before a denial: a new view of the user's grants when another worker changed grants since
    this one last looked, so a new grant works at once (revocations keep their bound); else None."""
    return Access(access.layer, access.user, access.view) if access.layer.caught_up() else None


def _restrict_listing(access: Access, requirement: rules.Requirement) -> None:
    """A folder above experiment folders: a reader of the workspace sees it without the
    experiments they may not read; a user whose only access is grants on some of its experiments
    sees just those (the handler leaves out every other entry); anyone else is refused."""
    workspace = access.host.workspace_as_seen_by_outsiders()
    visible = _visibility(access, kinds.EXPERIMENT_GRANTS, workspace)
    if visible.only is not None and not visible.only:
        decision = access.on_workspace(workspace)
        _deny(f"Permission denied: {request.method} {request.path} needs '{requirement.capability}' on "
              f"workspace '{workspace}'; you hold {decision.permission.name} ({decision.step}).")
    access.host.restrict(kinds.EXPERIMENT.search_scope, visible)


def _visibility(access: Access, kind: GrantKind, workspace: str) -> Visibility:
    """What of this kind the user may read in the workspace: all but the explicitly denied for
    a reader of the workspace, else only the explicitly granted."""
    grants = access.layer.grants.of_kind(access.user.id, kind, workspace)
    shown = policy.listing(grants, access.on_workspace(workspace).allows(Capability.READ))
    return Visibility(only=shown.only, hidden=shown.hidden)


def _require_visible_workspace(access: Access, workspace: str) -> None:
    if not access.host.workspaces_enabled():
        raise workspaces_off()
    if not can_view_workspace(access, workspace):
        access = _on_fresh_grants(access) or access
    if not can_view_workspace(access, workspace):
        _deny(f"Permission denied: {request.method} {request.path} needs '{Capability.READ}' on workspace '{workspace}'.")


def _require_self(user) -> None:
    source = request.args if request.method == "GET" else (_body() or request.args)
    if source.get("username") != user.username:
        _deny("Only admins may view or change other users.")


def _body() -> dict:
    try:
        return hostkit.body()
    except hostkit.ApiError:
        return {}


def _restrict_lists(access: Access, kind: kinds.Kind) -> None:
    """Push what the user may read of this kind into the host's search queries."""
    if kind is kinds.WORKSPACE:
        access.host.restrict(kind.search_scope, _visible_workspaces(access))
        return
    # A workspace that does not exist lists as empty, like one the user may not read.
    workspace = access.host.workspace_as_seen_by_outsiders()
    access.host.restrict(kind.search_scope, _visibility(access, kind.grants, workspace))


def _visible_workspaces(access: Access) -> Visibility:
    """Workspaces the user can read, and 'default' for everyone with grant_default_workspace_access."""
    grants = access.layer.grants.workspaces(access.user.id)
    return Visibility(only=policy.visible_workspaces(grants, access.layer.config.grant_default_workspace_access))


def can_view_workspace(access: Access, workspace: str) -> bool:
    """getWorkspace follows the list: what list_workspaces shows may be fetched."""
    return _visible_workspaces(access).allows(workspace)


def follow_resources(app: Flask, layer) -> None:
    """Keep grants and caches in step with the host's resources."""

    def created(sender, kind, workspace, key, **details):
        if kind == "run":  # runs carry no grants; the next request on the run need not look it up
            layer.places.put(("run", key), (workspace, str(details["experiment_id"])))
            return
        user, grants = g.get("auth_user"), kinds.GRANT_KINDS.get(kind)
        if user is not None and grants is not None:  # a kind without grants is decided by its workspace
            layer.grant_creator(grants, key, workspace, user.id, by=current_actor())

    def deleted(sender, kind, workspace, key, **_):
        if kind == kinds.MODEL_GRANTS.name:
            layer.store.forget_model(workspace, key, by=current_actor())

    def renamed(sender, kind, workspace, key, new_key, **_):
        if kind == kinds.MODEL_GRANTS.name:
            layer.store.rename_model(workspace, key, new_key, by=current_actor())

    def workspace_gone(sender, workspace, **_):
        layer.store.forget_workspace(workspace, by=current_actor())
        layer.forget_workspace(workspace)

    host = layer.host
    for signal, handler in ((host.resource_created, created), (host.resource_deleted, deleted),
                            (host.resource_renamed, renamed), (host.workspace_deleted, workspace_gone)):
        signal.connect(handler, sender=app, weak=False)
