"""Where a model version's files are: checking a version's source against its workspace."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from tracking import artifacts
from tracking.errors import InvalidParameter
from tracking.state import host

RUNS_SCHEME = "runs:/"
PROXY_SCHEME = "mlflow-artifacts"


def storage_location(workspace: str, source: str, run_id: str | None) -> tuple[str, str | None]:
    """(storage location, run id) of a new version; 404 for a run outside the workspace, 400 for
    a proxied source that points into another workspace.

    Other sources are stored as given: the server never reads a version's files itself (it has
    no model-versions/get-artifact route), so a source cannot expose the server's own files.
    Paths are checked percent-decoded, as the artifact proxy will see them.
    """
    if not source.strip():
        raise InvalidParameter("Model version source must not be empty; send where the model's files are, "
                               "e.g. runs:/<run_id>/model.")
    if is_run_uri(source):
        return _from_run_uri(workspace, source.lstrip(), run_id)
    if run_id:
        host().runs.get(workspace, run_id)
    if urlparse(source).scheme == PROXY_SCHEME:
        _check_proxied(source, workspace)
    return source, run_id


def is_run_uri(source: str) -> bool:
    """Whether a source is a runs:/ URI, as a client reads it: schemes are case-insensitive
    (RUNS:/ is runs:/) and leading blanks do not count (issue 10: an upper-case scheme slipped
    past the run checks)."""
    return source.lstrip()[:len(RUNS_SCHEME)].lower() == RUNS_SCHEME


def run_of_source(source: str) -> str | None:
    """The run id of a runs:/ source, or None for any other source."""
    if not is_run_uri(source):
        return None
    return source.lstrip()[len(RUNS_SCHEME):].lstrip("/").split("/", 1)[0] or None


def _from_run_uri(workspace: str, source: str, run_id: str | None) -> tuple[str, str]:
    source_run, _, path = source[len(RUNS_SCHEME):].lstrip("/").partition("/")
    if run_id and run_id != source_run:
        raise InvalidParameter(f"run_id '{run_id}' does not match the run of source '{source[:200]}'.")
    run = host().runs.get(workspace, source_run)
    if path:
        _checked(artifacts.checked_relative_path, unquote(path.strip("/")))
    return (artifacts.join(run.artifact_uri, path.strip("/")) if path else run.artifact_uri), source_run


def _check_proxied(source: str, workspace: str) -> None:
    path = unquote(urlparse(source).path).lstrip("/")
    settings = host().settings
    _checked(artifacts.check_workspace_path, path, workspace, settings.workspaces_enabled)


def _checked(check, *args):
    try:
        return check(*args)
    except artifacts.UnsafePath as exc:
        raise InvalidParameter(str(exc)) from None
