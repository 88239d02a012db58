"""What each of MLflow's routes is, in the auth layer's words: the name of its operation, looked
up in the layer's one rule table (auth.rules).

MLflow's REST routes come from its protobuf services, whose rpc names are the operation names
wsauth's own server uses (getExperiment, logBatch, ...). Only the operations listed in SHARED
are named: those whose MLflow handler reads and writes exactly what the rule speaks of, and
searches whose scope mlflow_host/restriction.py restricts inside MLflow's queries. Every other
route of MLflow has no name here, so the layer makes it admin-only.
"""

from __future__ import annotations

from typing import Iterator

# Operations whose rule (auth.rules) holds on MLflow's handlers as on wsauth's own.
SHARED = frozenset({
    # experiments, by id or name
    "createExperiment", "getExperiment", "getExperimentByName", "updateExperiment", "deleteExperiment",
    "restoreExperiment", "setExperimentTag", "deleteExperimentTag",
    # searches, restricted inside MLflow's queries (mlflow_host/restriction.py); the registry's below
    "searchExperiments", "searchRuns",
    # runs, by id, with their inputs (datasets), outputs (logged models) and artifact listings
    "createRun", "getRun", "updateRun", "deleteRun", "restoreRun", "logMetric", "logParam", "logBatch",
    "setTag", "deleteTag", "getMetricHistory", "getMetricHistoryBulkInterval", "logInputs", "logOutputs",
    "logModel", "listArtifacts",
    # logged models, by id (their experiment decides), and their search (restricted in the query)
    "createLoggedModel", "getLoggedModel", "finalizeLoggedModel", "deleteLoggedModel", "setLoggedModelTags",
    "deleteLoggedModelTag", "LogLoggedModelParams", "listLoggedModelArtifacts", "searchLoggedModels",
    # traces, by id (their experiment decides), their assessments, and their searches
    "startTraceV3", "startTrace", "endTrace", "getTraceInfoV3", "getTraceInfo", "getTrace", "setTraceTag",
    "setTraceTagV3", "deleteTraceTag", "deleteTraceTagV3", "deleteTraces", "deleteTracesV3", "searchTraces",
    "searchTracesV3", "batchGetTraces", "batchGetTraceInfos", "linkTracesToRun", "linkPromptsToTrace",
    "queryTraceMetrics", "calculateTraceFilterCorrelation", "createAssessment", "updateAssessment", "deleteAssessment", "GetAssessment",
    # scorers of an experiment (the LLM judges of its traces), by the experiment they belong to,
    # and the datasets logged to experiments (a read of every experiment listed)
    "registerScorer", "listScorers", "listScorerVersions", "getScorer", "deleteScorer", "searchDatasets",
    # evaluation datasets: by the experiments each is linked to (the workspace for one linked to
    # none), and their search (restricted in the query)
    "createDataset", "getDataset", "deleteDataset", "setDatasetTags", "deleteDatasetTag", "upsertDatasetRecords",
    "getDatasetRecords", "deleteDatasetRecords", "getDatasetExperimentIds", "addDatasetToExperiments",
    "removeDatasetFromExperiments", "searchEvaluationDatasets",
    # registered models and prompts, by name, and their versions (a version's source is held to
    # what the user may read: mlflow_host/request_checks.py)
    "createRegisteredModel", "getRegisteredModel", "renameRegisteredModel", "updateRegisteredModel",
    "deleteRegisteredModel", "setRegisteredModelTag", "deleteRegisteredModelTag", "setRegisteredModelAlias",
    "deleteRegisteredModelAlias", "getModelVersionByAlias", "getLatestVersions", "getModelVersion",
    "getModelVersionDownloadUri", "updateModelVersion", "transitionModelVersionStage", "setModelVersionTag",
    "deleteModelVersionTag", "deleteModelVersion", "searchRegisteredModels", "searchModelVersions",
    "createModelVersion",
    # workspaces: listed as visible to the user; changed by admins (the audit trail records it)
    "listWorkspaces", "getWorkspace", "createWorkspace", "updateWorkspace", "deleteWorkspace",
    # the artifact proxy (--artifacts-destination): by the experiment whose folder holds the path
    "downloadArtifact", "uploadArtifact", "deleteArtifact", "listProxiedArtifacts",
    # the AI Gateway's secrets, model definitions and endpoints: MLflow keeps each in one
    # workspace and finds it only there, so the request's workspace decides
    "getGatewaySecretInfo", "listGatewaySecretInfos", "getGatewayEndpoint", "listGatewayEndpoints",
    "getGatewayModelDefinition", "listGatewayModelDefinitions", "createGatewaySecret", "updateGatewaySecret",
    "createGatewayEndpoint", "updateGatewayEndpoint", "createGatewayModelDefinition", "updateGatewayModelDefinition",
    "attachModelToEndpoint", "detachModelFromEndpoint", "setGatewayEndpointTag", "deleteGatewayEndpointTag",
    "deleteGatewaySecret", "deleteGatewayEndpoint", "deleteGatewayModelDefinition",
    # the server itself
    "serverInfo",
})

