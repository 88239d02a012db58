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

from mlflow_host import composite_parts, graphql_parts, restriction
from tracking import model_sources
from tracking.hostapi import DEFAULT_WORKSPACE, Visibility
from tracking.hostkit import InvalidParameter, NotFound

_signals = Namespace()
CHILDREN = ("run", "logged_model", "trace")  # kinds that live under an experiment
PROXY_OPERATIONS = ("downloadArtifact", "uploadArtifact", "deleteArtifact", "listProxiedArtifacts")
PROXY_SCHEME, WORKSPACES_FOLDER = "mlflow-artifacts:/", "workspaces"
NUMBER_LISTS = ("experiment_ids",)  # lists of experiment ids: 400 for one that is no number
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
        build = composite_parts.PARTS.get(operation or "")
        return build(self) if build is not None else [(None, {})]

    def experiments_of_dataset(self, dataset_id: str, workspace: str) -> list[str] | None:
        """The experiments an evaluation dataset of this workspace is linked to; None when the
        workspace holds no such dataset."""
        from mlflow.entities.entity_type import EntityAssociationType as Linked
        from mlflow.store.tracking.dbmodels.models import SqlEntityAssociation, SqlEvaluationDataset

        found = self._first(select(SqlEvaluationDataset.workspace).where(SqlEvaluationDataset.dataset_id == dataset_id))
        if found is None or (found[0] or DEFAULT_WORKSPACE) != workspace:
            return None
        rows = self._all(select(SqlEntityAssociation.destination_id).where(
            SqlEntityAssociation.source_type == Linked.EVALUATION_DATASET, SqlEntityAssociation.source_id == dataset_id,
            SqlEntityAssociation.destination_type == Linked.EXPERIMENT))
        return sorted({str(row[0]) for row in rows})

    def experiments_of_scorers(self, scorer_ids: list[str]) -> list[str]:
        """The experiments these scorers belong to (a scorer id of none adds nothing)."""
        from mlflow.store.tracking.dbmodels.models import SqlScorer

        return sorted({str(row[0]) for start in range(0, len(scorer_ids), 500) for row in self._all(
            select(SqlScorer.experiment_id).where(SqlScorer.scorer_id.in_(scorer_ids[start:start + 500])))})

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
        return self.workspaces_of(kind, [key]).get(key_of(kind, key))

    def workspaces_of(self, kind: str, keys: list) -> dict[str, tuple[str, str]]:
        """workspace_of for many keys at once: key (an experiment's as its number's text) ->
        (workspace, experiment), for those that exist, wherever they live."""
        from mlflow.store.tracking.dbmodels.models import SqlExperiment, SqlLoggedModel, SqlRun, SqlTraceInfo

        if kind == "experiment":
            column, values = SqlExperiment.experiment_id, [experiment_number(key) for key in keys]
            query = select(column, SqlExperiment.workspace, SqlExperiment.experiment_id)
        elif kind in CHILDREN:  # a run, logged model or trace: by the experiment it lives in
            model, name = {"run": (SqlRun, "run_uuid"), "logged_model": (SqlLoggedModel, "model_id"),
                           "trace": (SqlTraceInfo, "request_id")}[kind]
            column, values = getattr(model, name), [str(key) for key in keys]
            query = select(column, SqlExperiment.workspace, SqlExperiment.experiment_id).join(
                model, model.experiment_id == SqlExperiment.experiment_id)
        else:
            raise ValueError(f"unknown resource kind {kind}")
        found = {}
        for start in range(0, len(values), 500):  # bound the statement, whatever the request lists
            found.update((str(row[0]), (row[1] or DEFAULT_WORKSPACE, str(row[2])))
                         for row in self._all(query.where(column.in_(values[start:start + 500]))))
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


def key_of(kind: str, key: str) -> str:
    """A key as workspaces_of names it."""
    return str(experiment_number(key)) if kind == "experiment" else str(key)


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
