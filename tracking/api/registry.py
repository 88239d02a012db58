"""Model registry handlers: registered models (and prompts), versions, tags, aliases."""

from __future__ import annotations

import re

from tracking import hosting
from tracking.api import checks, wire
from tracking.api.params import Field, read
from tracking.entities import STAGES
from tracking.errors import InvalidParameter
from tracking.model_sources import storage_location
from tracking.state import current_workspace, host

NAME = Field("name", required=True, max_length=checks.EXPERIMENT_NAME_MAX)
VERSION = Field("version", "id", required=True, max_length=20)
DESCRIPTION = Field("description", max_length=100_000)
TAGS = Field("tags", "objects", item=checks.tag_fields(checks.REGISTRY_TAG_VALUE_MAX))
# The alias column holds 250 characters: MLflow's 255 would fail the insert on PostgreSQL and MySQL.
ALIAS = Field("alias", required=True, max_length=checks.KEY_MAX)
_ALIAS_PATTERN = re.compile(r"[\w\-]+")  # fullmatch: '$' would let a trailing newline through


def _name(value: str) -> str:
    if not value.strip() or "/" in value:
        raise InvalidParameter(f"Invalid registered model name '{value[:100]}': it must be non-empty and contain no '/'.")
    return value


def _alias(value: str) -> str:
    if not _ALIAS_PATTERN.fullmatch(value) or value.lower() == "latest" or re.fullmatch(r"[vV]\d+", value):
        raise InvalidParameter(
            f"Invalid alias '{value[:100]}': use letters, digits, '_' and '-'; 'latest' and "
            "'v<number>' are reserved."
        )
    return value


def _stage(value: str) -> str:
    """A stage name in its canonical spelling (any case is accepted, as MLflow does)."""
    stage = {s.lower(): s for s in STAGES}.get(value.lower())
    if stage is None:
        raise InvalidParameter(f"Invalid stage '{value[:20]}'; use one of {', '.join(STAGES)}.")
    return stage


def _registry():
    return host().registry, current_workspace()


def create_registered_model():
    """POST registered-models/create -> {"registered_model"}."""
    args = read(NAME, TAGS, DESCRIPTION)
    registry, workspace = _registry()
    model = registry.create_model(workspace, _name(args["name"]), args["description"],
                                  checks.tags("tag", args["tags"]))
    hosting.announce(hosting.HOST.resource_created, kind="registered_model", workspace=workspace, key=model.name)
    return {"registered_model": wire.registered_model(model)}


def get_registered_model():
    """GET registered-models/get -> {"registered_model"}."""
    registry, workspace = _registry()
    return {"registered_model": wire.registered_model(registry.get_model(workspace, read(NAME)["name"]))}


def rename_registered_model():
    """POST registered-models/rename -> {"registered_model"}."""
    args = read(NAME, Field("new_name", required=True, max_length=checks.EXPERIMENT_NAME_MAX))
    registry, workspace = _registry()
    if args["new_name"] == args["name"]:  # nothing moves (and no grant may be touched)
        return {"registered_model": wire.registered_model(registry.get_model(workspace, args["name"]))}
    model = registry.rename_model(workspace, args["name"], _name(args["new_name"]))
    hosting.announce(hosting.HOST.resource_renamed, kind="registered_model", workspace=workspace,
                     key=args["name"], new_key=model.name)
    return {"registered_model": wire.registered_model(model)}


def update_registered_model():
    """PATCH registered-models/update -> {"registered_model"}."""
    args = read(NAME, DESCRIPTION)
    registry, workspace = _registry()
    return {"registered_model": wire.registered_model(
        registry.update_model(workspace, args["name"], args["description"]))}


def delete_registered_model():
    """DELETE registered-models/delete."""
    registry, workspace = _registry()
    name = read(NAME)["name"]
    registry.delete_model(workspace, name)
    hosting.announce(hosting.HOST.resource_deleted, kind="registered_model", workspace=workspace, key=name)
    return {}


def search_registered_models():
    """GET registered-models/search -> {"registered_models", "next_page_token"}."""
    args = read(*checks.SEARCH_FIELDS)
    registry, workspace = _registry()
    page = registry.search_models(workspace, args["filter"], args["order_by"],
                                  checks.max_results(args["max_results"], 100, 1000), args["page_token"],
                                  visible=hosting.visibility("registered_model"))
    return wire.page("registered_models", page, wire.registered_model)


def get_latest_versions():
    """GET or POST registered-models/get-latest-versions -> {"model_versions"}."""
    args = read(NAME, Field("stages", "strings", max_length=20))
    registry, workspace = _registry()
    stages = [_stage(s) for s in args["stages"] or []]
    versions = registry.latest_versions(workspace, args["name"], stages)
    return {"model_versions": [wire.model_version(v) for v in versions]}


