"""Loading the facts of one decision: which resource the request names, where it lives, and the
user's grants on it and on its workspace. A resource that does not exist in the request's
workspace counts as missing, so a user learns nothing about other workspaces' resources; and a
workspace that does not exist counts as an empty one, so they learn nothing about which
workspaces exist either."""

from __future__ import annotations


from flask import request

from auth.policy import Decision, Facts, decide
from auth.rules import Target
from tracking import hostapi

class Access:
    """Decisions for one request, with the auth layer's store, caches and config."""

    def __init__(self, layer, user):
        self.layer, self.user = layer, user

    def decide(self, target: Target) -> tuple[Decision, str]:
        """The decision on the target, and a short description of it for messages."""
        workspace, kind, key = self._locate(target)
        grant = self.layer.grants.resource(self.user.id, kind, key, workspace) if key else None
        # Name the resource only when the user holds a grant on it: otherwise an existing and a
        # missing resource must look the same.
        return decide(self._facts(grant, workspace)), _describe(kind, key if grant else None, workspace)

    def on_workspace(self, workspace: str) -> Decision:
        """The decision on a workspace as a whole (creating in it, listing it, managing it)."""
        return decide(self._facts(None, workspace))

    def _facts(self, grant, workspace: str) -> Facts:
        config = self.layer.config
        enabled = hostapi.workspaces_enabled()
        workspace_grant = self.layer.grants.workspace(self.user.id, workspace) if enabled else None
        return Facts(self.user.is_admin, grant, workspace_grant, workspace, enabled,
                     config.default_permission, config.grant_default_workspace_access)

    def _locate(self, target: Target) -> tuple[str, str, str | None]:
        """(workspace, grant kind, key or None when the resource is missing here)."""
        if target.kind == "workspace":
            return request.view_args.get(target.field), "workspace", None
        here = hostapi.workspace_as_seen_by_outsiders()  # the hook runs for non-admins only
        if target.kind == "current_workspace":
            return here, "workspace", None
        raw = _field(target)
        if target.kind == "registered_model":
            found = raw if raw and hostapi.model_exists(here, raw) else None
            return here, "registered_model", found
        return here, "experiment", self._experiment_here(target.kind, raw, here)

    def artifact_owner(self, target: Target) -> str | None:
        """The experiment whose artifact folder holds the request's path, if one does; a path
        the proxy refuses anyway counts as owned (the proxy's 400 says why)."""
        hostapi.workspace_as_seen_by_outsiders()  # a missing workspace is an empty one, not a 404
        raw = _field(target)
        if not raw or not hostapi.artifact_path_allowed(raw):
            return raw
        return hostapi.experiment_of_artifact_path(raw)

    def names(self, target: Target) -> bool:
        """Whether the request names this (optional) target at all."""
        return (_source_run() if target.kind == "source_run" else _field(target)) is not None

    def _experiment_here(self, kind: str, raw: str | None, here: str) -> str | None:
        if kind == "source_run":
            kind, raw = "run", _source_run()
        if not raw:
            return None
        if kind == "experiment_name":
            return hostapi.experiment_id_by_name(here, raw)
        if kind == "artifact":
            return hostapi.experiment_of_artifact_path(raw)
        located = self.layer.locate(kind, raw)
        return located[1] if located and located[0] == here else None


def _field(target: Target) -> str | None:
    values = request.view_args or {}
    for name in (target.field, target.fallback_field):
        # A path parameter first: an artifact upload's body is the file, which must be left
        # unread for the handler (reading it here stored every non-admin upload empty).
        value = values.get(name) if name in values else _request_fields().get(name) if name else None
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return target.default


def _source_run() -> str | None:
    """The run a new model version comes from: its `run_id`, else the run of a `runs:/` source."""
    fields = _request_fields()
    run_id, source = fields.get("run_id"), fields.get("source")
    if isinstance(run_id, str) and run_id:
        return run_id
    return hostapi.run_of_source(source) if isinstance(source, str) else None


def _request_fields():
    return request.args if request.method == "GET" else _json_or_args()


def _json_or_args():
    try:
        payload = hostapi.body()
    except hostapi.ApiError:
        return {}
    return payload or request.args


def _describe(kind: str, key: str | None, workspace: str) -> str:
    if kind == "workspace" or key is None:
        return f"workspace '{workspace}'"
    label = "experiment" if kind == "experiment" else "registered model"
    return f"{label} '{key}' in workspace '{workspace}'"
