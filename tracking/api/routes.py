"""The one route table of the host: every URL it serves, its methods and its handler.

Endpoint names are MLflow's RPC names; the authorization layer keys its rules on them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from flask import Flask

from tracking.api import artifacts, experiments, meta, openapi, registry, runs, workspaces


class Route(NamedTuple):
    path: str
    methods: tuple[str, ...]
    endpoint: str
    handler: Callable
    prefixes: tuple[str, ...]


V2 = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
V3 = ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow")
PROXY = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
ROOT = ("",)

ROUTES: tuple[Route, ...] = (
    Route("/", ("GET",), "home", meta.home, ROOT),
    Route("/health", ("GET",), "health", meta.health, ROOT),
    Route("/ready", ("GET",), "ready", meta.ready, ROOT),
    Route("/version", ("GET",), "version", meta.version, ROOT),
    Route("/server-info", ("GET",), "serverInfo", meta.server_info, V3),
    Route("/openapi.json", ("GET",), "openApiDocument", openapi.openapi_document, V3 + ROOT),
    # experiments
    Route("/experiments/create", ("POST",), "createExperiment", experiments.create_experiment, V2),
    Route("/experiments/get", ("GET",), "getExperiment", experiments.get_experiment, V2),
    Route("/experiments/get-by-name", ("GET",), "getExperimentByName", experiments.get_experiment_by_name, V2),
    Route("/experiments/search", ("GET", "POST"), "searchExperiments", experiments.search_experiments, V2),
    Route("/experiments/list", ("GET",), "listExperiments", experiments.list_experiments, V2),
    Route("/experiments/update", ("POST",), "updateExperiment", experiments.update_experiment, V2),
    Route("/experiments/delete", ("POST",), "deleteExperiment", experiments.delete_experiment, V2),
    Route("/experiments/restore", ("POST",), "restoreExperiment", experiments.restore_experiment, V2),
    Route("/experiments/set-experiment-tag", ("POST",), "setExperimentTag", experiments.set_experiment_tag, V2),
    Route("/experiments/delete-experiment-tag", ("POST",), "deleteExperimentTag", experiments.delete_experiment_tag, V2),
    # runs
    Route("/runs/create", ("POST",), "createRun", runs.create_run, V2),
    Route("/runs/get", ("GET",), "getRun", runs.get_run, V2),
    Route("/runs/update", ("POST",), "updateRun", runs.update_run, V2),
    Route("/runs/delete", ("POST",), "deleteRun", runs.delete_run, V2),
    Route("/runs/restore", ("POST",), "restoreRun", runs.restore_run, V2),
    Route("/runs/search", ("POST",), "searchRuns", runs.search_runs, V2),
    Route("/runs/log-metric", ("POST",), "logMetric", runs.log_metric, V2),
    Route("/runs/log-parameter", ("POST",), "logParam", runs.log_param, V2),
    Route("/runs/log-batch", ("POST",), "logBatch", runs.log_batch, V2),
    Route("/runs/set-tag", ("POST",), "setTag", runs.set_tag, V2),
    Route("/runs/delete-tag", ("POST",), "deleteTag", runs.delete_tag, V2),
    Route("/logged-models/search", ("POST",), "searchLoggedModels", runs.search_logged_models, V2),
    Route("/metrics/get-history", ("GET",), "getMetricHistory", runs.get_metric_history, V2),
    # model registry (prompts are registered models tagged mlflow.prompt.is_prompt)
    Route("/registered-models/create", ("POST",), "createRegisteredModel", registry.create_registered_model, V2),
    Route("/registered-models/get", ("GET",), "getRegisteredModel", registry.get_registered_model, V2),
    Route("/registered-models/rename", ("POST",), "renameRegisteredModel", registry.rename_registered_model, V2),
    Route("/registered-models/update", ("PATCH",), "updateRegisteredModel", registry.update_registered_model, V2),
    Route("/registered-models/delete", ("DELETE",), "deleteRegisteredModel", registry.delete_registered_model, V2),
    Route("/registered-models/search", ("GET",), "searchRegisteredModels", registry.search_registered_models, V2),
    Route("/registered-models/get-latest-versions", ("GET", "POST"), "getLatestVersions", registry.get_latest_versions, V2),
    Route("/registered-models/set-tag", ("POST",), "setRegisteredModelTag", registry.set_registered_model_tag, V2),
    Route("/registered-models/delete-tag", ("DELETE",), "deleteRegisteredModelTag", registry.delete_registered_model_tag, V2),
    Route("/registered-models/alias", ("POST",), "setRegisteredModelAlias", registry.set_alias, V2),
    Route("/registered-models/alias", ("DELETE",), "deleteRegisteredModelAlias", registry.delete_alias, V2),
    Route("/registered-models/alias", ("GET",), "getModelVersionByAlias", registry.get_version_by_alias, V2),
    Route("/model-versions/create", ("POST",), "createModelVersion", registry.create_model_version, V2),
    Route("/model-versions/get", ("GET",), "getModelVersion", registry.get_model_version, V2),
    Route("/model-versions/update", ("PATCH",), "updateModelVersion", registry.update_model_version, V2),
    Route("/model-versions/delete", ("DELETE",), "deleteModelVersion", registry.delete_model_version, V2),
    Route("/model-versions/search", ("GET",), "searchModelVersions", registry.search_model_versions, V2),
    Route("/model-versions/transition-stage", ("POST",), "transitionModelVersionStage", registry.transition_stage, V2),
    Route("/model-versions/set-tag", ("POST",), "setModelVersionTag", registry.set_model_version_tag, V2),
    Route("/model-versions/delete-tag", ("DELETE",), "deleteModelVersionTag", registry.delete_model_version_tag, V2),
    Route("/model-versions/get-download-uri", ("GET",), "getModelVersionDownloadUri", registry.get_download_uri, V2),
    # the artifact proxy
    Route("/artifacts", ("GET",), "listProxiedArtifacts", artifacts.list_artifacts, PROXY),
    Route("/artifacts/<path:artifact_path>", ("GET",), "downloadArtifact", artifacts.download_artifact, PROXY),
    Route("/artifacts/<path:artifact_path>", ("PUT",), "uploadArtifact", artifacts.upload_artifact, PROXY),
    Route("/artifacts/<path:artifact_path>", ("DELETE",), "deleteArtifact", artifacts.delete_artifact, PROXY),
    # workspaces
    Route("/workspaces", ("GET",), "listWorkspaces", workspaces.list_workspaces, V3),
    Route("/workspaces", ("POST",), "createWorkspace", workspaces.create_workspace, V3),
    Route("/workspaces/<workspace_name>", ("GET",), "getWorkspace", workspaces.get_workspace, V3),
    Route("/workspaces/<workspace_name>", ("PATCH",), "updateWorkspace", workspaces.update_workspace, V3),
    Route("/workspaces/<workspace_name>", ("DELETE",), "deleteWorkspace", workspaces.delete_workspace, V3),
)


def register_routes(app: Flask) -> None:
    """Add every route of the table, under each of its prefixes."""
    # Match paths as sent: merging '//' would answer an artifact path like '%2Fetc' with an HTML
    # redirect to a relative path instead of a JSON 404.
    app.url_map.merge_slashes = False
    for route in ROUTES:
        for prefix in route.prefixes:
            app.add_url_rule(prefix + route.path, route.endpoint, route.handler, methods=list(route.methods))
