"""The only part of the host that an app plugin (the auth layer) may import.

For the current request: its workspace, where a resource lives, and a visibility filter the
host's searches apply. Signals tell plugins what changed after it was committed. A second host
(for example a real MLflow server) would implement this same module.
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace
from flask import g, request

from tracking import readiness, workspaces
from tracking.errors import (
    AlreadyExists, ApiError, EndpointNotFound, InvalidParameter, InvalidState, MalformedRequest,
    NotFound, PermissionDenied, Unauthenticated, Unavailable, error_body,
)
from tracking.api.params import Field, body, read
from tracking.model_sources import run_of_source
from tracking.state import current_workspace, host
from tracking.store.db import NAMING_CONVENTION, Database
from tracking.store.schema import Migrations, SchemaError, register, upgrade
from tracking.store.upsert import upsert
from tracking.store.schema import prepare as prepare_schema

__all__ = [
    "ApiError", "PermissionDenied", "Unauthenticated", "Unavailable", "error_body", "AlreadyExists",
    "InvalidParameter", "InvalidState", "MalformedRequest", "NotFound", "EndpointNotFound", "Field",
    "body", "read", "Database", "NAMING_CONVENTION", "Migrations", "SchemaError", "register", "upgrade",
    "prepare_schema", "current_workspace", "workspace_as_seen_by_outsiders", "workspaces_enabled",
    "DEFAULT_WORKSPACE", "workspace_of", "model_exists", "Visibility", "restrict", "visibility", "signals",
    "add_ready_database", "run_of_source",
]

DEFAULT_WORKSPACE = workspaces.DEFAULT_WORKSPACE
signals = Namespace()
# Sent after the commit, with sender=the Flask app and keyword arguments as named.
resource_created = signals.signal("resource-created")      # kind, workspace, key (runs: experiment_id)
resource_deleted = signals.signal("resource-deleted")      # kind, workspace, key
resource_renamed = signals.signal("resource-renamed")      # kind, workspace, key, new_key
workspace_deleted = signals.signal("workspace-deleted")    # workspace


def add_ready_database(app, name: str, database: Database) -> None:
    """Have GET /ready probe a plugin's own database too, reported under `name`."""
    readiness.add_database(app, name, database)


def workspace_as_seen_by_outsiders() -> str:
    """The request's workspace, like current_workspace(), except that a well-formed name of a
    workspace that does not exist is taken as an existing, empty workspace (for the rest of the
    request): a caller who may not see a workspace learns nothing from naming one that is not there."""
    try:
        return current_workspace()
    except NotFound:
        g.workspace = request.headers.get(workspaces.HEADER, "").strip()
        return g.workspace


def workspaces_enabled() -> bool:
    """Whether the server scopes resources to workspaces."""
    return host().settings.workspaces_enabled


def workspace_of(kind: str, key: str) -> tuple[str, str] | None:
    """(workspace, experiment id) of an experiment ("experiment") or run ("run"); None when
    there is none. Experiment ids and run ids are global, so the answer never changes while
    the resource exists (until migrate-to-default-workspace moves it). The id is returned as
    stored ('7' for '007'), so that grants keyed by it always match."""
    state = host()
    if kind == "experiment":
        found = state.experiments.workspace_of(key)
        return (found, str(int(key))) if found else None
    if kind == "run":
        return state.runs.workspace_of(key)
    raise ValueError(f"unknown resource kind {kind}")


def experiment_id_by_name(workspace: str, name: str) -> str | None:
    """The id of the named experiment in the workspace, or None."""
    experiment = host().experiments.find_by_name(workspace, name)
    return experiment.experiment_id if experiment else None


def model_exists(workspace: str, name: str) -> bool:
    """Whether a registered model (or prompt) of that name exists in the workspace."""
    return host().registry.is_prompt(workspace, name) is not None


@dataclass(frozen=True)
class Visibility:
    """Which items of a kind a search may return: `only` these keys, else all but `hidden`."""

    only: frozenset[str] | None = None
    hidden: frozenset[str] = frozenset()

    def allows(self, key: str) -> bool:
        """Whether one item may be shown."""
        return key in self.only if self.only is not None else key not in self.hidden


def restrict(kind: str, rule: Visibility) -> None:
    """Make the host's searches of this request return only what `rule` allows."""
    g.setdefault("wsauth_visibility", {})[kind] = rule


def visibility(kind: str) -> Visibility | None:
    """The restriction a plugin set for this request, if any."""
    return g.get("wsauth_visibility", {}).get(kind)


def announce(signal, **details) -> None:
    """Send a signal on behalf of the app serving this request (after the change committed)."""
    from flask import current_app

    signal.send(current_app._get_current_object(), **details)


def workspace_exists(name: str) -> bool:
    """Whether the workspace catalog has a workspace of that name."""
    return host().provider.get(name) is not None


def experiment_of_artifact_path(path: str) -> str | None:
    """The id of the request workspace's experiment that owns the proxy path `path`: the one
    whose stored artifact location is the longest that `path` lies in. The stored location
    decides, not the workspace's current roots, so a grant keeps following an experiment's files
    after its workspace's root changes. None when no experiment owns the path."""
    from tracking import artifacts

    state = host()
    candidates = [spelling for folder in artifacts.enclosing_paths(path)
                  for spelling in artifacts.location_spellings(folder, _proxy_netlocs(state))]
    found = state.experiments.owner_of_location(current_workspace(), candidates)
    return found[0] if found else None


def experiments_below(path: str) -> list[tuple[str, str]]:
    """(id, proxy path relative to `path`) of the request workspace's experiments whose
    artifact folder lies strictly below the proxy folder `path` ('' for the top)."""
    from tracking import artifacts

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
    from urllib.parse import urlparse

    root = urlparse(state.settings.default_artifact_root or "")
    return (root.netloc,) if root.scheme == "mlflow-artifacts" and root.netloc else ()


def artifact_path_allowed(path: str) -> bool:
    """Whether the proxy would accept this path in the request's workspace (else it answers 400)."""
    from tracking import artifacts

    try:
        artifacts.check_workspace_path(path.strip("/"), current_workspace(), workspaces_enabled())
    except artifacts.UnsafePath:
        return False
    return True
