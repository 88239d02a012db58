"""What each endpoint takes and answers, keyed by its endpoint name (the name of the route table
and of auth.rules). Paths, methods and prefixes come from the route tables themselves."""

from __future__ import annotations

from typing import NamedTuple

from auth import api as auth_api
from tools.openapi.schemas import STRING, array, obj, page, ref
from tracking.api import checks, experiments, registry, runs, workspaces
from tracking.api.params import Field
from tracking.workspaces import RESERVED_NAMES


class Raw(NamedTuple):
    """A body that is not JSON: its media type and schema."""

    media_type: str
    schema: dict


class Operation(NamedTuple):
    """One endpoint: its summary, request fields and success answer."""

    summary: str
    tag: str
    fields: tuple[Field, ...] = ()
    answer: dict | Raw | None = ref("Empty")  # None: no body (204)
    status: int = 200
    scoped: bool = True  # acts in the workspace named by X-MLFLOW-WORKSPACE
    rules: dict | None = None  # extra JSON Schema keywords per field name
    in_query: bool | None = None  # fields in the query string (default: for GET only)
    body: Raw | None = None  # a request body that is not a JSON object
    extra: tuple[int, ...] = ()  # error statuses beyond the common ones (409, or 503 of a probe)
    lookups: bool = True  # may answer 404 (something named is missing, or the route is off)
    run_id_required: bool = False  # run_id or run_uuid must be given


TEXT = Raw("text/plain", STRING)
WORKSPACE_NAME = {
    "type": "string", "minLength": 2, "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    "description": "lowercase letters, digits and single hyphens inside (no '--'); not one of "
                   + ", ".join(sorted(RESERVED_NAMES)) + ", nor 'default' on creation",
}
LOOKUP_NAME = {key: WORKSPACE_NAME[key] for key in ("type", "maxLength", "pattern")}  # 'default' too
EXPERIMENT_NAME = Field("name", required=True, max_length=checks.EXPERIMENT_NAME_MAX)
EXPERIMENT_TAGS = Field("tags", "objects", item=checks.tag_fields(checks.EXPERIMENT_TAG_VALUE_MAX))
RUN_TAGS = Field("tags", "objects", item=checks.tag_fields(checks.RUN_TAG_VALUE_MAX))
TAG_KEY = Field("key", required=True, max_length=checks.KEY_MAX)
EXPERIMENT_IDS = Field("experiment_ids", "strings", max_length=40)
VIEW_TYPE = Field("view_type", "id", max_length=20)
SEARCH = checks.SEARCH_FIELDS
RUN = runs.RUN_FIELDS
NAME, VERSION, ALIAS = registry.NAME, registry.VERSION, registry.ALIAS
REGISTRY_TAG = checks.tag_fields(checks.REGISTRY_TAG_VALUE_MAX)
PASSWORD = Field("password", required=True, max_length=1000)
USER_FIELDS = (auth_api.USERNAME,)


def results(limit: int) -> dict:
    """The rule of a max_results field with that upper bound."""
    return {"max_results": {"minimum": 1, "maximum": limit}}


def one(name: str, schema: dict) -> dict:
    """An answer holding one object under `name`."""
    return obj({name: schema})


EXPERIMENT_PAGE = page("experiments", "Experiment")
SEARCH_RESULTS = results(checks.SEARCH_MAX_RESULTS)

