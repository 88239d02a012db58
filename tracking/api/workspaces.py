"""Workspace handlers: /api/3.0/mlflow/workspaces[/<name>] (seeds, "Managing Workspaces")."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import request

from tracking import artifacts, hosting, workspaces
from tracking.api import wire
from tracking.api.params import Field, body, convert
from tracking.entities import Workspace
from tracking.errors import EndpointNotFound, InvalidParameter, InvalidState
from tracking.errors import NotFound
from tracking.state import host

DESCRIPTION = Field("description", max_length=10_000)
ROOT = Field("default_artifact_root", max_length=4096)
DELETE_MODES = ("RESTRICT", "CASCADE", "SET_DEFAULT")


def _provider():
    state = host()
    if not state.settings.workspaces_enabled:
        raise EndpointNotFound(
            f"{request.path} is disabled because this server runs without workspaces; "
            "restart it with --enable-workspaces (or MLFLOW_ENABLE_WORKSPACES=true)."
        )
    return state.provider


def _artifact_root(value: str | None) -> str | None:
    """A trimmed workspace artifact root; '' clears it; fragments and params are refused."""
    if value is None:
        return None
    value = value.strip()
    parsed = urlparse(value)
    if parsed.fragment or parsed.params:
        raise InvalidParameter("'default_artifact_root' URL can't include fragments or params.")
    if parsed.query:
        raise InvalidParameter("'default_artifact_root' URL can't include a query string.")
    return value


def _check_proxied_root(name: str, root: str | None) -> None:
    """A workspace root served by the proxy must lie inside that workspace's own prefix."""
    if not root or urlparse(root).scheme != "mlflow-artifacts":
        return
    path = urlparse(root).path.strip("/")
    prefix = f"{artifacts.WORKSPACES_SEGMENT}/{name}"
    if path != prefix and not path.startswith(prefix + "/"):
        raise InvalidParameter(
            f"'default_artifact_root' {root} is served by the artifact proxy, so it must lie under "
            f"mlflow-artifacts:/{prefix}/ (the proxy keeps each workspace inside its own prefix)."
        )


def list_workspaces():
    """GET workspaces -> {"workspaces"} sorted by name."""
    visible = hosting.visibility("workspace")
    listed = [ws for ws in _provider().list() if visible.allows(ws.name)]
    return {"workspaces": [wire.workspace(ws) for ws in listed]}


def create_workspace():
    """POST workspaces -> 201 {"workspace"}."""
    provider = _provider()
    args = convert(body(), (Field("name", required=True, max_length=200), DESCRIPTION, ROOT))
    if args["name"] == workspaces.DEFAULT_WORKSPACE:
        raise InvalidParameter("The 'default' workspace is reserved and cannot be created.")
    name = workspaces.validate_name(args["name"])
    root = _artifact_root(args["default_artifact_root"]) or None
    _check_proxied_root(name, root)
    created = provider.create(Workspace(name, args["description"], root))
    return {"workspace": wire.workspace(created)}, 201


def _existing(provider, name: str) -> Workspace:
    workspaces.validate_lookup_name(name)
    ws = provider.get(name)
    if ws is None:
        raise NotFound(f"Workspace '{name}' not found.")
    return ws


def get_workspace(workspace_name: str):
    """GET workspaces/<name> -> {"workspace"}."""
    return {"workspace": wire.workspace(_existing(_provider(), workspace_name))}


def update_workspace(workspace_name: str):
    """PATCH workspaces/<name>: description and/or default_artifact_root ('' clears it)."""
    provider = _provider()
    payload = body()
    args = convert(payload, (Field("name", max_length=200), DESCRIPTION, ROOT))
    if args["name"] not in (None, workspace_name):
        raise InvalidParameter("Workspace names are immutable; only description and "
                               "default_artifact_root can change.")
    changes = {k: args[k] for k in ("description", "default_artifact_root") if k in payload}
    if "default_artifact_root" in changes:
        changes["default_artifact_root"] = _artifact_root(changes["default_artifact_root"]) or None
        _check_proxied_root(workspace_name, changes["default_artifact_root"])
    if not changes:
        raise InvalidParameter(
            "Workspace update must have at least one key: description or default_artifact_root."
        )
    _existing(provider, workspace_name)
    return {"workspace": wire.workspace(provider.update(workspace_name, changes))}


def delete_workspace(workspace_name: str):
    """DELETE workspaces/<name> -> 204; refused (409) while it holds resources."""
    provider = _provider()
    mode = request.args.get("mode", "RESTRICT").strip().upper()
    if mode not in DELETE_MODES:
        raise InvalidParameter(f"Invalid deletion mode '{mode[:40]}'. Must be one of: {', '.join(DELETE_MODES)}.")
    if mode != "RESTRICT":
        raise InvalidParameter(
            f"Deletion mode {mode} is not supported: wsauth only deletes empty workspaces "
            "(RESTRICT). Delete or move the workspace's resources first."
        )
    if workspace_name == workspaces.DEFAULT_WORKSPACE:
        raise InvalidParameter("The 'default' workspace is reserved and cannot be deleted.")
    _existing(provider, workspace_name)
    _refuse_if_not_empty(workspace_name)
    provider.delete(workspace_name)
    hosting.announce(hosting.HOST.workspace_deleted, workspace=workspace_name)
    return "", 204


def _refuse_if_not_empty(name: str) -> None:
    """409 while experiments, registered models or prompts remain (runs and versions count
    through them), naming a few of each."""
    state = host()
    experiments, experiment_names = state.experiments.count_in_workspace(name)
    models, prompts, model_names = state.registry.count_in_workspace(name)
    held = [f"{n} {what}" for n, what in ((experiments, "experiment(s)"),
                                          (models, "registered model(s)"), (prompts, "prompt(s)")) if n]
    if held:
        names = ", ".join(f"'{n}'" for n in [*experiment_names, *model_names][:5])
        raise InvalidState(
            f"Cannot delete workspace '{name}': it still holds {' and '.join(held)} (e.g. {names}). "
            "Delete them, then purge deleted experiments with `wsauth gc`, before deleting the workspace."
        )
