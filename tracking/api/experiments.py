"""Experiment handlers: create, get, get-by-name, search, list, update, delete, restore, tags."""

from __future__ import annotations

from tracking import artifacts, hosting
from tracking.api import checks, wire
from tracking.api.params import Field, read
from tracking.entities import ACTIVE, DELETED
from tracking.errors import InvalidParameter, NotFound
from tracking.state import current_workspace, host

EXPERIMENT_ID = Field("experiment_id", "id", required=True, max_length=40)


def create_experiment():
    """POST experiments/create -> {"experiment_id"}."""
    args = read(
        Field("name", required=True, max_length=checks.EXPERIMENT_NAME_MAX),
        Field("artifact_location", max_length=4096),
        Field("tags", "objects", item=checks.tag_fields(checks.EXPERIMENT_TAG_VALUE_MAX)),
    )
    name = checks.experiment_name(args["name"])
    state, workspace = host(), current_workspace()
    location = args["artifact_location"] or None
    if location and state.settings.workspaces_enabled:
        raise InvalidParameter(
            "artifact_location cannot be specified when workspaces are enabled; the server "
            "assigns each experiment a location inside its workspace."
        )
    tags = checks.tags("tag", args["tags"])
    experiment_id = state.experiments.create(
        workspace, name, tags, _locator(workspace), artifacts.resolve_root(location) if location else None
    )
    hosting.announce(hosting.HOST.resource_created, kind="experiment", workspace=workspace, key=experiment_id)
    return {"experiment_id": experiment_id}


def _locator(workspace: str):
    state = host()
    settings = state.settings
    ws = state.provider.get(workspace) if settings.workspaces_enabled else None
    root = ws.default_artifact_root if ws else None
    return lambda experiment_id: artifacts.experiment_location(
        settings.artifact_root, workspace, root, experiment_id, settings.workspaces_enabled
    )


def get_experiment():
    """GET experiments/get -> {"experiment"}."""
    args = read(EXPERIMENT_ID)
    experiment = host().experiments.get(current_workspace(), args["experiment_id"])
    return {"experiment": wire.experiment(experiment)}


def get_experiment_by_name():
    """GET experiments/get-by-name -> {"experiment"}."""
    args = read(Field("experiment_name", required=True, max_length=checks.EXPERIMENT_NAME_MAX))
    workspace = current_workspace()
    experiment = host().experiments.find_by_name(workspace, args["experiment_name"])
    if experiment is None:
        raise NotFound(
            f"Could not find experiment with name '{args['experiment_name']}' in workspace '{workspace}'."
        )
    return {"experiment": wire.experiment(experiment)}


def search_experiments():
    """GET or POST experiments/search -> {"experiments", "next_page_token"}."""
    args = read(*checks.SEARCH_FIELDS, Field("view_type", "id", max_length=20))
    page = host().experiments.search(
        current_workspace(), args["filter"], args["order_by"], checks.view_type(args["view_type"]),
        checks.max_results(args["max_results"]), args["page_token"], visible=hosting.visibility("experiment"),
    )
    return wire.page("experiments", page, wire.experiment)


def list_experiments():
    """GET experiments/list (the seeds' curl example): the workspace's experiments, paginated."""
    return search_experiments()


def update_experiment():
    """POST experiments/update: rename."""
    args = read(EXPERIMENT_ID, Field("new_name", max_length=checks.EXPERIMENT_NAME_MAX))
    experiments, workspace = host().experiments, current_workspace()
    if args["new_name"] is None:
        experiments.get(workspace, args["experiment_id"])  # nothing to change, but it must exist
    else:
        experiments.rename(workspace, args["experiment_id"], checks.experiment_name(args["new_name"]))
    return {}


def delete_experiment():
    """POST experiments/delete: mark deleted, with its runs."""
    args = read(EXPERIMENT_ID)
    host().experiments.set_lifecycle(current_workspace(), args["experiment_id"], DELETED)
    return {}


def restore_experiment():
    """POST experiments/restore."""
    args = read(EXPERIMENT_ID)
    host().experiments.set_lifecycle(current_workspace(), args["experiment_id"], ACTIVE)
    return {}


def set_experiment_tag():
    """POST experiments/set-experiment-tag."""
    args = read(EXPERIMENT_ID, *checks.tag_fields(checks.EXPERIMENT_TAG_VALUE_MAX))
    tag = checks.tags("tag", [args])
    [(key, value)] = tag.items()
    host().experiments.set_tag(current_workspace(), args["experiment_id"], key, value)
    return {}


def delete_experiment_tag():
    """POST experiments/delete-experiment-tag."""
    args = read(EXPERIMENT_ID, Field("key", required=True, max_length=checks.KEY_MAX))
    host().experiments.delete_tag(current_workspace(), args["experiment_id"], args["key"])
    return {}
