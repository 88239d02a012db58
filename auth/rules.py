"""What each route needs: one table, looked up by endpoint name. A route with no entry is
admin-only (fail closed), and a test walks the URL map to make sure every route has one.

- PUBLIC: no credentials (health, ready, version, server-info).
- AUTHENTICATED: any signed-in user; the handler shows nothing that needs a grant.
- Filtered(kind): any signed-in user; searches and lists of that kind return only what the user
  may read (FILTERED_EXPERIMENTS, FILTERED_MODELS, FILTERED_WORKSPACES).
- SELF_OR_ADMIN: the user named in the request, or an admin.
- VISIBLE_WORKSPACE: any signed-in user to whom list_workspaces shows the workspace in the path.
- ADMIN: admins only.
- COMPOSITE: a request that asks for several operations at once (MLflow's GraphQL); the host
  names them (Host.operation_parts) and each must pass its own rule.
- Requirement(capability, target): the user's permission on the target must grant it.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth import kinds
from auth.kinds import Kind
from auth.permissions import Capability

READ, USE, UPDATE = Capability.READ, Capability.USE, Capability.UPDATE
DELETE, MANAGE = Capability.DELETE, Capability.MANAGE


@dataclass(frozen=True)
class Target:
    """Where the request's resource is named: a kind, and the request field holding its key."""

    kind: Kind
    field: str | None = None
    fallback_field: str | None = None
    default: str | None = None  # the key the handler uses when the request names none

    def __post_init__(self):
        if not isinstance(self.kind, Kind):
            raise TypeError(f"a Target names a kinds.Kind, not {self.kind!r}")


@dataclass(frozen=True)
class Filtered:
    """Any signed-in user; the host's searches of this kind show only what the user may read."""

    kind: Kind

    def __post_init__(self):
        if self.kind.search_scope is None:
            raise TypeError(f"the host has no searches of kind {self.kind.name}")


@dataclass(frozen=True)
class Requirement:
    """A capability needed on a target; `creates` marks the creation of a resource; `also`
    lists further requirements checked only when the request names their target; `lists_experiments`
    marks a listing whose entries may be experiments' folders, shown only to who may read them."""

    capability: Capability
    target: Target
    creates: bool = False
    also: tuple["Requirement", ...] = ()
    lists_experiments: bool = False

    def __post_init__(self):
        if not isinstance(self.capability, Capability):
            raise TypeError(f"a Requirement needs a Capability, not {self.capability!r}")


PUBLIC, AUTHENTICATED, SELF_OR_ADMIN, ADMIN = "public", "authenticated", "self", "admin"
COMPOSITE = "composite"
VISIBLE_WORKSPACE = "visible workspace"
FILTERED_EXPERIMENTS = Filtered(kinds.EXPERIMENT)  # runs are listed by their experiments' visibility
FILTERED_MODELS = Filtered(kinds.REGISTERED_MODEL)
FILTERED_WORKSPACES = Filtered(kinds.WORKSPACE)

WORKSPACE_HERE = Target(kinds.CURRENT_WORKSPACE)
EXPERIMENT = Target(kinds.EXPERIMENT, "experiment_id")
NEW_RUN_EXPERIMENT = Target(kinds.EXPERIMENT, "experiment_id", default="0")  # runs/create's default
EXPERIMENT_NAME = Target(kinds.EXPERIMENT_NAME, "experiment_name")
RUN = Target(kinds.RUN, "run_id", "run_uuid")
MODEL = Target(kinds.REGISTERED_MODEL, "name")
ARTIFACT = Target(kinds.ARTIFACT, "artifact_path")
ARTIFACT_LISTING = Target(kinds.ARTIFACT, "path")
WORKSPACE_IN_PATH = Target(kinds.WORKSPACE, "workspace_name")
SOURCE_RUN = Target(kinds.SOURCE_RUN)
LOGGED_MODEL = Target(kinds.LOGGED_MODEL, "model_id")
LOGGED_MODEL_SOURCE_RUN = Target(kinds.RUN, "source_run_id")
TRACE = Target(kinds.TRACE, "trace_id", "request_id")
TRACE_FILES = Target(kinds.TRACE, "request_id")  # get-trace-artifact reads only request_id
# a new trace names its experiment inside its trace_info (MLflow 3's traces endpoint)
NEW_TRACE_EXPERIMENT = Target(kinds.EXPERIMENT, "trace.trace_info.trace_location.mlflow_experiment.experiment_id")


def _needs(capability: Capability, target: Target, *endpoints: str) -> dict[str, Requirement]:
    return {endpoint: Requirement(capability, target) for endpoint in endpoints}