def set_registered_model_tag():
    """POST registered-models/set-tag."""
    args = read(NAME, *checks.tag_fields(checks.REGISTRY_TAG_VALUE_MAX))
    registry, workspace = _registry()
    [(key, value)] = checks.tags("tag", [args]).items()
    registry.set_model_tag(workspace, args["name"], key, value)
    return {}


def delete_registered_model_tag():
    """DELETE registered-models/delete-tag."""
    args = read(NAME, Field("key", required=True, max_length=checks.KEY_MAX))
    registry, workspace = _registry()
    registry.delete_model_tag(workspace, args["name"], args["key"])
    return {}


def set_alias():
    """POST registered-models/alias."""
    args = read(NAME, ALIAS, VERSION)
    registry, workspace = _registry()
    registry.set_alias(workspace, args["name"], _alias(args["alias"]), args["version"])
    return {}


def delete_alias():
    """DELETE registered-models/alias."""
    args = read(NAME, ALIAS)
    registry, workspace = _registry()
    registry.delete_alias(workspace, args["name"], args["alias"])
    return {}


def get_version_by_alias():
    """GET registered-models/alias -> {"model_version"}."""
    args = read(NAME, ALIAS)
    registry, workspace = _registry()
    return {"model_version": wire.model_version(registry.version_by_alias(workspace, args["name"], args["alias"]))}


def create_model_version():
    """POST model-versions/create -> {"model_version"}."""
    args = read(NAME, Field("source", required=True, max_length=4096), Field("run_id", "id", max_length=64),
                TAGS, Field("run_link", max_length=4096), DESCRIPTION, Field("model_id", max_length=64))
    registry, workspace = _registry()
    location, run_id = storage_location(workspace, args["source"], args["run_id"] or None)
    version = {
        "source": args["source"], "run_id": run_id, "run_link": args["run_link"],
        "description": args["description"], "user_id": None, "storage_location": location,
        "tags": checks.tags("tag", args["tags"]),
    }
    return {"model_version": wire.model_version(registry.create_version(workspace, args["name"], version))}


def get_model_version():
    """GET model-versions/get -> {"model_version"}."""
    args = read(NAME, VERSION)
    registry, workspace = _registry()
    return {"model_version": wire.model_version(registry.get_version(workspace, args["name"], args["version"]))}


def update_model_version():
    """PATCH model-versions/update -> {"model_version"}."""
    args = read(NAME, VERSION, DESCRIPTION)
    registry, workspace = _registry()
    version = registry.update_version(workspace, args["name"], args["version"], args["description"])
    return {"model_version": wire.model_version(version)}


def delete_model_version():
    """DELETE model-versions/delete."""
    args = read(NAME, VERSION)
    registry, workspace = _registry()
    registry.delete_version(workspace, args["name"], args["version"])
    return {}


def search_model_versions():
    """GET model-versions/search -> {"model_versions", "next_page_token"}."""
    args = read(*checks.SEARCH_FIELDS)
    registry, workspace = _registry()
    page = registry.search_versions(workspace, args["filter"], args["order_by"],
                                    checks.max_results(args["max_results"], 10_000, 200_000), args["page_token"],
                                    visible=hosting.visibility("registered_model"))
    return wire.page("model_versions", page, wire.model_version)


def transition_stage():
    """POST model-versions/transition-stage -> {"model_version"}."""
    args = read(NAME, VERSION, Field("stage", required=True, max_length=20),
                Field("archive_existing_versions", "bool"))
    registry, workspace = _registry()
    version = registry.transition_stage(workspace, args["name"], args["version"], _stage(args["stage"]),
                                        bool(args["archive_existing_versions"]))
    return {"model_version": wire.model_version(version)}


def set_model_version_tag():
    """POST model-versions/set-tag."""
    args = read(NAME, VERSION, *checks.tag_fields(checks.REGISTRY_TAG_VALUE_MAX))
    registry, workspace = _registry()
    [(key, value)] = checks.tags("tag", [args]).items()
    registry.set_version_tag(workspace, args["name"], args["version"], key, value)
    return {}


def delete_model_version_tag():
    """DELETE model-versions/delete-tag."""
    args = read(NAME, VERSION, Field("key", required=True, max_length=checks.KEY_MAX))
    registry, workspace = _registry()
    registry.delete_version_tag(workspace, args["name"], args["version"], args["key"])
    return {}


def get_download_uri():
    """GET model-versions/get-download-uri -> {"artifact_uri"}."""
    args = read(NAME, VERSION)
    registry, workspace = _registry()
    return {"artifact_uri": registry.get_version(workspace, args["name"], args["version"]).storage_location}
