"""Start-up checks (seeds, "Startup Validation"): each refusal is one line that names the fix."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tracking import artifacts
from tracking.settings import Settings
from tracking.store import inventory
from tracking.store.db import Database
from tracking.store.models import WorkspaceRow

PREFLIGHT_SHOWN = 5


class StartupError(Exception):
    """A reason the server cannot start, in one line."""


def check_settings(settings: Settings, environ=os.environ) -> None:
    """Checks that need no database: store kind, client-only variables, artifact roots."""
    _check_sql_store(settings.backend_store_uri, settings.workspaces_enabled)
    if environ.get("MLFLOW_WORKSPACE"):
        raise StartupError(
            f"MLFLOW_WORKSPACE={environ['MLFLOW_WORKSPACE'][:80]} is set, but it is client-only "
            "(it picks the workspace of client calls); unset it before starting the server"
        )
    if settings.serve_artifacts and not artifacts.is_local(settings.artifacts_destination):
        raise StartupError(
            f"--artifacts-destination {settings.artifacts_destination} is not a local folder; "
            "wsauth's artifact proxy stores files locally (use a path or file:// URI)"
        )
    if settings.workspaces_enabled:
        _check_root(settings.default_artifact_root)


def _check_sql_store(uri: str, workspaces: bool) -> None:
    try:
        scheme = make_url(uri).get_backend_name() if "://" in uri else None
    except ArgumentError:
        scheme = None
    if scheme and scheme != "file":
        return
    need = "Workspaces need" if workspaces else "wsauth needs"
    raise StartupError(
        f"{need} a SQL backend store, but --backend-store-uri '{uri}' is a file store; use e.g. "
        "sqlite:///mlflow.db or postgresql://user:password@host/db"
        + (", or remove --enable-workspaces" if workspaces else "")
    )


def _check_root(root: str | None) -> None:
    if root is not None and not root.strip():
        raise StartupError("--default-artifact-root is empty; workspaces need a default artifact root")
    if not root:
        return
    segments = [s for s in urlparse(root).path.split("/") if s]
    reserved = artifacts.WORKSPACES_SEGMENT
    if segments and segments[-1] == reserved:
        raise StartupError(
            f"the default artifact root {root} ends with the reserved '{reserved}' segment; "
            "choose another --default-artifact-root before enabling workspaces"
        )
    if len(segments) >= 2 and segments[-2] == reserved:
        raise StartupError(
            f"the default artifact root {root} already sits under the reserved "
            f"'{reserved}/<name>' prefix; choose another --default-artifact-root"
        )


def check_databases(settings: Settings, tracking: Database, catalog: Database) -> None:
    """Checks against the migrated databases."""
    if settings.workspaces_enabled:
        _check_default_workspace(catalog)
        _preflight_artifacts(settings, tracking)
    else:
        _check_all_in_default(tracking)


def _check_default_workspace(catalog: Database) -> None:
    with catalog.session() as session:
        if session.get(WorkspaceRow, "default") is None:
            raise StartupError(
                "the workspace catalog has no 'default' workspace (the first migration creates it "
                "and it cannot be deleted); point --workspace-store-uri at the right database, or "
                "restore the row from a backup"
            )


def _preflight_artifacts(settings: Settings, tracking: Database) -> None:
    """Refuse experiments stored under another workspace's reserved artifact prefix."""
    prefix = artifacts.join(settings.artifact_root, artifacts.WORKSPACES_SEGMENT) + "/"
    with tracking.session() as session:
        located = inventory.artifact_locations(session)
    wrong = [
        f"experiment {experiment_id} of '{workspace}' at {location}"
        for experiment_id, workspace, location in located
        if location.startswith(prefix) and location[len(prefix):].split("/")[0] != workspace
    ]
    if wrong:
        shown = "; ".join(wrong[:PREFLIGHT_SHOWN]) + (f"; ... ({len(wrong)} in all)" if len(wrong) > PREFLIGHT_SHOWN else "")
        raise StartupError(
            f"{len(wrong)} experiment artifact location(s) sit under another workspace's reserved "
            f"'{prefix}<workspace>/' path: {shown}; move or rename those artifact roots first"
        )


def _check_all_in_default(tracking: Database) -> None:
    with tracking.session() as session:
        counts = inventory.outside_default(session)
    if any(counts.values()):
        found = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
        raise StartupError(
            f"cannot start without workspaces: {found} live outside the 'default' workspace; "
            "start with --enable-workspaces, or move them with: wsauth db migrate-to-default-workspace URI"
        )
