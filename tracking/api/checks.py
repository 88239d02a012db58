"""Field rules shared by the handlers: limits, key names, enums (MLflow's limits where it has them)."""

from __future__ import annotations

import re

from tracking.api.params import Field
from tracking.entities import RUN_STATUSES, VIEW_TYPES
from tracking.errors import InvalidParameter

KEY_MAX = 250
EXPERIMENT_NAME_MAX = 256
EXPERIMENT_TAG_VALUE_MAX = 5000
REGISTRY_TAG_VALUE_MAX = 100_000  # prompt templates live in the version tag mlflow.prompt.text
RUN_TAG_VALUE_MAX = 8000
PARAM_VALUE_MAX = 6000
FILTER_MAX = 20_000
SEARCH_MAX_RESULTS = 50_000
SEARCH_DEFAULT_RESULTS = 1000
BATCH_METRICS_MAX = 1000
BATCH_PARAMS_MAX = 100
BATCH_TAGS_MAX = 100
BATCH_TOTAL_MAX = 1000

_KEY_PATTERN = re.compile(r"[\w\-. /:]+")

SEARCH_FIELDS = (
    Field("max_results", "int"),
    Field("filter", max_length=FILTER_MAX),
    Field("order_by", "strings", max_length=500),
    Field("page_token", max_length=200),
)


def key(kind: str, value: str) -> str:
    """A metric, param or tag key: word characters, - . / : and spaces; no '..' segments."""
    if not value or not _KEY_PATTERN.fullmatch(value):
        raise InvalidParameter(
            f"Invalid {kind} key '{value[:100]}': use letters, digits, underscores, dashes, "
            "periods, spaces, colons and slashes."
        )
    if value.startswith("/") or ".." in value.split("/"):
        raise InvalidParameter(f"Invalid {kind} key '{value[:100]}': it must be a relative path without '..'.")
    return value


def experiment_name(value: str | None) -> str:
    """A non-blank experiment name."""
    if value is None or not value.strip():
        raise InvalidParameter("Experiment name must be a non-empty string.")
    return value


def max_results(value: int | None, default: int = SEARCH_DEFAULT_RESULTS,
                limit: int = SEARCH_MAX_RESULTS) -> int:
    """A page size between 1 and the limit."""
    if value is None:
        return default
    if not 1 <= value <= limit:
        raise InvalidParameter(f"max_results must be between 1 and {limit}, got {value}.")
    return value


def enum(name: str, value, allowed: tuple[str, ...], default: str) -> str:
    """An enum given by name (or by its proto number, 1-based)."""
    if value is None:
        return default
    numbers = [str(n) for n in range(1, len(allowed) + 1)]  # not isdigit(): it accepts '²'
    if value in numbers:
        return allowed[int(value) - 1]
    if value not in allowed:
        raise InvalidParameter(f"Invalid {name} '{str(value)[:40]}'; use one of {', '.join(allowed)}.")
    return value


def view_type(value, name: str = "view_type") -> str:
    """ACTIVE_ONLY, DELETED_ONLY or ALL (`name` is the field the client sent it in)."""
    return enum(name, value, VIEW_TYPES, "ACTIVE_ONLY")


def run_status(value) -> str | None:
    """A run status name, or None when not given."""
    return None if value is None else enum("status", value, RUN_STATUSES, "RUNNING")


def tags(kind: str, items: list[dict] | None) -> dict[str, str]:
    """A list of {"key","value"} objects (already bounded by tag_fields) as a dict, keys checked."""
    return {key(kind, item["key"]): item["value"] or "" for item in items or []}


def tag_fields(value_max: int) -> tuple[Field, ...]:
    """The fields of one tag object."""
    return (Field("key", required=True, max_length=KEY_MAX), Field("value", max_length=value_max))
