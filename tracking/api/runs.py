"""Run handlers: create, get, update, delete, restore, search, logging, tags, metric history."""

from __future__ import annotations

from tracking import hosting
from tracking.api import checks, wire
from tracking.api.params import Field, read
from tracking.entities import ACTIVE, DELETED, Metric
from tracking.errors import InvalidParameter
from tracking.state import current_workspace, host
from tracking.store.experiments import now_ms
from tracking.store.runs import NewRun

RUN_FIELDS = (Field("run_id", "id", max_length=64), Field("run_uuid", "id", max_length=64))
METRIC_FIELDS = (
    Field("key", required=True, max_length=checks.KEY_MAX),
    Field("value", "float", required=True),
    Field("timestamp", "int"),
    Field("step", "int"),
)
PARAM_FIELDS = (
    Field("key", required=True, max_length=checks.KEY_MAX),
    Field("value", required=True, max_length=checks.PARAM_VALUE_MAX),
)


def _run_id(args: dict) -> str:
    run_id = args["run_id"] or args["run_uuid"]
    if not run_id:
        raise InvalidParameter("Missing value for required parameter 'run_id'.")
    return run_id


def create_run():
    """POST runs/create -> {"run"}."""
    args = read(
        Field("experiment_id", "id", max_length=40), Field("user_id", max_length=256),
        Field("start_time", "int"), Field("run_name", max_length=checks.KEY_MAX),
        Field("tags", "objects", item=checks.tag_fields(checks.RUN_TAG_VALUE_MAX)),
    )
    new = NewRun(
        experiment_id=args["experiment_id"] or "0", user_id=args["user_id"],
        start_time=args["start_time"], run_name=args["run_name"] or None,
        tags=checks.tags("tag", args["tags"]),
    )
    workspace = current_workspace()
    run = host().runs.create(workspace, new)
    hosting.announce(hosting.HOST.resource_created, kind="run", workspace=workspace, key=run.run_id,
                     experiment_id=run.experiment_id)
    return {"run": wire.run(run)}


def get_run():
    """GET runs/get -> {"run"}."""
    args = read(*RUN_FIELDS)
    return {"run": wire.run(host().runs.get(current_workspace(), _run_id(args)))}


def update_run():
    """POST runs/update -> {"run_info"}."""
    args = read(*RUN_FIELDS, Field("status", "id", max_length=20), Field("end_time", "int"),
                Field("run_name", max_length=checks.KEY_MAX))
    run = host().runs.update(current_workspace(), _run_id(args), checks.run_status(args["status"]),
                             args["end_time"], args["run_name"])
    return {"run_info": wire.run_info(run)}


def delete_run():
    """POST runs/delete."""
    host().runs.set_lifecycle(current_workspace(), _run_id(read(*RUN_FIELDS)), DELETED)
    return {}


def restore_run():
    """POST runs/restore."""
    host().runs.set_lifecycle(current_workspace(), _run_id(read(*RUN_FIELDS)), ACTIVE)
    return {}


def _metric(args: dict) -> Metric:
    timestamp = args["timestamp"] if args["timestamp"] is not None else now_ms()
    return Metric(checks.key("metric", args["key"]), args["value"], timestamp, args["step"] or 0)


def log_metric():
    """POST runs/log-metric."""
    args = read(*RUN_FIELDS, *METRIC_FIELDS)
    host().runs.log_batch(current_workspace(), _run_id(args), [_metric(args)], {}, {})
    return {}


def log_param():
    """POST runs/log-parameter."""
    args = read(*RUN_FIELDS, *PARAM_FIELDS)
    params = {checks.key("param", args["key"]): args["value"]}
    host().runs.log_batch(current_workspace(), _run_id(args), [], params, {})
    return {}


def set_tag():
    """POST runs/set-tag."""
    args = read(*RUN_FIELDS, *checks.tag_fields(checks.RUN_TAG_VALUE_MAX))
    host().runs.log_batch(current_workspace(), _run_id(args), [], {}, checks.tags("tag", [args]))
    return {}


def delete_tag():
    """POST runs/delete-tag."""
    args = read(*RUN_FIELDS, Field("key", required=True, max_length=checks.KEY_MAX))
    host().runs.delete_tag(current_workspace(), _run_id(args), args["key"])
    return {}


def log_batch():
    """POST runs/log-batch: metrics, params and tags in one transaction."""
    args = read(
        *RUN_FIELDS, Field("metrics", "objects", item=METRIC_FIELDS),
        Field("params", "objects", item=PARAM_FIELDS),
        Field("tags", "objects", item=checks.tag_fields(checks.RUN_TAG_VALUE_MAX)),
    )
    metrics, params, tags = args["metrics"] or [], args["params"] or [], args["tags"] or []
    _check_batch_size(len(metrics), len(params), len(tags))
    host().runs.log_batch(
        current_workspace(), _run_id(args), [_metric(m) for m in metrics],
        _unique_params(params), checks.tags("tag", tags),
    )
    return {}


def _check_batch_size(metrics: int, params: int, tags: int) -> None:
    for count, limit, what in ((metrics, checks.BATCH_METRICS_MAX, "metrics"),
                               (params, checks.BATCH_PARAMS_MAX, "params"),
                               (tags, checks.BATCH_TAGS_MAX, "tags")):
        if count > limit:
            raise InvalidParameter(f"A batch may hold at most {limit} {what}; this one has {count}.")
    if metrics + params + tags > checks.BATCH_TOTAL_MAX:
        raise InvalidParameter(
            f"A batch may hold at most {checks.BATCH_TOTAL_MAX} metrics, params and tags in all."
        )


def _unique_params(items: list[dict]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key = checks.key("param", item["key"])
        if params.get(key, item["value"]) != item["value"]:
            raise InvalidParameter(f"Param '{key}' appears twice in the batch with different values.")
        params[key] = item["value"]
    return params


def search_runs():
    """POST runs/search -> {"runs", "next_page_token"}."""
    args = read(*checks.SEARCH_FIELDS, Field("experiment_ids", "strings", max_length=40),
                Field("run_view_type", "id", max_length=20))
    page = host().runs.search(
        current_workspace(), args["experiment_ids"] or [], args["filter"], args["order_by"],
        checks.view_type(args["run_view_type"], "run_view_type"), checks.max_results(args["max_results"]),
        args["page_token"], visible=hosting.visibility("experiment"),
    )
    return wire.page("runs", page, wire.run)


def get_metric_history():
    """GET metrics/get-history -> {"metrics", "next_page_token"}."""
    args = read(*RUN_FIELDS, Field("metric_key", required=True, max_length=checks.KEY_MAX),
                Field("max_results", "int"), Field("page_token", max_length=200))
    page = host().runs.metric_history(
        current_workspace(), _run_id(args), args["metric_key"],
        checks.max_results(args["max_results"], default=25_000, limit=25_000), args["page_token"],
    )
    return wire.page("metrics", page, wire.metric)


def search_logged_models():
    """POST logged-models/search -> {"models": []}.

    wsauth does not store MLflow 3 logged models (POST logged-models is not served), so none
    exist; the mlflow client searches them while resolving runs:/ URIs and needs this answer.
    The request is still checked, but the experiment ids are not looked up, so the answer says
    nothing about which experiments exist.
    """
    read(Field("experiment_ids", "strings", max_length=40), *checks.SEARCH_FIELDS)
    return {"models": []}
