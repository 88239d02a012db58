"""Where a new model version's files may come from, on MLflow's server.

The layer's rule for createModelVersion (auth.rules) needs READ on the run of a `runs:/` source
or of `run_id`, and on the logged model of `model_id`. This module makes sure those fields say
what MLflow will act on, and that a non-admin's source is one whose owner the layer checked:

- `runs:/<run>/...`: its run (and `run_id`, when sent, must be the same run);
- `models:/<model id>` (a logged model): `model_id` must be sent and name the same model;
- a local path or `file:` URI: MLflow itself requires it to lie inside the artifact folder of
  `run_id` or `model_id`, which the layer checked;
- a prompt's placeholder source (no scheme, not a path), which names no files.

Any other source (s3://, mlflow-artifacts:, models:/<name>/<version>, http://, ...) points at
files the layer cannot place in an experiment: only admins may register such a version.
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import g, request

from auth.refusals import deny
from tracking import model_sources
from tracking.hostkit import InvalidParameter

MODELS_SCHEME = "models:/"
LOGGED_MODEL_PREFIX = "m-"


def check(fields) -> None:
    """Refuse (400) a createModelVersion whose fields disagree, and (403) a non-admin's source of
    a kind the layer does not place."""
    source, run_id, model_id = (fields.get(name) for name in ("source", "run_id", "model_id"))
    if not isinstance(source, str):
        return  # MLflow's own 400 names the missing source
    text = source.strip()
    if model_sources.is_run_uri(text):
        source_run = model_sources.run_of_source(text)
        if isinstance(run_id, str) and run_id and run_id != source_run:
            raise InvalidParameter(f"run_id '{run_id[:60]}' is not the run of source '{text[:200]}'; "
                                   "send the same run in both, or leave run_id out.")
        return
    if text.lower().startswith(MODELS_SCHEME):
        named = text[len(MODELS_SCHEME):].strip("/").split("/", 1)[0]
        if named.startswith(LOGGED_MODEL_PREFIX):
            if model_id != named:
                raise InvalidParameter(f"Source '{text[:200]}' names logged model '{named[:60]}': send the "
                                       "same id as model_id.")
            return
    if _names_no_remote_files(text):
        return
    user = g.get("auth_user")
    if user is not None and not user.is_admin:
        deny(f"Permission denied: only admins may register a model version whose files are at "
             f"'{text[:200]}'; register it from a run (runs:/<run_id>/<path>) or a logged model "
             "(models:/<model_id>).")


def _names_no_remote_files(source: str) -> bool:
    """A local path, a file: URI (both held to run_id's or model_id's folder by MLflow) or a
    placeholder without a scheme (a prompt's)."""
    scheme = urlparse(source).scheme.lower()
    return scheme in ("", "file")


def check_request() -> None:
    """A before_request of MLflow's app, after the layer's hook (it knows the user)."""
    from flask import current_app

    from auth.layer import EXTENSION

    layer = current_app.extensions.get(EXTENSION)
    if layer is not None and request.url_rule is not None and layer.host.operation() == "createModelVersion":
        check(layer.host.request_fields())
