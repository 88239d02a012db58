"""Values to MLflow's JSON wire format (field names as in MLflow's protos).

Absent values are left out, as proto3 JSON does; non-finite metric values are the strings
"NaN", "Infinity" and "-Infinity", which every JSON parser and the mlflow client accept.
"""

from __future__ import annotations

import math
from typing import Any

from tracking.entities import (
    Experiment, Metric, ModelVersion, Page, RegisteredModel, Run, Workspace,
)


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def key_values(mapping: dict[str, str]) -> list[dict[str, str]]:
    """A {key: value} dict as MLflow's list of {"key", "value"} objects."""
    return [{"key": k, "value": v} for k, v in mapping.items()]


def workspace(ws: Workspace) -> dict[str, Any]:
    """A workspace object."""
    return _without_none(
        {"name": ws.name, "description": ws.description, "default_artifact_root": ws.default_artifact_root}
    )


def experiment(e: Experiment) -> dict[str, Any]:
    """An Experiment message."""
    return _without_none({
        "experiment_id": e.experiment_id, "name": e.name, "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage, "last_update_time": e.last_update_time,
        "creation_time": e.creation_time, "tags": key_values(e.tags),
    })


def number(value: float) -> float | str:
    """A double as proto JSON writes it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def metric(m: Metric) -> dict[str, Any]:
    """A Metric message."""
    return {"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}


def run_info(r: Run) -> dict[str, Any]:
    """A RunInfo message."""
    return _without_none({
        "run_id": r.run_id, "run_uuid": r.run_id, "run_name": r.run_name,
        "experiment_id": r.experiment_id, "user_id": r.user_id, "status": r.status,
        "start_time": r.start_time, "end_time": r.end_time, "artifact_uri": r.artifact_uri,
        "lifecycle_stage": r.lifecycle_stage,
    })


def run(r: Run) -> dict[str, Any]:
    """A Run message: info and data."""
    return {
        "info": run_info(r),
        "data": {
            "metrics": [metric(m) for m in r.metrics],
            "params": key_values(r.params),
            "tags": key_values(r.tags),
        },
        "inputs": {},
    }


def page(name: str, p: Page, render) -> dict[str, Any]:
    """A search response: the rendered items under `name`, and the next page token if any."""
    return _without_none({name: [render(item) for item in p.items], "next_page_token": p.next_page_token})


def model_version(v: ModelVersion) -> dict[str, Any]:
    """A ModelVersion message."""
    return _without_none({
        "name": v.name, "version": str(v.version), "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp, "user_id": v.user_id,
        "current_stage": v.current_stage, "description": v.description, "source": v.source,
        "run_id": v.run_id, "status": v.status, "tags": key_values(v.tags), "run_link": v.run_link,
        "aliases": list(v.aliases),
    })


def registered_model(m: RegisteredModel) -> dict[str, Any]:
    """A RegisteredModel message."""
    return _without_none({
        "name": m.name, "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp, "description": m.description,
        "latest_versions": [model_version(v) for v in m.latest_versions],
        "tags": key_values(m.tags),
        "aliases": [{"alias": a, "version": str(v)} for a, v in m.aliases.items()],
    })
