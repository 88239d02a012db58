"""What MLflow's handlers would do beyond what a rule of the layer speaks of, checked after the
layer's hook (which knows the user): where a new model version's files come from, where a new
experiment's go, which trace a new trace replaces, which trace tags say where files are, and
which proxied paths a non-admin may name.

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


def check_experiment_location(fields) -> None:
    """A non-admin's new experiment keeps the location MLflow gives it: a location of their
    choosing could be another experiment's folder, whose files MLflow would then serve to
    them through their own runs (`/get-artifact`, artifact listings, logged models' files)."""
    location = fields.get("artifact_location")
    user = g.get("auth_user")
    if location not in (None, "") and user is not None and not user.is_admin:
        deny("Permission denied: only admins may choose an experiment's artifact_location; leave it out "
             "and MLflow puts the experiment's files in its workspace's folder.")


# MLflow reads a trace's files from where this tag says: a user who could set it on their own
# trace would read any other trace's files through it (get-trace-artifact).
LOCATION_TAG = "mlflow.artifactLocation"


def check_new_trace(fields) -> None:
    """MLflow merges a new trace into an existing one of the same id, wherever it lives: a trace
    id in use is accepted only again for the experiment that holds it (a client's retry)."""
    from flask import current_app

    from auth.layer import EXTENSION

    trace = fields.get("trace")
    info = trace.get("trace_info") if isinstance(trace, dict) else None
    if not isinstance(info, dict):
        return
    _check_tags(info.get("tags"))
    trace_id = info.get("trace_id")
    if not isinstance(trace_id, str) or not trace_id:
        return
    location = info.get("trace_location")
    experiment = location.get("mlflow_experiment") if isinstance(location, dict) else None
    named = experiment.get("experiment_id") if isinstance(experiment, dict) else None
    held = current_app.extensions[EXTENSION].host.workspace_of("trace", trace_id)
    if held is not None and str(held[1]) != str(named):
        raise InvalidParameter(f"Trace '{trace_id[:60]}' already exists; a new trace needs a new trace_id.")


def check_otlp_export(experiment: str | None, trace_ids: list[str]) -> None:
    """OTLP ingest adds spans to an existing trace of the same id wherever it lives: a
    non-admin's export may name new traces and traces of its own experiment only."""
    from flask import current_app

    from auth.layer import EXTENSION
    from mlflow_host.host import experiment_number

    if not isinstance(experiment, str) or str(experiment_number(experiment)) != experiment:
        raise InvalidParameter("The x-mlflow-experiment-id header must name the experiment by its id, "
                               "a number written plainly.")
    held = current_app.extensions[EXTENSION].host.workspaces_of("trace", trace_ids)
    for trace_id, (_, owner) in sorted(held.items()):
        if owner != str(experiment):
            raise InvalidParameter(f"Trace '{trace_id[:60]}' already exists in another experiment; new "
                                   "spans go to a new trace or to one of the experiment the header names.")


def check_scoring_config(fields) -> None:
    """MLflow reads the sample rate with float() unchecked (a 500 for "abc"): a number from 0 to 1."""
    rate = fields.get("sample_rate")
    try:
        number = float(rate) if isinstance(rate, (int, float, str)) and not isinstance(rate, bool) else None
    except ValueError:
        number = None
    if number is None or not 0 <= number <= 1:  # NaN fails too
        raise InvalidParameter("'sample_rate' must be a number from 0 to 1 (the share of traces scored).")


def check_trace_tag(fields) -> None:
    _check_tags({fields.get("key"): fields.get("value")})


def check_ended_trace(fields) -> None:
    tags = fields.get("tags")
    if isinstance(tags, list):
        _check_tags({tag.get("key"): tag.get("value") for tag in tags if isinstance(tag, dict)})


def _check_tags(tags) -> None:
    user = g.get("auth_user")
    if isinstance(tags, dict) and LOCATION_TAG in tags and user is not None and not user.is_admin:
        deny(f"Permission denied: only admins may set the tag {LOCATION_TAG}, which tells MLflow where a "
             "trace's files are.")


def check_proxied_path(fields) -> None:
    """A non-admin's proxy path must read as its text says, and a listing must be inside one
    experiment's folder: MLflow's listing of a folder above shows every experiment's folder."""
    from flask import current_app

    from auth.layer import EXTENSION

    user, host = g.get("auth_user"), current_app.extensions[EXTENSION].host
    if user is None or user.is_admin:
        return
    path = (request.view_args or {}).get("artifact_path", fields.get("path") or "")
    if (problem := host.proxy_path_problem(path)) is not None:
        raise InvalidParameter(problem)
    if "artifact_path" not in (request.view_args or {}) and host.experiment_of_artifact_path(path) is None:
        deny(f"Permission denied: only admins may list '{str(path)[:200]}', which is not inside one "
             "experiment's artifact folder.")


CHECKS = {"downloadArtifact": check_proxied_path, "uploadArtifact": check_proxied_path,
          "deleteArtifact": check_proxied_path, "listProxiedArtifacts": check_proxied_path,
          "createModelVersion": check, "createExperiment": check_experiment_location,
          "startTraceV3": check_new_trace, "setTraceTag": check_trace_tag, "setTraceTagV3": check_trace_tag,
          "endTrace": check_ended_trace, "startTrace": check_ended_trace,
          "setOnlineScoringConfig": check_scoring_config}


def check_request() -> None:
    """A before_request of MLflow's app, after the layer's hook (it knows the user)."""
    from flask import current_app

    from auth.layer import EXTENSION

    layer = current_app.extensions.get(EXTENSION)
    if layer is not None and request.url_rule is not None and layer.host.operation() in CHECKS:
        CHECKS[layer.host.operation()](layer.host.request_fields())