OPERATIONS: dict[str, Operation] = {
    # health, version, server info, this document
    "home": Operation("A short HTML page about this server", "server",
                      answer=Raw("text/html", STRING), scoped=False),
    "health": Operation("Liveness probe: OK", "server", answer=TEXT, scoped=False),
    "ready": Operation("Readiness: every database answers", "server",
                       answer=obj({"status": {"type": "string", "enum": ["ready"]},
                                   "databases": {"type": "object", "additionalProperties": {"enum": ["up", "down"]}}}),
                       scoped=False, extra=(503,)),
    "version": Operation("The server's version", "server", answer=TEXT, scoped=False),
    "serverInfo": Operation("Store type and whether workspaces are on", "server",
                            answer=ref("ServerInfo"), scoped=False),
    "openApiDocument": Operation("This OpenAPI document", "server", answer={"type": "object"}, scoped=False),
    # experiments
    "createExperiment": Operation(
        "Create an experiment", "experiments",
        (EXPERIMENT_NAME, Field("artifact_location", max_length=4096), EXPERIMENT_TAGS),
        obj({"experiment_id": STRING})),
    "getExperiment": Operation("Get an experiment by id", "experiments", (experiments.EXPERIMENT_ID,),
                               one("experiment", ref("Experiment"))),
    "getExperimentByName": Operation(
        "Get an experiment by name", "experiments",
        (Field("experiment_name", required=True, max_length=checks.EXPERIMENT_NAME_MAX),),
        one("experiment", ref("Experiment"))),
    "searchExperiments": Operation("Search experiments", "experiments", (*SEARCH, VIEW_TYPE),
                                   EXPERIMENT_PAGE, rules=SEARCH_RESULTS),
    "listExperiments": Operation("List experiments (as search)", "experiments", (*SEARCH, VIEW_TYPE),
                                 EXPERIMENT_PAGE, rules=SEARCH_RESULTS),
    "updateExperiment": Operation(
        "Rename an experiment", "experiments",
        (experiments.EXPERIMENT_ID, Field("new_name", max_length=checks.EXPERIMENT_NAME_MAX))),
    "deleteExperiment": Operation("Delete an experiment and its runs", "experiments",
                                  (experiments.EXPERIMENT_ID,)),
    "restoreExperiment": Operation("Restore a deleted experiment", "experiments", (experiments.EXPERIMENT_ID,)),
    "setExperimentTag": Operation(
        "Set an experiment tag", "experiments",
        (experiments.EXPERIMENT_ID, *checks.tag_fields(checks.EXPERIMENT_TAG_VALUE_MAX))),
    "deleteExperimentTag": Operation("Delete an experiment tag", "experiments",
                                     (experiments.EXPERIMENT_ID, TAG_KEY)),
    # runs and metrics
    "createRun": Operation(
        "Create a run", "runs",
        (Field("experiment_id", "id", max_length=40), Field("user_id", max_length=256), Field("start_time", "int"),
         Field("run_name", max_length=checks.KEY_MAX), RUN_TAGS),
        one("run", ref("Run"))),
    "getRun": Operation("Get a run", "runs", RUN, one("run", ref("Run")), run_id_required=True),
    "updateRun": Operation(
        "Update a run's status, end time or name", "runs",
        (*RUN, Field("status", "id", max_length=20), Field("end_time", "int"),
         Field("run_name", max_length=checks.KEY_MAX)),
        one("run_info", ref("RunInfo")), run_id_required=True),
    "deleteRun": Operation("Delete a run", "runs", RUN, run_id_required=True),
    "restoreRun": Operation("Restore a deleted run", "runs", RUN, run_id_required=True),
    "searchRuns": Operation("Search runs", "runs",
                            (*SEARCH, EXPERIMENT_IDS, Field("run_view_type", "id", max_length=20)),
                            page("runs", "Run"), rules=SEARCH_RESULTS),
    "logMetric": Operation("Log a metric", "runs", (*RUN, *runs.METRIC_FIELDS), run_id_required=True),
    "logParam": Operation("Log a parameter", "runs", (*RUN, *runs.PARAM_FIELDS), run_id_required=True),
    "logBatch": Operation(
        "Log metrics, params and tags in one transaction", "runs",
        (*RUN, Field("metrics", "objects", item=runs.METRIC_FIELDS),
         Field("params", "objects", item=runs.PARAM_FIELDS), RUN_TAGS),
        run_id_required=True,
        rules={"metrics": {"maxItems": checks.BATCH_METRICS_MAX}, "params": {"maxItems": checks.BATCH_PARAMS_MAX},
               "tags": {"maxItems": checks.BATCH_TAGS_MAX}}),
    "setTag": Operation("Set a run tag", "runs", (*RUN, *checks.tag_fields(checks.RUN_TAG_VALUE_MAX)),
                        run_id_required=True),
    "deleteTag": Operation("Delete a run tag", "runs", (*RUN, TAG_KEY), run_id_required=True),
    "searchLoggedModels": Operation("Search logged models (always none)", "runs", (EXPERIMENT_IDS, *SEARCH),
                                    obj({"models": {"type": "array", "maxItems": 0}})),
    "getMetricHistory": Operation(
        "Get a metric's history", "runs",
        (*RUN, Field("metric_key", required=True, max_length=checks.KEY_MAX), Field("max_results", "int"),
         Field("page_token", max_length=200)),
        page("metrics", "Metric"), rules=results(25_000), run_id_required=True),
    # model registry (prompts are registered models too)
    "createRegisteredModel": Operation("Create a registered model", "registry",
                                       (NAME, registry.TAGS, registry.DESCRIPTION),
                                       one("registered_model", ref("RegisteredModel"))),
    "getRegisteredModel": Operation("Get a registered model", "registry", (NAME,),
                                    one("registered_model", ref("RegisteredModel"))),
    "renameRegisteredModel": Operation(
        "Rename a registered model", "registry",
        (NAME, Field("new_name", required=True, max_length=checks.EXPERIMENT_NAME_MAX)),
        one("registered_model", ref("RegisteredModel"))),
    "updateRegisteredModel": Operation("Change a registered model's description", "registry",
                                       (NAME, registry.DESCRIPTION),
                                       one("registered_model", ref("RegisteredModel"))),
    "deleteRegisteredModel": Operation("Delete a registered model", "registry", (NAME,)),
    "searchRegisteredModels": Operation("Search registered models", "registry", SEARCH,
                                        page("registered_models", "RegisteredModel"), rules=results(1000)),
    "getLatestVersions": Operation("The latest version in each stage", "registry",
                                   (NAME, Field("stages", "strings", max_length=20)),
                                   obj({"model_versions": array(ref("ModelVersion"))})),
    "setRegisteredModelTag": Operation("Set a registered model tag", "registry", (NAME, *REGISTRY_TAG)),
    "deleteRegisteredModelTag": Operation("Delete a registered model tag", "registry", (NAME, TAG_KEY)),
    "setRegisteredModelAlias": Operation("Point an alias at a version", "registry", (NAME, ALIAS, VERSION)),
    "deleteRegisteredModelAlias": Operation("Delete an alias", "registry", (NAME, ALIAS)),
    "getModelVersionByAlias": Operation("The version an alias points at", "registry", (NAME, ALIAS),
                                        one("model_version", ref("ModelVersion"))),
    "createModelVersion": Operation(
        "Create a model version", "registry",
        (NAME, Field("source", required=True, max_length=4096), Field("run_id", "id", max_length=64),
         registry.TAGS, Field("run_link", max_length=4096), registry.DESCRIPTION,
         Field("model_id", max_length=64)),
        one("model_version", ref("ModelVersion"))),
    "getModelVersion": Operation("Get a model version", "registry", (NAME, VERSION),
                                 one("model_version", ref("ModelVersion"))),
    "updateModelVersion": Operation("Change a version's description", "registry",
                                    (NAME, VERSION, registry.DESCRIPTION), one("model_version", ref("ModelVersion"))),
    "deleteModelVersion": Operation("Delete a model version", "registry", (NAME, VERSION)),
    "searchModelVersions": Operation("Search model versions", "registry", SEARCH,
                                     page("model_versions", "ModelVersion"), rules=results(200_000)),
    "transitionModelVersionStage": Operation(
        "Move a version to a stage", "registry",
        (NAME, VERSION, Field("stage", required=True, max_length=20), Field("archive_existing_versions", "bool")),
        one("model_version", ref("ModelVersion"))),
    "setModelVersionTag": Operation("Set a model version tag", "registry", (NAME, VERSION, *REGISTRY_TAG)),
    "deleteModelVersionTag": Operation("Delete a model version tag", "registry", (NAME, VERSION, TAG_KEY)),
    "getModelVersionDownloadUri": Operation("Where a version's files are", "registry", (NAME, VERSION),
                                            obj({"artifact_uri": STRING})),
    # the artifact proxy
    "listProxiedArtifacts": Operation("List a folder of the artifact proxy", "artifacts",
                                      (Field("path", max_length=4096),),
                                      obj({}, {"files": array(ref("FileInfo"))})),
    "downloadArtifact": Operation("Download a file (its content type is guessed from its name)", "artifacts",
                                  answer=Raw("*/*", {"type": "string", "format": "binary"})),
    "uploadArtifact": Operation("Upload a file (replaces one of that name)", "artifacts",
                                body=Raw("application/octet-stream", {"type": "string", "format": "binary"})),
    "deleteArtifact": Operation("Delete a file or a folder", "artifacts"),
    # workspaces
    "listWorkspaces": Operation("List workspaces", "workspaces", answer=obj({"workspaces": array(ref("Workspace"))}),
                                scoped=False),
    "createWorkspace": Operation(
        "Create a workspace", "workspaces",
        (Field("name", required=True, max_length=200), workspaces.DESCRIPTION, workspaces.ROOT),
        one("workspace", ref("Workspace")), status=201, scoped=False, rules={"name": WORKSPACE_NAME}),
    "getWorkspace": Operation("Get a workspace", "workspaces", answer=one("workspace", ref("Workspace")),
                              scoped=False),
    "updateWorkspace": Operation(
        "Change a workspace's description or artifact root", "workspaces",
        (Field("name", max_length=200), workspaces.DESCRIPTION, workspaces.ROOT),
        one("workspace", ref("Workspace")), scoped=False),
    "deleteWorkspace": Operation(
        "Delete an empty workspace", "workspaces", (Field("mode", max_length=1000),), None, status=204,
        scoped=False, in_query=True, extra=(409,),
        rules={"mode": {"enum": list(workspaces.DELETE_MODES), "description": "only RESTRICT is supported"}}),
    # users (auth)
    "createUser": Operation("Create a user", "users", (auth_api.USERNAME, PASSWORD), one("user", ref("User")),
                            scoped=False, lookups=False, rules={"password": {"minLength": 12}}),
    "getUser": Operation("Get a user and their grants", "users", USER_FIELDS, one("user", ref("User")),
                         scoped=False),
    "listUsers": Operation("List users", "users", answer=obj({"users": array(ref("UserSummary"))}), scoped=False,
                           lookups=False),
    "updateUserPassword": Operation("Change a user's password", "users", (auth_api.USERNAME, PASSWORD),
                                    scoped=False, rules={"password": {"minLength": 12}}),
    "updateUserAdmin": Operation("Make a user an admin, or not", "users",
                                 (auth_api.USERNAME, Field("is_admin", "bool", required=True)),
                                 scoped=False, extra=(409,)),
    "deleteUser": Operation("Delete a user and their grants", "users", USER_FIELDS, scoped=False, extra=(409,)),
    "listWorkspacePermissions": Operation("A workspace's permissions", "permissions",
                                          answer=obj({"permissions": array(ref("WorkspacePermission"))}),
                                          scoped=False),
    "setWorkspacePermission": Operation("Grant or change a workspace permission", "permissions",
                                        (auth_api.USERNAME, auth_api.PERMISSION),
                                        one("permission", ref("WorkspacePermission")), scoped=False),
    "deleteWorkspacePermission": Operation("Remove a workspace permission", "permissions", USER_FIELDS,
                                           None, status=204, scoped=False, in_query=True),
    "listUserWorkspacePermissions": Operation("A user's workspace permissions", "permissions", USER_FIELDS,
                                              obj({"permissions": array(ref("WorkspacePermission"))}),
                                              scoped=False),
    # audit trail and sign-in lockouts (auth, admins)
    "listAuditEvents": Operation(
        "Security events, newest first", "audit",
        (Field("actor", max_length=255), Field("target", max_length=512), Field("action", max_length=64),
         Field("since", "int"), Field("until", "int"), Field("max_results", "int"), Field("page_token", max_length=100)),
        page("events", "AuditEvent"), scoped=False, rules=results(1000)),
    "listLockouts": Operation("Current sign-in lockouts", "users", (Field("username", max_length=255),),
                              obj({"lockouts": array(ref("Lockout"))}), scoped=False, lookups=False),
    "clearLockouts": Operation("Lift a user's sign-in lockouts", "users",
                               (auth_api.USERNAME, Field("address", max_length=64)),
                               obj({"cleared": {"type": "integer"}}), scoped=False, lookups=False),
}


def _grants(kind: str, label: str, key: Field, answer: str) -> dict[str, Operation]:
    """The four operations on one kind of resource grant (auth)."""
    user, level = auth_api.USERNAME, auth_api.PERMISSION
    return {
        f"create{kind}Permission": Operation(f"Grant a user a permission on {label}", "permissions",
                                             (key, user, level), one(answer, ref(f"{kind}Permission"))),
        f"get{kind}Permission": Operation(f"A user's permission on {label}", "permissions", (key, user),
                                          one(answer, ref(f"{kind}Permission"))),
        f"update{kind}Permission": Operation(f"Change a user's permission on {label}", "permissions",
                                             (key, user, level)),
        f"delete{kind}Permission": Operation(f"Remove a user's permission on {label}", "permissions", (key, user)),
    }


OPERATIONS.update(_grants("Experiment", "an experiment", auth_api.EXPERIMENT_ID, "experiment_permission"))
OPERATIONS.update(_grants("RegisteredModel", "a registered model", auth_api.MODEL_NAME,
                          "registered_model_permission"))
