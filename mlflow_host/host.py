"""MlflowHost: the Host protocol (tracking.hostapi) over MLflow's server and its database.

Where a resource lives is read from MLflow's own tables through its store's SQLAlchemy session
(experiments carry their workspace; runs their experiment), globally, whatever the request's
workspace. The request's workspace is MLflow's workspace header, resolved by MLflow's workspace
store. Resource signals are sent after MLflow's handler answered a creation with success.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import request
from sqlalchemy import select

from mlflow_host import restriction
from tracking.hostapi import DEFAULT_WORKSPACE, Visibility
from tracking.hostkit import NotFound

_signals = Namespace()
HEADER = "X-MLflow-Workspace"


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
        if request.url_rule is None:
            return None
        return self.operations.name(request.endpoint, request.url_rule.rule, request.method)

    def workspaces_enabled(self) -> bool:
        from mlflow.environment_variables import MLFLOW_ENABLE_WORKSPACES

        return bool(MLFLOW_ENABLE_WORKSPACES.get())

    def current_workspace(self) -> str:
        name = self.workspace_as_seen_by_outsiders()
        if self.workspaces_enabled() and name != DEFAULT_WORKSPACE and not self.workspace_exists(name):
            raise NotFound(f"Workspace '{name}' not found.")
        return name

    def workspace_as_seen_by_outsiders(self) -> str:
        if not self.workspaces_enabled():
            return DEFAULT_WORKSPACE
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
        from mlflow.store.tracking.dbmodels.models import SqlExperiment, SqlRun

        if kind == "experiment":
            if not key.isdigit():
                return None
            query = select(SqlExperiment.workspace, SqlExperiment.experiment_id).where(
                SqlExperiment.experiment_id == int(key))
        elif kind == "run":
            query = (select(SqlExperiment.workspace, SqlExperiment.experiment_id)
                     .join(SqlRun, SqlRun.experiment_id == SqlExperiment.experiment_id)
                     .where(SqlRun.run_uuid == key))
        else:
            raise ValueError(f"unknown resource kind {kind}")
        found = self._first(query)
        return (found[0] or DEFAULT_WORKSPACE, str(found[1])) if found else None

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
        return None  # no operation of this host names a model version's source yet

    def experiment_of_artifact_path(self, path: str) -> str | None:
        return None  # the artifact proxy's routes are admin-only on this host so far

    def artifact_path_allowed(self, path: str) -> bool:
        return False

    def restrict(self, scope: str, rule: Visibility) -> None:
        restriction.keep(scope, rule)

    def add_ready_database(self, app: Any, name: str, database: Any) -> None:
        app.extensions.setdefault("wsauth.ready_databases", {})[name] = database

    def _first(self, query):
        from mlflow.server.handlers import _get_tracking_store

        with _get_tracking_store().ManagedSessionMaker() as session:
            return session.execute(query).first()

