"""The resource kinds the layer authorizes: one row each.

A `GrantKind` is a table of explicit grants (experiments' grants, keyed by the global experiment
id; registered models' grants, keyed by workspace and name, which prompts and model versions
share). A `Kind` is how a request names a resource: which grants decide it, how its key is
found in the request's workspace (the host's locator, a method of tracking.hostapi.Host), the 404 an
absent one gets, and the scope of the host's searches that list it.

To add a kind: one row here (with its host locator), one Target in auth.rules for each request
field that names it, and, for a new table of grants, a GrantKind with its model in auth.models
and its migration. docs/architecture.md walks through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from auth.models import ExperimentGrantRow, ModelGrantRow
from tracking import hostkit


@dataclass(frozen=True)
class GrantKind:
    """A table of explicit grants."""

    name: str  # as stored in audit targets and passed to the host's searches
    label: str  # in messages: "experiment", "registered model"
    row: type  # its ORM model
    key_column: str
    per_workspace: bool  # keyed by (workspace, key): model names repeat across workspaces

    def where(self, key: str, workspace: str | None) -> dict[str, str]:
        """The columns that pick one resource's grants."""
        return {self.key_column: key, **({"workspace": workspace} if self.per_workspace else {})}

    def audit_target(self, key: str, workspace: str | None) -> str:
        return f"{self.name} {workspace}/{key}" if self.per_workspace else f"{self.name} {key}"

    def describe(self, key: str, workspace: str | None) -> str:
        """How a grant's resource is written in a 404 (MLflow's spelling)."""
        return f"workspace={workspace}, {self.key_column}={key}" if self.per_workspace else f"{self.key_column}={key}"


EXPERIMENT_GRANTS = GrantKind("experiment", "experiment", ExperimentGrantRow, "experiment_id", per_workspace=False)
MODEL_GRANTS = GrantKind("registered_model", "registered model", ModelGrantRow, "name", per_workspace=True)
GRANT_KINDS = {kind.name: kind for kind in (EXPERIMENT_GRANTS, MODEL_GRANTS)}

# A locator: (the auth layer, the key as the request wrote it, the request's workspace) -> the key
# as grants store it, or None when no such resource exists in that workspace.
Locator = Callable[[object, str, str], "str | None"]


def _by_id(kind: str) -> Locator:
    def locate(layer, raw: str, here: str) -> str | None:
        located = layer.locate(kind, raw)  # cached: ids are global and never move
        return located[1] if located and located[0] == here else None
    return locate


def _experiment_by_name(layer, raw: str, here: str) -> str | None:
    return layer.host.experiment_id_by_name(here, raw)


def _artifact_owner(layer, raw: str, here: str) -> str | None:
    return layer.host.experiment_of_artifact_path(raw)


def _model(layer, raw: str, here: str) -> str | None:
    return raw if layer.host.model_exists(here, raw) else None


@dataclass(frozen=True)
class Kind:
    """How a request names a resource, and what decides it."""

    name: str
    grants: GrantKind | None  # None: the workspace grant alone decides
    locate: Locator | None = None
    missing: str = ""  # the 404 of an absent one: {key} and {workspace} are filled in
    search_scope: str | None = None  # what the host's searches of this kind restrict

    def not_found(self, key: str, workspace: str) -> hostkit.NotFound:
        return hostkit.NotFound(self.missing.format(key=key, workspace=workspace))


EXPERIMENT = Kind("experiment", EXPERIMENT_GRANTS, _by_id("experiment"),
                  "No experiment with id '{key}' exists in workspace '{workspace}'.", search_scope="experiment")
RUN = Kind("run", EXPERIMENT_GRANTS, _by_id("run"),  # a run is decided by its experiment's grants
           "No run with id '{key}' exists in workspace '{workspace}'.")
EXPERIMENT_NAME = Kind("experiment_name", EXPERIMENT_GRANTS, _experiment_by_name)
ARTIFACT = Kind("artifact", EXPERIMENT_GRANTS, _artifact_owner)  # by the experiment owning the path
SOURCE_RUN = Kind("source_run", EXPERIMENT_GRANTS, _by_id("run"),  # a model version's run
                  "No run with id '{key}' exists in workspace '{workspace}'.")
REGISTERED_MODEL = Kind("registered_model", MODEL_GRANTS, _model,  # prompts and model versions too
                        "Registered Model with name={key} not found in workspace '{workspace}'.",
                        search_scope="registered_model")
# Logged models and traces live under an experiment and are decided by its grants, as runs are.
LOGGED_MODEL = Kind("logged_model", EXPERIMENT_GRANTS, _by_id("logged_model"),
                    "No logged model with id '{key}' exists in workspace '{workspace}'.")
TRACE = Kind("trace", EXPERIMENT_GRANTS, _by_id("trace"), "No trace with id '{key}' exists in workspace '{workspace}'.")
WORKSPACE = Kind("workspace", None, search_scope="workspace")  # named in the path
CURRENT_WORKSPACE = Kind("current_workspace", None)  # the request's workspace
# Room for the next kinds: gateway endpoints get a GrantKind of their own.

KINDS = {kind.name: kind for kind in (EXPERIMENT, RUN, EXPERIMENT_NAME, ARTIFACT, SOURCE_RUN, REGISTERED_MODEL,
                                      LOGGED_MODEL, TRACE, WORKSPACE, CURRENT_WORKSPACE)}
