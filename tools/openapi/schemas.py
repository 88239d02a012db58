"""The JSON Schemas of the OpenAPI document: the objects wsauth answers with (as tracking/api/wire.py
and auth/api.py build them) and the request fields (as tracking/api/params.py reads them)."""

from __future__ import annotations

from tracking.api.params import MAX_LIST_ITEMS, Field
from tracking.entities import RUN_STATUSES, STAGES, VIEW_TYPES

INT64 = {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}
STRING = {"type": "string"}
PERMISSIONS = ["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"]
NON_FINITE = ["NaN", "Infinity", "-Infinity"]


def ref(name: str) -> dict:
    """A reference to a schema of components/schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict, optional: dict | None = None) -> dict:
    """A closed object: these properties and no others; `required` are always present."""
    return {"type": "object", "properties": {**required, **(optional or {})},
            "required": list(required), "additionalProperties": False}


def array(items: dict) -> dict:
    """A JSON array of items."""
    return {"type": "array", "items": items}


def page(name: str, item: str) -> dict:
    """A search answer: the items under `name`, and next_page_token when more remain."""
    return obj({name: array(ref(item))}, {"next_page_token": STRING})


KEY_VALUE = obj({"key": STRING, "value": STRING})
ALIAS = obj({"alias": STRING, "version": STRING})

OBJECTS: dict[str, dict] = {
    "Error": {**obj({"error_code": {"type": "string", "description": "MLflow's error code, e.g. RESOURCE_DOES_NOT_EXIST"},
                     "message": {"type": "string", "description": "what went wrong and how to fix it"}},
                    {"databases": {"type": "object", "description": "GET /ready only: each database, up or down",
                                   "additionalProperties": {"enum": ["up", "down"]}}}),
              "additionalProperties": True},
    "Empty": obj({}),
    "KeyValue": KEY_VALUE,
    "Experiment": obj(
        {"experiment_id": STRING, "name": STRING, "lifecycle_stage": {"type": "string", "enum": ["active", "deleted"]},
         "tags": array(ref("KeyValue"))},
        {"artifact_location": STRING, "creation_time": INT64, "last_update_time": INT64},
    ),
    "Metric": obj({"key": STRING, "value": {"oneOf": [{"type": "number"}, {"type": "string", "enum": NON_FINITE}]},
                   "timestamp": INT64, "step": INT64}),
    "RunInfo": obj(
        {"run_id": STRING, "run_uuid": STRING, "experiment_id": STRING,
         "status": {"type": "string", "enum": list(RUN_STATUSES)},
         "lifecycle_stage": {"type": "string", "enum": ["active", "deleted"]}},
        {"run_name": STRING, "user_id": STRING, "start_time": INT64, "end_time": INT64, "artifact_uri": STRING},
    ),
    "Run": obj({
        "info": ref("RunInfo"),
        "data": obj({"metrics": array(ref("Metric")), "params": array(ref("KeyValue")), "tags": array(ref("KeyValue"))}),
        "inputs": obj({}),
    }),
    "ModelVersion": obj(
        {"name": STRING, "version": STRING, "creation_timestamp": INT64, "last_updated_timestamp": INT64,
         "current_stage": {"type": "string", "enum": list(STAGES)}, "source": STRING, "status": STRING,
         "tags": array(ref("KeyValue")), "aliases": array(STRING)},
        {"user_id": STRING, "description": STRING, "run_id": STRING, "run_link": STRING},
    ),
    "RegisteredModel": obj(
        {"name": STRING, "creation_timestamp": INT64, "last_updated_timestamp": INT64,
         "latest_versions": array(ref("ModelVersion")), "tags": array(ref("KeyValue")), "aliases": array(ALIAS)},
        {"description": STRING},
    ),
    "Workspace": obj({"name": STRING}, {"description": STRING, "default_artifact_root": STRING}),
    "FileInfo": obj({"path": STRING, "is_dir": {"type": "boolean"}}, {"file_size": INT64}),
    "ServerInfo": obj({"store_type": STRING, "workspaces_enabled": {"type": "boolean"}}),
    "UserSummary": obj({"id": INT64, "username": STRING, "is_admin": {"type": "boolean"}}),
    "User": obj({
        "id": INT64, "username": STRING, "is_admin": {"type": "boolean"},
        "experiment_permissions": array(ref("ExperimentPermission")),
        "registered_model_permissions": array(ref("RegisteredModelPermission")),
        "scorer_permissions": {"type": "array", "maxItems": 0, "description": "always empty: wsauth has no scorers"},
    }),
    "ExperimentPermission": obj({"experiment_id": STRING, "user_id": INT64,
                                 "permission": {"type": "string", "enum": PERMISSIONS}}),
    "RegisteredModelPermission": obj({"name": STRING, "user_id": INT64, "workspace": STRING,
                                      "permission": {"type": "string", "enum": PERMISSIONS}}),
    "WorkspacePermission": obj({"workspace": STRING, "user_id": INT64, "username": STRING,
                                "permission": {"type": "string", "enum": PERMISSIONS}, "can_use": {"type": "boolean"}}),
    "AuditEvent": obj({
        "id": INT64, "timestamp": INT64, "time": {"type": "string", "description": "the timestamp in ISO 8601, UTC"},
        "actor": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]}, "action": STRING,
        "target": STRING, "outcome": {"type": "string", "enum": ["success", "failure", "denied"]},
        "details": {"type": "object"},
    }),
    "Lockout": obj({"username": STRING, "address": STRING, "failures": INT64,
                    "locked_until": {"type": ["integer", "null"], "description": "ms since the epoch"}}),
}

# Request fields whose values are an enumeration or a bounded range (the handlers check them).
FIELD_RULES: dict[str, dict] = {
    "view_type": {"enum": list(VIEW_TYPES)},
    "run_view_type": {"enum": list(VIEW_TYPES)},
    "status": {"enum": list(RUN_STATUSES)},
    "stage": {"enum": list(STAGES)},
    "permission": {"enum": PERMISSIONS},
    # checks.key: no leading '/' and no '..' segment either
    "key": {"pattern": r"^[\w\-. /:]+$"},
    "version": {"pattern": "^[0-9]{1,9}$", "description": "a version number"},
    # not 'latest' nor 'v<number>' either (registry._alias)
    "alias": {"pattern": r"^[\w\-]+$"},
}


def field_schema(field: Field, rules: dict | None = None) -> dict:
    """The JSON Schema of one request field of the kind params.read converts (`rules` adds
    keywords: to the array of a list field, or to its items when they are for strings)."""
    rules = {**FIELD_RULES.get(field.name, {}), **(rules or {})}
    text = {"type": "string", "maxLength": field.max_length}
    if field.kind in ("string", "id"):
        # An id may also be sent as a JSON integer; the canonical form is a string.
        return {**text, **rules}
    if field.kind == "int":
        return {**INT64, **rules}
    if field.kind == "float":
        return {"oneOf": [{"type": "number"}, {"type": "string", "enum": NON_FINITE}]}
    if field.kind == "bool":
        return {"type": "boolean"}
    listing = {"maxItems": rules.pop("maxItems", MAX_LIST_ITEMS)}
    if field.kind == "strings":
        return {"type": "array", **listing, "items": {**text, **rules}}
    if field.kind == "objects":
        return {"type": "array", **listing, "items": fields_object(field.item)}
    raise ValueError(f"no schema for field kind {field.kind}")


def fields_object(fields: tuple, rules: dict | None = None) -> dict:
    """The JSON object of these fields (unknown fields are ignored by the server, so allowed)."""
    rules = rules or {}
    schema = {"type": "object",
              "properties": {f.name: field_schema(f, rules=rules.get(f.name)) for f in fields}}
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    return schema
