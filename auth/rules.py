"""What each route needs: one table, looked up by endpoint name. A route with no entry is
admin-only (fail closed), and a test walks the URL map to make sure every route has one.

- PUBLIC: no credentials (health, ready, version, server-info).
- AUTHENTICATED: any signed-in user; the handler shows nothing that needs a grant.
- FILTERED: any signed-in user; searches and lists return only what the user may read.
- SELF_OR_ADMIN: the user named in the request, or an admin.
- VISIBLE_WORKSPACE: any signed-in user to whom list_workspaces shows the workspace in the path.
- ADMIN: admins only.
- Requirement(capability, target): the user's permission on the target must grant it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """Where the request's resource is named: a kind, and the request field holding its key."""

    kind: str  # experiment | run | experiment_name | registered_model | artifact | workspace | current_workspace
    field: str | None = None
    fallback_field: str | None = None
    default: str | None = None  # the key the handler uses when the request names none


@dataclass(frozen=True)
class Requirement:
    """A capability needed on a target; `creates` marks the creation of a resource; `also`
    lists further requirements checked only when the request names their target; `lists_experiments`
    marks a listing whose entries may be experiments' folders, shown only to who may read them."""

    capability: str
    target: Target
    creates: bool = False
    also: tuple["Requirement", ...] = ()
    lists_experiments: bool = False


PUBLIC, AUTHENTICATED, FILTERED, SELF_OR_ADMIN, ADMIN = "public", "authenticated", "filtered", "self", "admin"
VISIBLE_WORKSPACE = "visible workspace"

WORKSPACE_HERE = Target("current_workspace")
EXPERIMENT = Target("experiment", "experiment_id")
NEW_RUN_EXPERIMENT = Target("experiment", "experiment_id", default="0")  # runs/create's default
EXPERIMENT_NAME = Target("experiment_name", "experiment_name")
RUN = Target("run", "run_id", "run_uuid")
MODEL = Target("registered_model", "name")
ARTIFACT = Target("artifact", "artifact_path")
ARTIFACT_LISTING = Target("artifact", "path")
WORKSPACE_IN_PATH = Target("workspace", "workspace_name")
SOURCE_RUN = Target("source_run")


def _needs(capability: str, target: Target, *endpoints: str) -> dict[str, Requirement]:
    return {endpoint: Requirement(capability, target) for endpoint in endpoints}


RULES: dict[str, object] = {
    # public probes (seeds: clients detect workspace support through server-info)
    "home": PUBLIC, "health": PUBLIC, "ready": PUBLIC, "version": PUBLIC, "serverInfo": PUBLIC,
    "openApiDocument": PUBLIC,
    # experiments
    "createExperiment": Requirement("update", WORKSPACE_HERE, creates=True),
    **_needs("read", EXPERIMENT, "getExperiment"),
    **_needs("read", EXPERIMENT_NAME, "getExperimentByName"),
    "searchExperiments": FILTERED, "listExperiments": FILTERED,
    **_needs("update", EXPERIMENT, "updateExperiment", "setExperimentTag", "deleteExperimentTag"),
    **_needs("update", NEW_RUN_EXPERIMENT, "createRun"),
    **_needs("delete", EXPERIMENT, "deleteExperiment", "restoreExperiment"),
    # runs
    **_needs("read", RUN, "getRun", "getMetricHistory"),
    **_needs("update", RUN, "updateRun", "logMetric", "logParam", "logBatch", "setTag", "deleteTag"),
    **_needs("delete", RUN, "deleteRun", "restoreRun"),
    "searchRuns": FILTERED, "searchLoggedModels": AUTHENTICATED,
    # registered models and prompts
    "createRegisteredModel": Requirement("update", WORKSPACE_HERE, creates=True),
    **_needs("read", MODEL, "getRegisteredModel", "getLatestVersions", "getModelVersionByAlias",
             "getModelVersion", "getModelVersionDownloadUri"),
    **_needs("update", MODEL, "renameRegisteredModel", "updateRegisteredModel", "setRegisteredModelTag",
             "deleteRegisteredModelTag", "setRegisteredModelAlias",
             "updateModelVersion", "transitionModelVersionStage", "setModelVersionTag",
             "deleteModelVersionTag"),
    # a version made from a run must not expose a run the user may not read
    "createModelVersion": Requirement("update", MODEL, also=(Requirement("read", SOURCE_RUN),)),
    **_needs("delete", MODEL, "deleteRegisteredModel", "deleteRegisteredModelAlias", "deleteModelVersion"),
    "searchRegisteredModels": FILTERED, "searchModelVersions": FILTERED,
    # the artifact proxy: the experiment in the path, else the request's workspace
    # a folder above experiment folders lists only the experiments the user may read
    "listProxiedArtifacts": Requirement("read", ARTIFACT_LISTING, lists_experiments=True),
    **_needs("read", ARTIFACT, "downloadArtifact"),
    **_needs("update", ARTIFACT, "uploadArtifact"),
    **_needs("delete", ARTIFACT, "deleteArtifact"),
    # workspaces
    "listWorkspaces": FILTERED,
    "getWorkspace": VISIBLE_WORKSPACE,
    "createWorkspace": ADMIN, "updateWorkspace": ADMIN, "deleteWorkspace": ADMIN,
    # users and permissions (auth.api)
    "createUser": ADMIN, "listUsers": ADMIN, "updateUserAdmin": ADMIN, "deleteUser": ADMIN,
    "getUser": SELF_OR_ADMIN, "updateUserPassword": SELF_OR_ADMIN,
    **_needs("manage", EXPERIMENT, "createExperimentPermission", "getExperimentPermission",
             "updateExperimentPermission", "deleteExperimentPermission"),
    **_needs("manage", MODEL, "createRegisteredModelPermission", "getRegisteredModelPermission",
             "updateRegisteredModelPermission", "deleteRegisteredModelPermission"),
    **_needs("manage", WORKSPACE_IN_PATH, "listWorkspacePermissions", "setWorkspacePermission",
             "deleteWorkspacePermission"),
    "listUserWorkspacePermissions": ADMIN,
    "listAuditEvents": ADMIN, "listLockouts": ADMIN, "clearLockouts": ADMIN,
}


def rule_for(endpoint: str | None) -> object:
    """The rule of an endpoint; ADMIN for one the table does not know."""
    return RULES.get(endpoint or "", ADMIN)
