"""Where artifacts live: the location of a new experiment and of a run inside it (seeds,
"Artifact Behavior"). The artifact proxy joins this module with the registry issue."""

from __future__ import annotations

import os
from urllib.parse import urlparse

WORKSPACES_SEGMENT = "workspaces"


def resolve_root(root: str) -> str:
    """A local path becomes absolute; a URI (s3://, mlflow-artifacts:/, file://) stays as given."""
    parsed = urlparse(root)
    if parsed.scheme and len(parsed.scheme) > 1:
        return root
    return os.path.abspath(os.path.expanduser(root))


def join(root: str, *parts: str) -> str:
    """Append path segments to a root URI or path."""
    return "/".join([root.rstrip("/"), *parts])


def experiment_location(
    default_root: str, workspace: str, workspace_root: str | None, experiment_id: str,
    workspaces_enabled: bool,
) -> str:
    """The artifact location of a new experiment.

    Workspaces off: ``<root>/<id>``. On: ``<workspace root>/<id>`` when the workspace has its own
    root, else ``<root>/workspaces/<workspace>/<id>`` (the 'default' workspace included).
    """
    if not workspaces_enabled:
        return join(default_root, experiment_id)
    if workspace_root:
        return join(workspace_root, experiment_id)
    return join(default_root, WORKSPACES_SEGMENT, workspace, experiment_id)


def run_artifact_uri(experiment_artifact_location: str, run_id: str) -> str:
    """Runs keep their artifacts under their experiment's location."""
    return join(experiment_artifact_location, run_id, "artifacts")
