"""Workspace names, the active workspace of a request, and the workspace providers.

A provider keeps the workspace catalog. The built-in SQL provider stores it in a ``workspaces``
table of a wsauth database (``--workspace-store-uri``, else the tracking database); others are
found by the URI scheme in the entry-point group ``wsauth.workspace_provider``.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points

from flask import g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import make_url

from tracking.entities import Workspace
from tracking.errors import AlreadyExists, InvalidParameter, NotFound
from tracking.store.db import Database
from tracking.store.models import WorkspaceRow

from tracking.hostapi import DEFAULT_WORKSPACE  # the seam names it
HEADER = "X-MLFLOW-WORKSPACE"
RESERVED_NAMES = frozenset({"workspaces", "api", "ajax-api", "static-files"})
NAME_PATTERN = re.compile(r"^(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PROVIDER_GROUP = "wsauth.workspace_provider"


def validate_name(name: object) -> str:
    """Return the name when it is a valid, non-reserved workspace name; raise 400 otherwise."""
    if not isinstance(name, str):
        raise InvalidParameter(f"Workspace name must be a string, got {type(name).__name__}.")
    if not 2 <= len(name) <= 63:
        raise InvalidParameter(
            f"Workspace name '{name[:80]}' must be between 2 and 63 characters."
        )
    if not NAME_PATTERN.fullmatch(name):  # match() would let a trailing newline through '$'
        raise InvalidParameter(
            f"Workspace name '{name}' must match the pattern {NAME_PATTERN.pattern} "
            "(lowercase letters, digits and single hyphens inside, e.g. 'team-a')."
        )
    if name in RESERVED_NAMES:
        raise InvalidParameter(f"Workspace name '{name}' is reserved and cannot be used.")
    return name


def validate_lookup_name(name: object) -> str:
    """Like validate_name, but 'default' is a valid name to look up."""
    return name if name == DEFAULT_WORKSPACE else validate_name(name)


class SqlWorkspaceProvider:
    """The workspace catalog in a SQL database."""

    def __init__(self, database: Database):
        self.database = database

    def default_workspace(self) -> str | None:
        """The workspace used when a request names none."""
        return DEFAULT_WORKSPACE

    def list(self) -> list[Workspace]:
        """Every workspace, sorted by name."""
        with self.database.session() as session:
            rows = session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.name))
            return [_workspace(row) for row in rows]

    def get(self, name: str) -> Workspace | None:
        """The workspace, or None when there is none of that name."""
        with self.database.session() as session:
            row = session.get(WorkspaceRow, name)
            return _workspace(row) if row else None

    def create(self, workspace: Workspace) -> Workspace:
        """Add a workspace; 400 RESOURCE_ALREADY_EXISTS when the name is taken."""
        try:
            with self.database.session() as session:
                session.add(WorkspaceRow(**workspace.__dict__))
        except IntegrityError:
            raise AlreadyExists(f"Workspace '{workspace.name}' already exists.") from None
        return workspace

    def update(self, name: str, changes: dict[str, str | None]) -> Workspace:
        """Change description and/or default_artifact_root (None clears the root)."""
        with self.database.session() as session:
            row = session.get(WorkspaceRow, name, with_for_update=True)
            if row is None:
                raise NotFound(f"Workspace '{name}' not found.")
            for key, value in changes.items():
                setattr(row, key, value)
            return _workspace(row)

    def delete(self, name: str) -> None:
        """Remove a workspace from the catalog (the caller checked it is empty)."""
        with self.database.session() as session:
            if session.execute(delete(WorkspaceRow).where(WorkspaceRow.name == name)).rowcount == 0:
                raise NotFound(f"Workspace '{name}' not found.")


def _workspace(row: WorkspaceRow) -> Workspace:
    return Workspace(row.name, row.description, row.default_artifact_root)


def provider_names() -> list[str]:
    """The URI schemes for which a provider is installed."""
    return sorted({ep.name for ep in entry_points(group=PROVIDER_GROUP)})


def load_provider(uri: str, tracking_database: Database):
    """The provider for a workspace-store URI, chosen by its scheme."""
    scheme = make_url(uri).get_backend_name()
    found = [ep for ep in entry_points(group=PROVIDER_GROUP) if ep.name == scheme]
    if not found:
        raise ValueError(
            f"no workspace provider for '{scheme}' URIs; installed: {', '.join(provider_names())}"
        )
    provider_class = found[0].load()
    same = make_url(uri) == make_url(tracking_database.uri)
    return provider_class(tracking_database if same else Database(uri))


def resolve_request_workspace(provider, enabled: bool) -> str:
    """The workspace this request acts in: the trimmed header, else the provider's default."""
    if "workspace" not in g:
        g.workspace = _resolve(provider, enabled, request.headers.get(HEADER, "").strip())
    return g.workspace


def _resolve(provider, enabled: bool, name: str) -> str:
    if not enabled:
        if name and name != DEFAULT_WORKSPACE:
            raise InvalidParameter(
                f"Header {HEADER}: '{name[:80]}' was sent, but this server runs without "
                "workspaces, so every request is in 'default'. Remove the header, or restart "
                "the server with --enable-workspaces."
            )
        return DEFAULT_WORKSPACE
    if not name:
        name = provider.default_workspace()
        if name is None:
            raise InvalidParameter(
                "Active workspace is required. Call mlflow.set_workspace() or send the "
                f"{HEADER} header."
            )
        return name
    validate_lookup_name(name)
    if provider.get(name) is None:
        raise NotFound(f"Workspace '{name}' not found.")
    return name
