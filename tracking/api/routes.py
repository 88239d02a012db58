"""The one route table of the host: every URL it serves, its methods and its handler.

Endpoint names are MLflow's RPC names; the authorization layer keys its rules on them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from flask import Flask

from tracking.api import experiments, meta, runs, workspaces


class Route(NamedTuple):
    path: str
    methods: tuple[str, ...]
    endpoint: str
    handler: Callable
    prefixes: tuple[str, ...]


V2 = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
V3 = ("/api/3.0/mlflow", "/ajax-api/3.0/mlflow")
ROOT = ("",)

ROUTES: tuple[Route, ...] = (
    Route("/health", ("GET",), "health", meta.health, ROOT),
    Route("/version", ("GET",), "version", meta.version, ROOT),
    Route("/server-info", ("GET",), "serverInfo", meta.server_info, V3),
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
    Route("/metrics/get-history", ("GET",), "getMetricHistory", runs.get_metric_history, V2),
    # workspaces
    Route("/workspaces", ("GET",), "listWorkspaces", workspaces.list_workspaces, V3),
    Route("/workspaces", ("POST",), "createWorkspace", workspaces.create_workspace, V3),
    Route("/workspaces/<workspace_name>", ("GET",), "getWorkspace", workspaces.get_workspace, V3),
    Route("/workspaces/<workspace_name>", ("PATCH",), "updateWorkspace", workspaces.update_workspace, V3),
    Route("/workspaces/<workspace_name>", ("DELETE",), "deleteWorkspace", workspaces.delete_workspace, V3),
)


def register_routes(app: Flask) -> None:
    """Add every route of the table, under each of its prefixes."""
    for route in ROUTES:
        for prefix in route.prefixes:
            app.add_url_rule(prefix + route.path, route.endpoint, route.handler, methods=list(route.methods))
