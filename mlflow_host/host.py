"""MlflowHost: the Host protocol (tracking.hostapi) over MLflow's server and its database.

Where a resource lives is read from MLflow's own tables through its store's SQLAlchemy session
(experiments carry their workspace; runs their experiment), globally, whatever the request's
workspace. The request's workspace is MLflow's workspace header, resolved by MLflow's workspace
store. Resource signals are sent after MLflow's handler answered a creation with success.
"""

from __future__ import annotations

import json
from typing import Any

from blinker import Namespace
from flask import request
from sqlalchemy import select

from mlflow_host import graphql_parts, restriction
from tracking import model_sources
from tracking.hostapi import DEFAULT_WORKSPACE, Visibility
from tracking.hostkit import InvalidParameter, NotFound

_signals = Namespace()
CHILDREN = ("run", "logged_model", "trace")  # kinds that live under an experiment
PROXY_OPERATIONS = ("downloadArtifact", "uploadArtifact", "deleteArtifact", "listProxiedArtifacts")
PROXY_SCHEME, WORKSPACES_FOLDER = "mlflow-artifacts:/", "workspaces"
NUMBER_LISTS = ("experiment_ids",)  # lists of experiment ids: 400 for one that is no number
# Operations that read several resources at once: -> (the list field, the operation each item
# amounts to, its field there, the most items MLflow takes)
BULK_READS = {"getMetricHistoryBulkInterval": ("run_ids", "getRun", "run_id", 100),
              "getMetricHistoryBulk": ("run_id", "getRun", "run_id", 100),
              "searchDatasets": ("experiment_ids", "getExperiment", "experiment_id", 20),
              "batchGetTraces": ("trace_ids", "getTraceInfoV3", "trace_id", 1000),
              "batchGetTraceInfos": ("trace_ids", "getTraceInfoV3", "trace_id", 1000),
              "queryTraceMetrics": ("experiment_ids", "getExperiment", "experiment_id", 100),
              "calculateTraceFilterCorrelation": ("experiment_ids", "getExperiment", "experiment_id", 100)}
MAX_SCORER_IDS = 1000
# Evaluation datasets: operation -> what it needs of each experiment the dataset is linked to
# (named by the operation deciding that on an experiment), and whether it links or unlinks the
# experiments it lists (update on each of them too). A dataset linked to none is decided on the
# request's workspace.
READS, UPDATES, DELETES = "getExperiment", "updateExperiment", "deleteExperiment"
DATASETS = {"getDataset": (READS, False), "getDatasetRecords": (READS, False), "getDatasetExperimentIds": (READS, False),
            "setDatasetTags": (UPDATES, False), "deleteDatasetTag": (UPDATES, False),
            "upsertDatasetRecords": (UPDATES, False), "deleteDatasetRecords": (UPDATES, False),
            "deleteDataset": (DELETES, False), "addDatasetToExperiments": (UPDATES, True),
            "removeDatasetFromExperiments": (UPDATES, True), "createDataset": (None, True)}
MAX_LINKED = 100  # experiments a dataset request may list
HEADER = "X-MLflow-Workspace"
# A request of a route MLflow's FastAPI app serves itself is authorized in a Flask request
# context of its own (mlflow_host/asgi.py), whose environ names its operation and fields (no
# client can set an environ key without the HTTP_ prefix).
NATIVE_OPERATION, NATIVE_FIELDS = "wsauth.native_operation", "wsauth.native_fields"


