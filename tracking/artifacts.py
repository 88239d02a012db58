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


PROXY_SCHEME = "mlflow-artifacts"


def proxied_path(location: str | None) -> str | None:
    """The proxy path of a stored `mlflow-artifacts:` location ('' for the destination's top);
    None for a location the proxy does not serve."""
    parsed = urlparse(location or "")
    return parsed.path.strip("/") if parsed.scheme == PROXY_SCHEME else None


def location_spellings(path: str, netlocs: tuple[str, ...] = ()) -> list[str]:
    """The ways a stored location of the proxy path `path` may be written: the server writes
    `mlflow-artifacts:/<path>`; a root given as `mlflow-artifacts:///...` or with a host keeps
    that form, so those are looked for too."""
    heads = [f"{PROXY_SCHEME}:/", f"{PROXY_SCHEME}:///", *(f"{PROXY_SCHEME}://{n}/" for n in netlocs)]
    return [head + path for head in heads]


def enclosing_paths(path: str) -> list[str]:
    """`a/b/c` -> ['a/b/c', 'a/b', 'a']: the folders an experiment owning `path` may have."""
    segments = path.strip("/").split("/") if path.strip("/") else []
    return ["/".join(segments[:n]) for n in range(len(segments), 0, -1)]


# Deeper paths are refused: creating their folders recurses once per level (os.makedirs).
MAX_PATH_DEPTH = 128


class UnsafePath(ValueError):
    """An artifact path that could leave its workspace or the artifact destination."""


def checked_relative_path(path: str) -> str:
    """A relative POSIX path with no '.', '..' or empty segments, backslashes or NULs."""
    if path.startswith("/") or "\\" in path or "\x00" in path:
        raise UnsafePath(f"Invalid artifact path '{path[:200]}': it must be relative and use '/'.")
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise UnsafePath(
            f"Invalid artifact path '{path[:200]}': '.', '..' and empty segments are not allowed."
        )
    if len(segments) > MAX_PATH_DEPTH:
        raise UnsafePath(f"Invalid artifact path '{path[:200]}': it is more than {MAX_PATH_DEPTH} levels deep.")
    return path


def check_workspace_path(path: str, workspace: str, workspaces_enabled: bool) -> str:
    """Refuse a proxied path outside the request's own `workspaces/<ws>/` prefix.

    Seeds, "Startup Validation": non-default workspaces use `workspaces/<ws>/...`; legacy
    unprefixed paths stay valid for 'default'. Without workspaces every path is 'default's.
    """
    path = checked_relative_path(path)
    if not workspaces_enabled:
        return path
    first, _, rest = path.partition("/")
    if first == WORKSPACES_SEGMENT:
        owner = rest.partition("/")[0]
        if not owner:
            raise UnsafePath("Artifact paths prefixed with 'workspaces/' must include a workspace name.")
        if owner != workspace:
            raise UnsafePath(
                f"Artifact path targets workspace '{owner}' but the request's workspace is '{workspace}'."
            )
        return path
    if workspace != "default":
        raise UnsafePath(
            f"Artifact path '{path[:200]}' is outside workspace '{workspace}'; paths of this "
            f"workspace start with '{WORKSPACES_SEGMENT}/{workspace}/'."
        )
    return path


def local_path(root: str, path: str) -> str:
    """The file of a checked relative path under root, refusing anything (a link) that escapes it."""
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, path))
    if target != base and not target.startswith(base + os.sep):
        raise UnsafePath(f"Invalid artifact path '{path[:200]}': it leaves the artifact destination.")
    return target


def is_local(uri: str) -> bool:
    """True for a plain path or a file: URI."""
    scheme = urlparse(uri).scheme
    return len(scheme) <= 1 or scheme == "file"


def local_file_path(uri: str) -> str:
    """The filesystem path of a plain path or file: URI."""
    parsed = urlparse(uri)
    return os.path.abspath(parsed.path if parsed.scheme == "file" else uri)
