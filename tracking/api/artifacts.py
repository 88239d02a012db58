"""The artifact proxy (`--serve-artifacts`): upload, download, list and delete files under
`--artifacts-destination`, each request confined to its workspace's `workspaces/<ws>/` prefix."""

from __future__ import annotations

import errno
import mimetypes
import os
import shutil
import tempfile
from contextlib import contextmanager

from flask import request, send_file

from tracking import artifacts, hosting
from tracking.errors import EndpointNotFound, InvalidParameter, NotFound
from tracking.state import current_workspace, host
from tracking.hostapi import EVERYTHING, Visibility

CHUNK = 1024 * 1024
MAX_ARTIFACT_BYTES = 5 * 1024**3


def _destination() -> str:
    settings = host().settings
    if not settings.serve_artifacts:
        raise EndpointNotFound(
            "The artifact proxy is off (--no-serve-artifacts); clients write to the artifact "
            "location directly."
        )
    return artifacts.local_file_path(settings.artifacts_destination)


def _local(path: str) -> str:
    settings = host().settings
    try:
        path = artifacts.check_workspace_path(path, current_workspace(), settings.workspaces_enabled)
        return artifacts.local_path(_destination(), path)
    except artifacts.UnsafePath as exc:
        raise InvalidParameter(str(exc)) from None


def download_artifact(artifact_path: str):
    """GET mlflow-artifacts/artifacts/<path>: the file's bytes, as an attachment. An artifact is
    anyone's upload: opened inline, an HTML or SVG file would run as this site, where the browser
    holds the viewer's credentials, so it is never rendered here."""
    target = _local(artifact_path)
    if not os.path.isfile(target):
        raise NotFound(f"No artifact at '{artifact_path[:200]}'.")
    mimetype = mimetypes.guess_type(target)[0] or "application/octet-stream"
    response = send_file(target, mimetype=mimetype, conditional=True, as_attachment=True,
                         download_name=os.path.basename(target))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def upload_artifact(artifact_path: str):
    """PUT mlflow-artifacts/artifacts/<path>: store the body; the file appears whole or not at all."""
    target = _local(artifact_path)
    if os.path.isdir(target):
        raise InvalidParameter(f"'{artifact_path[:200]}' is a directory; upload to a file path.")
    request.max_content_length = MAX_ARTIFACT_BYTES
    with _refused_paths(artifact_path):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := request.stream.read(CHUNK):
                out.write(chunk)
        with _refused_paths(artifact_path):
            os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return {}


@contextmanager
def _refused_paths(artifact_path: str):
    """Turn the file system's refusals of a path the client chose into 400s."""
    try:
        yield
    except (FileExistsError, NotADirectoryError):
        raise InvalidParameter(
            f"'{artifact_path[:200]}' lies under a file, not a folder; upload to another path."
        ) from None
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        raise InvalidParameter(
            f"'{artifact_path[:200]}' is too long for the file system; use shorter names (at most 255 bytes each) or less nesting."
        ) from None


def list_artifacts():
    """GET mlflow-artifacts/artifacts?path=: the entries of one directory, without the
    experiment folders a plugin's visibility hides."""
    path = (request.args.get("path") or "").strip("/")
    root = _destination()
    if not path:
        return _listing(path, _entries(root, hide_workspaces=host().settings.workspaces_enabled))
    target = _local(path)
    if os.path.isfile(target):
        return _listing(path.rpartition("/")[0], [_entry(target)])
    return _listing(path, _entries(target)) if os.path.isdir(target) else {}


def _listing(folder: str, entries: list[dict]) -> dict:
    """The answer of a listing of `folder`. A caller who may see only some experiments and sees
    none of these entries gets the answer of a missing path, so that listing a folder tells them
    nothing about what exists in it."""
    rule = hosting.visibility("experiment")
    if rule == EVERYTHING:  # no plugin restricted this request
        return {"files": entries}
    shown = _visible_entries(folder, entries, rule)
    return {"files": shown} if shown or rule.only is None else {}


def _visible_entries(folder: str, entries: list[dict], rule: Visibility) -> list[dict]:
    """An experiment's folder is shown when the rule allows the experiment. Any other entry is
    shown to a caller who sees all but some experiments; to one who sees only some, it is shown
    only when an experiment they may see lies inside it."""
    below = hosting.experiments_below(folder)
    owners = {relative: experiment_id for experiment_id, relative in below if "/" not in relative}
    inside: dict[str, list[str]] = {}
    for experiment_id, relative in below:
        inside.setdefault(relative.split("/", 1)[0], []).append(experiment_id)

    def visible(name: str) -> bool:
        if name in owners:
            return rule.allows(owners[name])
        return rule.only is None or any(rule.allows(i) for i in inside.get(name, ()))

    return [entry for entry in entries if visible(entry["path"])]


def _entries(folder: str, hide_workspaces: bool = False) -> list[dict]:
    if hide_workspaces and host().settings.workspaces_enabled and current_workspace() != "default":
        raise InvalidParameter(
            f"List a path inside '{artifacts.WORKSPACES_SEGMENT}/{current_workspace()}/'."
        )
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    if hide_workspaces:  # other workspaces' folders are not 'default's to see
        names = [n for n in names if n != artifacts.WORKSPACES_SEGMENT]
    return [_entry(os.path.join(folder, n)) for n in names if not n.startswith(".upload-")]


def _entry(target: str) -> dict:
    if os.path.isdir(target):
        return {"path": os.path.basename(target), "is_dir": True}
    return {"path": os.path.basename(target), "is_dir": False, "file_size": os.path.getsize(target)}


def delete_artifact(artifact_path: str):
    """DELETE mlflow-artifacts/artifacts/<path>: remove a file or a folder."""
    target = _local(artifact_path)
    if os.path.isdir(target):
        shutil.rmtree(target)
    elif os.path.isfile(target):
        os.unlink(target)
    else:
        raise NotFound(f"No artifact at '{artifact_path[:200]}'.")
    return {}