class MlflowHost:
    """The Host protocol for MLflow's own server."""

    resource_created = _signals.signal("mlflow-resource-created")
    resource_deleted = _signals.signal("mlflow-resource-deleted")
    resource_renamed = _signals.signal("mlflow-resource-renamed")
    workspace_deleted = _signals.signal("mlflow-workspace-deleted")

    def __init__(self, operations):
        self.operations = operations

    # the request -------------------------------------------------------------------------------

    def operation(self) -> str | None:
        if NATIVE_OPERATION in request.environ:
            return request.environ[NATIVE_OPERATION]
        if request.url_rule is None:
            return None
        return self.operations.name(request.endpoint, request.url_rule.rule, request.method)

    def operation_parts(self) -> list[tuple[str | None, Any]]:
        operation = self.operation()
        if operation == "graphql":
            return graphql_parts.parts(request.get_json(force=True, silent=True))
        if operation in BULK_READS:  # several runs or experiments: a read of each
            name, part, field, most = BULK_READS[operation]
            keys = self._listed(name, most)
            if part == "getExperiment":  # each must be of this workspace (MLflow's query may not say)
                self._all_here(keys)
            return [(part, {field: key}) for key in keys]
        if operation == "linkTracesToRun":  # an update of the run and of every trace linked
            run, traces = self.request_fields().get("run_id"), self._listed("trace_ids", 1000)
            self._all_here(traces, "trace")
            self._all_here([run] if isinstance(run, str) else [], "run")
            return [("setTag", {"run_id": run}), *[("setTraceTagV3", {"trace_id": key}) for key in traces]]
        if operation == "linkPromptsToTrace":  # an update of the trace, a read of every prompt
            prompts = self._listed("prompt_versions", 100)
            if not all(isinstance(prompt, dict) for prompt in prompts):
                raise InvalidParameter("'prompt_versions' must list objects with a name and a version.")
            trace = self.request_fields().get("trace_id")
            self._all_here([trace] if isinstance(trace, str) else [], "trace")
            return [("setTraceTagV3", {"trace_id": trace}),
                    *[("getRegisteredModel", {"name": prompt.get("name")}) for prompt in prompts]]
        if operation in DATASETS:
            return self._dataset_parts(operation)
        if operation == "getOnlineScoringConfigs":  # a read of each scorer's experiment
            return [("getExperiment", {"experiment_id": experiment})
                    for experiment in self._experiments_of_scorers(self._listed("scorer_ids", MAX_SCORER_IDS))]
        return [(None, {})]

    def _dataset_parts(self, operation: str) -> list[tuple[str, dict]]:
        """An evaluation dataset's operation as operations on experiments: on every experiment
        the dataset is linked to (on the workspace when none), and an update of each experiment
        it links or unlinks, which must exist in the request's workspace (404 otherwise, as for a
        dataset that does not)."""
        on_dataset, links = DATASETS[operation]
        here, parts = self.workspace_as_seen_by_outsiders(), []
        if on_dataset is not None:
            linked = self._experiments_of_dataset((request.view_args or {}).get("dataset_id"), here)
            parts += [(on_dataset, {"experiment_id": key}) for key in linked] or [(on_dataset, {})]
        if links:
            listed = self._listed("experiment_ids", MAX_LINKED)
            self._all_here(listed)
            parts += [(UPDATES, {"experiment_id": str(key)}) for key in listed]
            if on_dataset is None and not listed:  # a new dataset of no experiment: the workspace's
                parts.append((UPDATES, {}))
        return parts

    def _all_here(self, keys: list, kind: str = "experiment") -> None:
        """404 for an experiment (run, trace) the request lists that is not of the request's
        workspace: MLflow's own query of them may not say which workspace."""
        here = self.workspace_as_seen_by_outsiders()
        for key in keys:
            found = self.workspace_of(kind, str(key))
            if found is None or found[0] != here or (kind == "experiment" and found[1] != str(experiment_number(key))):
                raise NotFound(f"No {kind} with id '{str(key)[:60]}' exists in workspace '{here}'.")

    def _experiments_of_dataset(self, dataset_id, workspace: str) -> list[str]:
        from mlflow.entities.entity_type import EntityAssociationType as Linked
        from mlflow.store.tracking.dbmodels.models import SqlEntityAssociation, SqlEvaluationDataset

        found = self._first(select(SqlEvaluationDataset.workspace).where(
            SqlEvaluationDataset.dataset_id == str(dataset_id)))
        if found is None or (found[0] or DEFAULT_WORKSPACE) != workspace:
            raise NotFound(f"Dataset '{str(dataset_id)[:60]}' not found in workspace '{workspace}'.")
        rows = self._all(select(SqlEntityAssociation.destination_id).where(
            SqlEntityAssociation.source_type == Linked.EVALUATION_DATASET,
            SqlEntityAssociation.source_id == str(dataset_id),
            SqlEntityAssociation.destination_type == Linked.EXPERIMENT))
        return sorted({str(row[0]) for row in rows})

    def _listed(self, name: str, most: int) -> list:
        """The items of a list field of the request (repeated query arguments or a JSON list);
        400 past `most`, before any of them is looked up."""
        fields = self.request_fields()
        found = fields.getlist(name) if hasattr(fields, "getlist") else fields.get(name)
        found = [item for item in (found if isinstance(found, list) else [found]) if item is not None]
        if len(found) > most:
            raise InvalidParameter(f"'{name}' lists {len(found)} items; send at most {most} per request.")
        return found

    def _experiments_of_scorers(self, scorer_ids: list) -> list[str]:
        from mlflow.store.tracking.dbmodels.models import SqlScorer

        keys = [key for key in scorer_ids if isinstance(key, str)]
        if len(keys) != len(scorer_ids):
            raise InvalidParameter("'scorer_ids' must list scorer ids (strings).")
        found = self._all(select(SqlScorer.experiment_id).where(SqlScorer.scorer_id.in_(keys)).distinct())
        return sorted(str(row[0]) for row in found)

    def request_fields(self) -> Any:
        if NATIVE_FIELDS in request.environ:
            return request.environ[NATIVE_FIELDS]
        operation = self.operation()
        if operation == "graphql":
            return {}  # read as the operations it asks for (operation_parts), not as protobuf fields
        if operation in PROXY_OPERATIONS:
            return request.args  # an upload's body is the file: left unread for MLflow's handler
        # As MLflow's handlers read a request: a GET's query arguments when it has any, else
        # the JSON body (whatever the content type, and decoded twice when a client sent a JSON
        # string). A body that is no JSON object is refused here, before MLflow fails on it.
        if request.method == "GET" and request.args:
            return _agrees_with_path(request.args)
        payload = request.get_json(force=True, silent=True)
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                raise InvalidParameter("The request body is a JSON string that holds no JSON; send a JSON object.")
        if payload is None:
            return {}
        if not isinstance(payload, dict):
            raise InvalidParameter("The request body must be a JSON object.")
        # MLflow's protobuf parser also takes a field's camelCase name (experimentId for
        # experiment_id) and, given both, acts on the later one: a body could then name one
        # resource to the layer and another to MLflow. Field names are MLflow's snake_case ones.
        _agrees_with_path(payload)
        for name in NUMBER_LISTS:  # ids MLflow reads as numbers
            ids = payload.get(name)
            for key in ids if isinstance(ids, list) else []:
                experiment_number(key)
        # The same holds for the objects on the way to a nested field the layer reads.
        for fields in _objects_on_paths(payload):
            camel = sorted(key for key in fields if isinstance(key, str) and key != key.lower())
            if camel:
                raise InvalidParameter(f"Unknown field '{camel[0][:60]}': send MLflow's field names in "
                                       "snake_case (experiment_id, run_id, new_name, trace_info, ...).")
        return payload

    def workspaces_enabled(self) -> bool:
        from mlflow.environment_variables import MLFLOW_ENABLE_WORKSPACES

        return bool(MLFLOW_ENABLE_WORKSPACES.get())

    def current_workspace(self) -> str:
        name = self.workspace_as_seen_by_outsiders()
        if self.workspaces_enabled() and name != DEFAULT_WORKSPACE and not self.workspace_exists(name):
            raise NotFound(f"Workspace '{name}' not found.")
        return name

    def workspace_as_seen_by_outsiders(self) -> str:
        # The workspace MLflow's stores will use: under uvicorn MLflow's FastAPI middleware has
        # resolved it already, from the real header only (a header spelt X_MLflow_Workspace
        # reaches Flask under the same name, so the raw Flask header is not to be trusted
        # then); under gunicorn MLflow's Flask hook reads the header as read here.
        if not self.workspaces_enabled():
            return DEFAULT_WORKSPACE
        from mlflow.utils import workspace_context

        if workspace_context.is_request_workspace_resolved():
            return (workspace_context.get_request_workspace() or "").strip() or DEFAULT_WORKSPACE
        return (request.headers.get(HEADER) or "").strip() or DEFAULT_WORKSPACE

    def workspace_exists(self, name: str) -> bool:
        if not self.workspaces_enabled():
            return name == DEFAULT_WORKSPACE
        from mlflow.exceptions import MlflowException
        from mlflow.server.workspace_helpers import _get_workspace_store

        try:
            return _get_workspace_store().get_workspace(name) is not None
        except MlflowException:
            return False

    # where resources live ----------------------------------------------------------------------

    def workspace_of(self, kind: str, key: str) -> tuple[str, str] | None:
        from mlflow.store.tracking.dbmodels.models import SqlExperiment, SqlLoggedModel, SqlRun, SqlTraceInfo

        query = select(SqlExperiment.workspace, SqlExperiment.experiment_id)
        if kind == "experiment":
            query = query.where(SqlExperiment.experiment_id == experiment_number(key))
        elif kind in CHILDREN:  # a run, logged model or trace: by the experiment it lives in
            model, id_column = {"run": (SqlRun, "run_uuid"), "logged_model": (SqlLoggedModel, "model_id"),
                                "trace": (SqlTraceInfo, "request_id")}[kind]
            query = query.join(model, model.experiment_id == SqlExperiment.experiment_id).where(
                getattr(model, id_column) == key)
        else:
            raise ValueError(f"unknown resource kind {kind}")
        found = self._first(query)
        return (found[0] or DEFAULT_WORKSPACE, str(found[1])) if found else None

    def experiments_of_traces(self, trace_ids: list[str]) -> dict[str, str]:
        """The experiment of each of these traces that exists, wherever it lives."""
        from mlflow.store.tracking.dbmodels.models import SqlTraceInfo

        found = {}
        for start in range(0, len(trace_ids), 500):  # bound the statement, whatever the export holds
            found.update((row[0], str(row[1])) for row in self._all(select(
                SqlTraceInfo.request_id, SqlTraceInfo.experiment_id).where(
                SqlTraceInfo.request_id.in_(trace_ids[start:start + 500]))))
        return found

    def experiment_id_by_name(self, workspace: str, name: str) -> str | None:
        from mlflow.store.tracking.dbmodels.models import SqlExperiment

        found = self._first(select(SqlExperiment.experiment_id).where(
            SqlExperiment.workspace == workspace, SqlExperiment.name == name))
        return str(found[0]) if found else None

    def model_exists(self, workspace: str, name: str) -> bool:
        from mlflow.store.model_registry.dbmodels.models import SqlRegisteredModel

        return self._first(select(SqlRegisteredModel.name).where(
            SqlRegisteredModel.workspace == workspace, SqlRegisteredModel.name == name)) is not None

    def run_of_source(self, source: str) -> str | None:
        return model_sources.run_of_source(source)

    def experiment_of_artifact_path(self, path: str) -> str | None:
        # The proxy's path as MLflow will act on it (with workspaces on, a path without the
        # workspaces/<name>/ prefix is put under the request's workspace, but in 'default'),
        # then the experiment of this workspace whose stored location holds it, the longest.
        from mlflow.store.tracking.dbmodels.models import SqlExperiment

        segments = _segments(path)
        if not segments:
            return None
        here = self.workspace_as_seen_by_outsiders()
        if self.workspaces_enabled() and segments[0] != WORKSPACES_FOLDER and here != DEFAULT_WORKSPACE:
            segments = [WORKSPACES_FOLDER, here, *segments]
        locations = [PROXY_SCHEME + "/".join(segments[:n]) for n in range(len(segments), 0, -1)]
        found = self._all(select(SqlExperiment.experiment_id, SqlExperiment.artifact_location).where(
            SqlExperiment.artifact_location.in_(locations), SqlExperiment.workspace == here))
        return str(max(found, key=lambda row: len(row[1]))[0]) if found else None

    def artifact_path_allowed(self, path: str) -> bool:
        return self.proxy_path_problem(path) is None

    def proxy_path_problem(self, path: str) -> str | None:
        """Why MLflow's proxy would refuse a path or read it otherwise than its text says."""
        segments = _segments(path)
        if segments is None:
            return f"Artifact path '{str(path)[:200]}' may not hold '.', '..', backslashes or NUL."
        here = self.workspace_as_seen_by_outsiders()
        if self.workspaces_enabled() and segments[:1] == [WORKSPACES_FOLDER] and segments[1:2] != [here]:
            return f"Artifact path '{str(path)[:200]}' is not in workspace '{here}', the request's."
        return None

    def restrict(self, scope: str, rule: Visibility) -> None:
        restriction.keep(scope, rule, self.workspace_as_seen_by_outsiders())

    def add_ready_database(self, app: Any, name: str, database: Any) -> None:
        app.extensions.setdefault("wsauth.ready_databases", {})[name] = database

    def _all(self, query) -> list:
        from mlflow.server.handlers import _get_tracking_store

        with _get_tracking_store().ManagedSessionMaker() as session:
            return list(session.execute(query).all())

    def _first(self, query):
        from mlflow.server.handlers import _get_tracking_store

        with _get_tracking_store().ManagedSessionMaker() as session:
            return session.execute(query).first()