# MLflow's routes that are not part of a protobuf service, by their Flask endpoint.
NAMED_ENDPOINTS = {
    "health": "health",
    "version": "version",
    "serve": "webUi",  # the UI's index page
    "serve_static_file": "webUi",
    "static": "webUi",
    "_get_server_info": "serverInfo",
    "serve_artifacts": "getRunArtifact",  # /get-artifact?run_id=...&path=...
    "serve_get_trace_artifact": "getTraceArtifact",  # ?request_id=...
    "serve_get_logged_model_artifact": "getLoggedModelArtifact",  # /logged-models/<model_id>/...
    "serve_model_version_artifact": "getModelVersionArtifact",  # ?name=...&version=...&path=...
    "serve_search_datasets": "searchDatasets",  # the UI's datasets of experiments
    "_get_online_scoring_configs": "getOnlineScoringConfigs",  # ?scorer_ids=...
    "_upsert_online_scoring_config": "setOnlineScoringConfig",  # {experiment_id, name, ...}
    "_graphql": "graphql",
    "serve_get_metric_history_bulk": "getMetricHistoryBulk",  # ?run_id=...&run_id=...
    "serve_get_metric_history_bulk_interval": "getMetricHistoryBulkInterval",  # the web UI's queries: mlflow_host/graphql_parts.py
}

# Routes MLflow's FastAPI app serves itself (under uvicorn), by their path template: the AI
# Gateway's invocation routes (an endpoint in the request's workspace, named in the path or the
# body's "model") and OTLP trace ingest (the experiment in the x-mlflow-experiment-id header).
GATEWAY_INVOCATIONS = "/gateway/"
OTLP_TRACES = "/v1/traces"
NATIVE = frozenset({"invokeGatewayEndpoint", "exportOtlpTraces"})


def native_name(path_template: str) -> str | None:
    """The operation a route of MLflow's FastAPI app serves; None (admin-only) for any other."""
    if path_template.startswith(GATEWAY_INVOCATIONS):
        return "invokeGatewayEndpoint"
    return "exportOtlpTraces" if path_template == OTLP_TRACES else None


# The artifact proxy's service names its listing as the tracking service names a run's listing:
# the proxy's listing gets the layer's name.
PROXY_NAMES = {"listArtifacts": "listProxiedArtifacts"}


def proto_routes() -> Iterator[tuple[str, str, str]]:
    """(Flask rule, HTTP method, rpc name) of every route MLflow builds from its services."""
    from mlflow.protos import databricks_pb2
    from mlflow.protos.mlflow_artifacts_pb2 import MlflowArtifactsService
    from mlflow.protos.model_registry_pb2 import ModelRegistryService
    from mlflow.protos.service_pb2 import MlflowService
    from mlflow.protos.webhooks_pb2 import WebhookService
    from mlflow.server.handlers import _get_paths

    for service in (MlflowService, ModelRegistryService, MlflowArtifactsService, WebhookService):
        names = PROXY_NAMES if service is MlflowArtifactsService else {}
        for method in service.DESCRIPTOR.methods:
            for endpoint in method.GetOptions().Extensions[databricks_pb2.rpc].endpoints:
                for path in _get_paths(endpoint.path, version=endpoint.since.major):
                    yield path, endpoint.method, names.get(method.name, method.name)


class OperationTable:
    """(rule, method) or endpoint of MLflow's app -> the operation's name, or None."""

    def __init__(self, mlflow_endpoints: set[str]):
        """`mlflow_endpoints`: the endpoints of MLflow's app before any plugin added its own."""
        self._mlflows = frozenset(mlflow_endpoints)
        self._by_route = {(path, method): name for path, method, name in proto_routes() if name in SHARED}

    def is_mlflows(self, endpoint: str | None) -> bool:
        """Whether a route is MLflow's own (not one a plugin added)."""
        return endpoint in self._mlflows

    def name(self, endpoint: str | None, rule: str | None, method: str) -> str | None:
        """The operation a request's route serves. A route a plugin added is named by its
        endpoint, as the plugin registered it."""
        if endpoint is not None and endpoint not in self._mlflows:
            return endpoint
        return self._by_route.get((rule or "", method)) or NAMED_ENDPOINTS.get(endpoint or "")
