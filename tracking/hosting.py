"""wsauth's tracking server as a host of app plugins: its implementation of the Host protocol
(tracking.hostapi), and what its own handlers use of the seam (the restriction a plugin set on
this request, and the signals they send after each committed change)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from blinker import Namespace
from flask import current_app, g, request

from tracking import artifacts, readiness, workspaces
from tracking.api.params import body
from tracking.errors import ApiError, NotFound
from tracking.hostapi import EVERYTHING, Visibility
from tracking.model_sources import run_of_source
from tracking.state import current_workspace, host

_signals = Namespace()
_RESTRICTIONS = "wsauth_visibility"  # on flask.g: search scope -> Visibility


class TrackingHost:
    """The Host protocol for wsauth's tracking server (one instance serves every app)."""

    resource_created = _signals.signal("resource-created")
    resource_deleted = _signals.signal("resource-deleted")
    resource_renamed = _signals.signal("resource-renamed")
    workspace_deleted = _signals.signal("workspace-deleted")

    def operation(self) -> str | None:
        return request.endpoint  # its endpoints are named after the operations they serve

    def request_fields(self) -> Any:
        # Its handlers read a GET's query arguments, else the JSON object body, else the query.
        if request.method == "GET":
            return request.args
        try:
            payload = body()
        except ApiError:
            return {}  # the handler answers its own 400
        return payload or request.args

    def operation_parts(self) -> list[tuple[str | None, Any]]:
        return [(None, {})]  # this server has no composite operation: admin-only if one appeared

    def workspaces_enabled(self) -> bool:
        return host().settings.workspaces_enabled

    def current_workspace(self) -> str:
        return current_workspace()

    def workspace_as_seen_by_outsiders(self) -> str:
        try:
            return current_workspace()
        except NotFound:
            g.workspace = request.headers.get(workspaces.HEADER, "").strip()
            return g.workspace

    def workspace_exists(self, name: str) -> bool:
        return host().provider.get(name) is not None

    def workspace_of(self, kind: str, key: str) -> tuple[str, str] | None:
        state = host()
        if kind == "experiment":
            found = state.experiments.workspace_of(key)
            return (found, str(int(key))) if found else None  # as stored: '7' for '007'
        if kind == "run":
            return state.runs.workspace_of(key)
        if kind in ("logged_model", "trace"):
            return None  # this server keeps none (issue 13)
        raise ValueError(f"unknown resource kind {kind}")

    def experiment_id_by_name(self, workspace: str, name: str) -> str | None:
        experiment = host().experiments.find_by_name(workspace, name)
        return experiment.experiment_id if experiment else None

    def model_exists(self, workspace: str, name: str) -> bool:
        return host().registry.is_prompt(workspace, name) is not None

    def run_of_source(self, source: str) -> str | None:
        return run_of_source(source)

    def experiment_of_artifact_path(self, path: str) -> str | None:
        """The stored artifact location decides (the longest that holds `path`), not the
        workspace's current roots, so a grant keeps following an experiment's files after its
        workspace's root changes."""
        state = host()
        candidates = [spelling for folder in artifacts.enclosing_paths(path)
                      for spelling in artifacts.location_spellings(folder, _proxy_netlocs(state))]
        found = state.experiments.owner_of_location(current_workspace(), candidates)
        return found[0] if found else None

    def artifact_path_allowed(self, path: str) -> bool:
        try:
            artifacts.check_workspace_path(path.strip("/"), current_workspace(), self.workspaces_enabled())
        except artifacts.UnsafePath:
            return False
        return True

    def restrict(self, scope: str, rule: Visibility) -> None:
        g.setdefault(_RESTRICTIONS, {})[scope] = rule

    def add_ready_database(self, app, name: str, database) -> None:
        readiness.add_database(app, name, database)


HOST = TrackingHost()


def visibility(scope: str) -> Visibility:
    """What this request's searches of `scope` may return (everything unless a plugin restricted it)."""
    return g.get(_RESTRICTIONS, {}).get(scope, EVERYTHING)


def announce(signal, **details) -> None:
    """Send a signal on behalf of the app serving this request (after the change committed)."""
    signal.send(current_app._get_current_object(), **details)


def experiments_below(path: str) -> list[tuple[str, str]]:
    """(id, proxy path relative to `path`) of the request workspace's experiments whose
    artifact folder lies strictly below the proxy folder `path` ('' for the top)."""
    state = host()
    folder = path.strip("/")
    prefixes = [spelling + "/" if folder else spelling
                for spelling in artifacts.location_spellings(folder, _proxy_netlocs(state))]
    below = []
    for experiment_id, location in state.experiments.locations_under(current_workspace(), prefixes):
        proxied = artifacts.proxied_path(location)
        if proxied and proxied != folder and (not folder or proxied.startswith(folder + "/")):
            below.append((experiment_id, proxied[len(folder) + 1:] if folder else proxied))
    return below


def _proxy_netlocs(state) -> tuple[str, ...]:
    """The host part of a server root written as `mlflow-artifacts://host/...`, if it has one."""
    root = urlparse(state.settings.default_artifact_root or "")
    return (root.netloc,) if root.scheme == "mlflow-artifacts" and root.netloc else ()