RULES: dict[str, object] = {
    # public probes (seeds: clients detect workspace support through server-info)
    "home": PUBLIC, "health": PUBLIC, "ready": PUBLIC, "version": PUBLIC, "serverInfo": PUBLIC,
    "openApiDocument": PUBLIC,
    "webUi": AUTHENTICATED,  # MLflow's web UI, its page and static files: no data in them
    "graphql": COMPOSITE,  # MLflow's GraphQL: every field it asks for under that operation's rule
    # the metric histories of several runs (MLflow's UI charts): a read of every run named
    "getMetricHistoryBulk": COMPOSITE, "getMetricHistoryBulkInterval": COMPOSITE,
    # experiments
    "createExperiment": Requirement(UPDATE, WORKSPACE_HERE, creates=True),
    **_needs(READ, EXPERIMENT, "getExperiment"),
    **_needs(READ, EXPERIMENT_NAME, "getExperimentByName"),
    "searchExperiments": FILTERED_EXPERIMENTS, "listExperiments": FILTERED_EXPERIMENTS,
    **_needs(UPDATE, EXPERIMENT, "updateExperiment", "setExperimentTag", "deleteExperimentTag"),
    **_needs(UPDATE, NEW_RUN_EXPERIMENT, "createRun"),
    **_needs(DELETE, EXPERIMENT, "deleteExperiment", "restoreExperiment"),
    # runs
    **_needs(READ, RUN, "getRun", "getMetricHistory", "listArtifacts", "getRunArtifact"),
    **_needs(UPDATE, RUN, "updateRun", "logMetric", "logParam", "logBatch", "setTag", "deleteTag",
             "logInputs", "logOutputs", "logModel"),
    **_needs(DELETE, RUN, "deleteRun", "restoreRun"),
    "searchRuns": FILTERED_EXPERIMENTS,
    # logged models: their experiment's permission (a source run must be readable too)
    "createLoggedModel": Requirement(UPDATE, EXPERIMENT, also=(Requirement(READ, LOGGED_MODEL_SOURCE_RUN),)),
    **_needs(READ, LOGGED_MODEL, "getLoggedModel", "listLoggedModelArtifacts", "getLoggedModelArtifact"),
    **_needs(UPDATE, LOGGED_MODEL, "finalizeLoggedModel", "setLoggedModelTags", "deleteLoggedModelTag",
             "LogLoggedModelParams"),
    **_needs(DELETE, LOGGED_MODEL, "deleteLoggedModel"),
    "searchLoggedModels": FILTERED_EXPERIMENTS,
    # traces and their assessments: their experiment's permission
    **_needs(UPDATE, NEW_TRACE_EXPERIMENT, "startTraceV3"),
    **_needs(UPDATE, EXPERIMENT, "exportOtlpTraces"),  # OTLP ingest: the experiment its header names
    **_needs(UPDATE, EXPERIMENT, "startTrace"),
    **_needs(READ, TRACE, "getTraceInfoV3", "getTraceInfo", "getTrace", "GetAssessment"),
    **_needs(READ, TRACE_FILES, "getTraceArtifact"),
    **_needs(UPDATE, TRACE, "endTrace", "setTraceTag", "setTraceTagV3", "deleteTraceTag", "deleteTraceTagV3",
             "createAssessment", "updateAssessment", "deleteAssessment"),
    **_needs(DELETE, EXPERIMENT, "deleteTraces", "deleteTracesV3"),
    "searchTraces": FILTERED_EXPERIMENTS, "searchTracesV3": FILTERED_EXPERIMENTS,
    "batchGetTraces": COMPOSITE, "batchGetTraceInfos": COMPOSITE,  # a read of every trace named
    # the UI's trace charts: a read of every experiment named; links: an update of the run or
    # trace linked to, and of every trace linked (a read of every prompt linked)
    "queryTraceMetrics": COMPOSITE, "calculateTraceFilterCorrelation": COMPOSITE,
    "linkTracesToRun": COMPOSITE, "linkPromptsToTrace": COMPOSITE,
    # scorers: their experiment's permission; the online configs of scorers a read of each
    # scorer's experiment; the datasets logged to experiments a read of each experiment named
    **_needs(UPDATE, EXPERIMENT, "registerScorer", "setOnlineScoringConfig"),
    **_needs(READ, EXPERIMENT, "listScorers", "listScorerVersions", "getScorer"),
    **_needs(DELETE, EXPERIMENT, "deleteScorer"),
    "getOnlineScoringConfigs": COMPOSITE, "searchDatasets": COMPOSITE,
    # evaluation datasets: the permission on every experiment a dataset is linked to (on the
    # workspace for one linked to none), and update on every experiment linked or unlinked
    **{name: COMPOSITE for name in ("createDataset", "getDataset", "deleteDataset", "setDatasetTags",
                                    "deleteDatasetTag", "upsertDatasetRecords", "getDatasetRecords",
                                    "deleteDatasetRecords", "getDatasetExperimentIds", "addDatasetToExperiments",
                                    "removeDatasetFromExperiments")},
    "searchEvaluationDatasets": FILTERED_EXPERIMENTS,
    # registered models and prompts
    "createRegisteredModel": Requirement(UPDATE, WORKSPACE_HERE, creates=True),
    **_needs(READ, MODEL, "getRegisteredModel", "getLatestVersions", "getModelVersionByAlias",
             "getModelVersion", "getModelVersionDownloadUri", "getModelVersionArtifact"),
    **_needs(UPDATE, MODEL, "renameRegisteredModel", "updateRegisteredModel", "setRegisteredModelTag",
             "deleteRegisteredModelTag", "setRegisteredModelAlias",
             "updateModelVersion", "transitionModelVersionStage", "setModelVersionTag",
             "deleteModelVersionTag"),
    # a version made from a run or a logged model must not expose one the user may not read
    "createModelVersion": Requirement(UPDATE, MODEL, also=(Requirement(READ, SOURCE_RUN),
                                                           Requirement(READ, LOGGED_MODEL))),
    **_needs(DELETE, MODEL, "deleteRegisteredModel", "deleteRegisteredModelAlias", "deleteModelVersion"),
    "searchRegisteredModels": FILTERED_MODELS, "searchModelVersions": FILTERED_MODELS,
    # the artifact proxy: the experiment in the path, else the request's workspace
    # a folder above experiment folders lists only the experiments the user may read
    "listProxiedArtifacts": Requirement(READ, ARTIFACT_LISTING, lists_experiments=True),
    **_needs(READ, ARTIFACT, "downloadArtifact"),
    **_needs(UPDATE, ARTIFACT, "uploadArtifact"),
    **_needs(DELETE, ARTIFACT, "deleteArtifact"),
    # the AI Gateway's secrets (API keys), model definitions and endpoints: the request's
    # workspace decides (the seeds' levels; MLflow keeps each in one workspace), and invoking an
    # endpoint of the workspace takes USE. Budgets and bindings stay admin-only so far.
    "invokeGatewayEndpoint": Requirement(USE, WORKSPACE_HERE),
    **_needs(READ, WORKSPACE_HERE, "getGatewaySecretInfo", "listGatewaySecretInfos", "getGatewayEndpoint",
             "listGatewayEndpoints", "getGatewayModelDefinition", "listGatewayModelDefinitions"),
    **_needs(UPDATE, WORKSPACE_HERE, "createGatewaySecret", "updateGatewaySecret", "createGatewayEndpoint",
             "updateGatewayEndpoint", "createGatewayModelDefinition", "updateGatewayModelDefinition",
             "attachModelToEndpoint", "detachModelFromEndpoint", "setGatewayEndpointTag", "deleteGatewayEndpointTag"),
    **_needs(DELETE, WORKSPACE_HERE, "deleteGatewaySecret", "deleteGatewayEndpoint", "deleteGatewayModelDefinition"),
    # workspaces
    "listWorkspaces": FILTERED_WORKSPACES,
    "getWorkspace": VISIBLE_WORKSPACE,
    "createWorkspace": ADMIN, "updateWorkspace": ADMIN, "deleteWorkspace": ADMIN,
    # users and permissions (auth.api)
    "createUser": ADMIN, "listUsers": ADMIN, "updateUserAdmin": ADMIN, "deleteUser": ADMIN,
    "getUser": SELF_OR_ADMIN, "updateUserPassword": SELF_OR_ADMIN,
    **_needs(MANAGE, EXPERIMENT, "createExperimentPermission", "getExperimentPermission",
             "updateExperimentPermission", "deleteExperimentPermission"),
    **_needs(MANAGE, MODEL, "createRegisteredModelPermission", "getRegisteredModelPermission",
             "updateRegisteredModelPermission", "deleteRegisteredModelPermission"),
    **_needs(MANAGE, WORKSPACE_IN_PATH, "listWorkspacePermissions", "setWorkspacePermission",
             "deleteWorkspacePermission"),
    "listUserWorkspacePermissions": ADMIN,
    "listAuditEvents": ADMIN, "listLockouts": ADMIN, "clearLockouts": ADMIN,
}


def rule_for(endpoint: str | None) -> object:
    """The rule of an endpoint; ADMIN for one the table does not know."""
    return RULES.get(endpoint or "", ADMIN)
