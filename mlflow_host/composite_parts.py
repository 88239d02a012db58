"""The operations a request that names several resources amounts to (MLflow's GraphQL aside:
mlflow_host/graphql_parts.py), each decided under its own rule by the layer (rules.COMPOSITE):
reads of several runs, experiments or traces at once, links between them, scorers' online
configs, and evaluation datasets, decided by the experiments each is linked to.

Each builder takes the MlflowHost of the request and returns (operation, fields) pairs. A list
the request sends is bounded (400 past it, before anything is looked up); experiments, runs and
traces that a request links, unlinks or charts must be of the request's workspace (404
otherwise: MLflow's own queries of them may not say which workspace)."""

from __future__ import annotations

from flask import request

from tracking.hostkit import InvalidParameter, NotFound

READS, UPDATES, DELETES = "getExperiment", "updateExperiment", "deleteExperiment"  # on an experiment


def listed(host, name: str, most: int) -> list:
    """The items of a list field of the request (repeated query arguments or a JSON list);
    400 past `most`."""
    fields = host.request_fields()
    found = fields.getlist(name) if hasattr(fields, "getlist") else fields.get(name)
    found = [item for item in (found if isinstance(found, list) else [found]) if item is not None]
    if len(found) > most:
        raise InvalidParameter(f"'{name}' lists {len(found)} items; send at most {most} per request.")
    return found


def all_here(host, keys: list, kind: str = "experiment") -> None:
    """404 for an experiment (run, trace) of the list that is not of the request's workspace."""
    from mlflow_host.host import key_of

    here, found = host.workspace_as_seen_by_outsiders(), host.workspaces_of(kind, keys)
    for key in keys:
        place = found.get(key_of(kind, key))
        if place is None or place[0] != here:
            raise NotFound(f"No {kind} with id '{str(key)[:60]}' exists in workspace '{here}'.")


def bulk_read(name: str, part: str, field: str, most: int, kind: str | None = None):
    """A read of each item of the list field `name`, as operation `part` with `field`; the
    items must be of the request's workspace when `kind` is given."""

    def build(host):
        keys = listed(host, name, most)
        if kind is not None:
            all_here(host, keys, kind)
        return [(part, {field: key}) for key in keys]

    return build


def traces_linked_to_run(host):
    """An update of the run and of every trace linked to it."""
    run, traces = host.request_fields().get("run_id"), listed(host, "trace_ids", 1000)
    all_here(host, traces, "trace")
    all_here(host, [run] if isinstance(run, str) else [], "run")
    return [("setTag", {"run_id": run}), *[("setTraceTagV3", {"trace_id": key}) for key in traces]]


def prompts_linked_to_trace(host):
    """An update of the trace, a read of every prompt linked to it."""
    prompts = listed(host, "prompt_versions", 100)
    if not all(isinstance(prompt, dict) for prompt in prompts):
        raise InvalidParameter("'prompt_versions' must list objects with a name and a version.")
    trace = host.request_fields().get("trace_id")
    all_here(host, [trace] if isinstance(trace, str) else [], "trace")
    return [("setTraceTagV3", {"trace_id": trace}),
            *[("getRegisteredModel", {"name": prompt.get("name")}) for prompt in prompts]]


def online_scoring_configs(host):
    """A read of each listed scorer's experiment."""
    scorer_ids = listed(host, "scorer_ids", 1000)
    if not all(isinstance(key, str) for key in scorer_ids):
        raise InvalidParameter("'scorer_ids' must list scorer ids (strings).")
    return [(READS, {"experiment_id": experiment}) for experiment in host.experiments_of_scorers(scorer_ids)]


def dataset(on_dataset: str | None, links: bool = False):
    """An evaluation dataset's operation: `on_dataset` on every experiment the dataset is
    linked to (on the request's workspace when none), and, when it `links` or unlinks the
    experiments it lists, an update of each (a new dataset of none: of the workspace)."""

    def build(host):
        here, parts = host.workspace_as_seen_by_outsiders(), []
        if on_dataset is not None:
            dataset_id = str((request.view_args or {}).get("dataset_id"))
            linked = host.experiments_of_dataset(dataset_id, here)
            if linked is None:
                raise NotFound(f"Dataset '{dataset_id[:60]}' not found in workspace '{here}'.")
            parts += [(on_dataset, {"experiment_id": key}) for key in linked] or [(on_dataset, {})]
        if links:
            experiments = listed(host, "experiment_ids", 100)
            all_here(host, experiments)
            parts += [(UPDATES, {"experiment_id": str(key)}) for key in experiments]
            if on_dataset is None and not experiments:
                parts.append((UPDATES, {}))
        return parts

    return build


PARTS = {
    "getMetricHistoryBulkInterval": bulk_read("run_ids", "getRun", "run_id", 100),
    "getMetricHistoryBulk": bulk_read("run_id", "getRun", "run_id", 100),
    "batchGetTraces": bulk_read("trace_ids", "getTraceInfoV3", "trace_id", 1000),
    "batchGetTraceInfos": bulk_read("trace_ids", "getTraceInfoV3", "trace_id", 1000),
    "searchDatasets": bulk_read("experiment_ids", READS, "experiment_id", 20, "experiment"),
    "queryTraceMetrics": bulk_read("experiment_ids", READS, "experiment_id", 100, "experiment"),
    "calculateTraceFilterCorrelation": bulk_read("experiment_ids", READS, "experiment_id", 100, "experiment"),
    "linkTracesToRun": traces_linked_to_run,
    "linkPromptsToTrace": prompts_linked_to_trace,
    "getOnlineScoringConfigs": online_scoring_configs,
    **{name: dataset(READS) for name in ("getDataset", "getDatasetRecords", "getDatasetExperimentIds")},
    **{name: dataset(UPDATES) for name in ("setDatasetTags", "deleteDatasetTag", "upsertDatasetRecords",
                                           "deleteDatasetRecords")},
    "deleteDataset": dataset(DELETES),
    "addDatasetToExperiments": dataset(UPDATES, links=True),
    "removeDatasetFromExperiments": dataset(UPDATES, links=True),
    "createDataset": dataset(None, links=True),
}
