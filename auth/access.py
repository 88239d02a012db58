"""Loading the facts of one decision: which resource the request names, where it lives, and the
user's grants on it and on its workspace. A resource that does not exist in the request's
workspace counts as missing, so a user learns nothing about other workspaces' resources; and a
workspace that does not exist counts as an empty one, so they learn nothing about which
workspaces exist either.

It reads the request through a `RequestView` of plain values (the hook builds it from Flask's
request), and the host through the layer's `Host`; it imports no Flask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from auth import kinds
from auth.kinds import GrantKind
from auth.policy import Decision, Facts, decide
from auth.rules import Target


@dataclass(frozen=True)
class RequestView:
    """What a decision reads of a request."""

    method: str
    path: str
    path_fields: Mapping[str, object]  # the route's path parameters
    # The request's fields (a GET's query, else its JSON body, or the query when there is none),
    # read on first use: an artifact upload's body is the file, which must be left unread for
    # the handler.
    fields: Callable[[], Mapping[str, object]]


class Access:
    """Decisions for one request, with the auth layer's store, caches, config and host."""

    def __init__(self, layer, user, view: RequestView):
        self.layer, self.user, self.view = layer, user, view
        self.host = layer.host

    def decide(self, target: Target) -> tuple[Decision, str]:
        """The decision on the target, and a short description of it for messages."""
        workspace, grants, key = self._locate(target)
        grant = self.layer.grants.resource(self.user.id, grants, key, workspace) if key else None
        # Name the resource only when the user holds a grant on it: otherwise an existing and a
        # missing resource must look the same.
        return decide(self._facts(grant, workspace)), _describe(grants, key if grant else None, workspace)

    def on_workspace(self, workspace: str) -> Decision:
        """The decision on a workspace as a whole (creating in it, listing it, managing it)."""
        return decide(self._facts(None, workspace))

    def _facts(self, grant, workspace: str) -> Facts:
        config = self.layer.config
        enabled = self.host.workspaces_enabled()
        workspace_grant = self.layer.grants.workspace(self.user.id, workspace) if enabled else None
        return Facts(self.user.is_admin, grant, workspace_grant, workspace, enabled,
                     config.default_permission, config.grant_default_workspace_access)

    def _locate(self, target: Target) -> tuple[str, GrantKind | None, str | None]:
        """(workspace, the grants that decide, key or None when the resource is missing here)."""
        kind = target.kind
        if kind is kinds.WORKSPACE:
            return self.view.path_fields.get(target.field), None, None
        here = self.host.workspace_as_seen_by_outsiders()  # the hook runs for non-admins only
        if kind.grants is None:
            return here, None, None
        raw = self._named(target)
        return here, kind.grants, kind.locate(self.layer, raw, here) if raw else None

    def artifact_owner(self, target: Target) -> str | None:
        """The experiment whose artifact folder holds the request's path, if one does; a path
        the proxy refuses anyway counts as owned (the proxy's 400 says why)."""
        self.host.workspace_as_seen_by_outsiders()  # a missing workspace is an empty one, not a 404
        raw = self._field(target)
        if not raw or not self.host.artifact_path_allowed(raw):
            return raw
        return self.host.experiment_of_artifact_path(raw)

    def absent(self, target: Target) -> Exception | None:
        """The 404 of a target the request names that does not exist in the request's
        workspace (a further target's: a version's source run or logged model), else None."""
        workspace, _, key = self._locate(target)
        raw = self._named(target)
        return target.kind.not_found(raw, workspace) if raw is not None and key is None else None

    def names(self, target: Target) -> bool:
        """Whether the request names this (optional) target at all."""
        return self._named(target) is not None

    def _named(self, target: Target) -> str | None:
        """The key of the target as the request wrote it."""
        return self._source_run() if target.kind is kinds.SOURCE_RUN else self._field(target)

    def _field(self, target: Target) -> str | None:
        values = self.view.path_fields
        names = [name for name in (target.field, target.fallback_field) if name]
        # When the route's path names the target, only the path does (a body field of the other
        # name must not name another resource); the body is then left unread: an artifact
        # upload's body is the file, which must be left unread for the handler.
        in_path = [name for name in names if name in values]
        for name in in_path or names:
            value = values.get(name) if in_path else _nested(self.view.fields(), name)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return str(value)
        return target.default

    def _source_run(self) -> str | None:
        """The run a new model version comes from: its `run_id`, else the run of a `runs:/` source."""
        fields = self.view.fields()
        run_id, source = fields.get("run_id"), fields.get("source")
        if isinstance(run_id, str) and run_id:
            return run_id
        return self.host.run_of_source(source) if isinstance(source, str) else None


def _nested(fields: Mapping[str, object], name: str) -> object:
    """A field by its dotted name: "trace.trace_info.request_id" is fields["trace"]["trace_info"]...;
    None when some part is missing or no object."""
    value: object = fields
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _describe(grants: GrantKind | None, key: str | None, workspace: str) -> str:
    if grants is None or key is None:
        return f"workspace '{workspace}'"
    return f"{grants.label} '{key}' in workspace '{workspace}'"