def _segments(path: str) -> list[str] | None:
    """A proxy path's folders and file; None for one MLflow would refuse or read otherwise than
    its text says ('..', '.', backslashes, NUL)."""
    if not isinstance(path, str) or "\\" in path or "\x00" in path:
        return None
    segments = [segment for segment in path.split("/") if segment]
    return None if any(segment in (".", "..") for segment in segments) else segments


def _agrees_with_path(fields):
    """The fields, unless one of them is also a path parameter of the route with another value
    (MLflow's handler may act on the field's): 400 then."""
    for name, value in (request.view_args or {}).items():
        if name in fields and str(fields[name]) != str(value):
            raise InvalidParameter(f"The request's {name} '{str(fields[name])[:60]}' is not the path's "
                                   f"'{str(value)[:60]}'; leave it out of the body and query.")
    return fields


def _nested_paths() -> list[list[str]]:
    """The dotted request fields the layer's rules read, as lists of their parts but the last."""
    from auth.rules import RULES, Requirement

    fields: set[str] = set()
    pending = [rule for rule in RULES.values() if isinstance(rule, Requirement)]
    while pending:
        rule = pending.pop()
        pending.extend(rule.also)
        fields.update(name for name in (rule.target.field, rule.target.fallback_field) if name and "." in name)
    return [name.split(".")[:-1] for name in sorted(fields)]


NESTED_PATHS = _nested_paths()


def _objects_on_paths(payload: dict) -> list[dict]:
    """The body, and every object on the way to a nested field the layer reads."""
    found = [payload]
    for parts in NESTED_PATHS:
        value: Any = payload
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, dict):
                found.append(value)
    return found


MAX_ID = 2**63 - 1


def experiment_number(key: str) -> int:
    """The experiment an id names, read as MLflow reads it (Python's int(): " 2", "+2" and "2_0"
    are experiments 2, 2 and 20), so that the layer decides on the experiment MLflow acts on;
    400 for what MLflow could not store."""
    try:
        number = int(key)
    except (TypeError, ValueError):
        raise InvalidParameter(f"'{str(key)[:40]}' is not an experiment id; send its number.") from None
    if not 0 <= number <= MAX_ID:
        raise InvalidParameter(f"'{str(key)[:40]}' is out of the range of experiment ids.")
    return number
