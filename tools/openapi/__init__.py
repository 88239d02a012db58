"""Builds wsauth's OpenAPI document (tracking/openapi.json) from the route tables and the
descriptions in operations.py.

The routes come from the real tables (tracking.api.routes and auth.api), so a route without a
description stops the build. The server only ships and serves the written file; regenerate it with
`python -m tools.openapi` after changing a route (a test fails while the file is out of date).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from flask import Flask

import tracking
from auth import api as auth_api
from auth import rules
from tools.openapi.operations import LOOKUP_NAME, OPERATIONS, Operation, Raw
from tools.openapi.schemas import OBJECTS, field_schema, fields_object, ref
from tracking.api import routes

DOCUMENT = Path(tracking.__file__).with_name("openapi.json")
IGNORED_METHODS = {"HEAD", "OPTIONS"}  # every route answers them (Flask), none is documented
CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")

ERRORS = {
    400: "The request is invalid (a field, the body, the workspace header or a name); or a name is already taken",
    401: "Missing or wrong credentials",
    403: "The signed-in user lacks the permission the route needs",
    404: "Something the request names does not exist (in the request's workspace), or the route is off",
    409: "The request conflicts with the current state",
    413: "The request body is too large",
    414: "The request line (path and query string) is over 8190 bytes",
    429: "Too many failed sign-ins for this name from this address; retry after Retry-After seconds",
    503: "The database is unavailable; retry shortly",
}

DESCRIPTION = """\
wsauth speaks MLflow's tracking REST API (JSON field names as in MLflow's protocol buffers), its
workspace API and artifact proxy, and, with `--app-name basic-auth`, MLflow's users and
permissions API (and its own sign-in lockouts and audit trail). This document describes a server
started with `--app-name basic-auth` and `--enable-workspaces`: without the auth layer the users,
permissions, lockout and audit routes are absent and no credentials are needed; without
workspaces the workspace routes answer 404.

Every route except the public probes needs HTTP Basic credentials. GET routes take their fields in
the query string (a list field is repeated); other routes take a JSON object body, whose unknown
fields are ignored. Every error has the body `{"error_code": ..., "message": ...}`.
See docs/rest-api.md and docs/auth-rest-api.md for the meaning of each field."""
WORKSPACE_HEADER = {
    "name": "X-MLFLOW-WORKSPACE", "in": "header", "required": False,
    "description": "The workspace the request acts in (surrounding spaces are trimmed); 'default' when absent",
    "schema": LOOKUP_NAME, "example": "default",
}


def route_table() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(OpenAPI path, method, endpoint, path parameters) of every route of a server with auth on."""
    app = Flask("openapi", static_folder=None)
    routes.register_routes(app)
    auth_api.register_routes(app)
    table = []
    for rule in app.url_map.iter_rules():
        path = CONVERTER.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - IGNORED_METHODS):
            table.append((path, method, rule.endpoint, tuple(rule.arguments)))
    return table


def build() -> dict:
    """The whole OpenAPI document."""
    paths: dict[str, dict] = {}
    shared: dict[str, dict] = {"requestBodies": {}, "responses": {}}
    taken: set[str] = set()
    table = route_table()
    methods = Counter((path, endpoint) for path, _, endpoint, _ in table)
    for path, method, endpoint, arguments in table:
        if endpoint not in OPERATIONS:
            raise KeyError(f"no description of endpoint {endpoint} in tools/openapi/operations.py")
        item = operation(OPERATIONS[endpoint], method, endpoint, arguments, shared)
        item["operationId"] = _operation_id(endpoint, method, path, taken, methods[path, endpoint] > 1)
        paths.setdefault(path, {})[method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "wsauth", "version": tracking.__version__, "description": DESCRIPTION,
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "security": [{"basicAuth": []}],
        "paths": paths,
        "components": {
            "schemas": OBJECTS,
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
            "parameters": {"Workspace": WORKSPACE_HEADER},
            "requestBodies": shared["requestBodies"],
            "responses": {**{str(status): _error(status) for status in ERRORS}, **shared["responses"]},
        },
    }


def _operation_id(endpoint: str, method: str, path: str, taken: set[str], several: bool) -> str:
    """The endpoint name, with the method when it has several, marked for its other prefixes."""
    name = endpoint + (method.title() if several else "")
    if path.startswith("/ajax-api/"):
        name += "Ajax"
    elif name in taken:
        name += "Root"
    taken.add(name)
    return name


def operation(op: Operation, method: str, endpoint: str, arguments: tuple[str, ...],
              shared: dict[str, dict]) -> dict:
    """One operation object; its request body and success response go to `shared` components
    (named after the endpoint), as the /api and /ajax-api twins share them."""
    rule = rules.rule_for(endpoint)
    in_query = op.in_query if op.in_query is not None else method == "GET"
    item: dict = {"summary": op.summary, "tags": [op.tag], "x-endpoint": endpoint}
    parameters = [_path_parameter(name) for name in arguments]
    if op.scoped:
        parameters.append({"$ref": "#/components/parameters/Workspace"})
    if in_query:
        parameters += [_query_parameter(f, op) for f in op.fields]
    if parameters:
        item["parameters"] = parameters
    body = _request_body(op, in_query)
    if body:
        shared["requestBodies"][endpoint] = body
        item["requestBody"] = {"$ref": f"#/components/requestBodies/{endpoint}"}
    if op.run_id_required:
        item["description"] = "Name the run by `run_id` (or its older name `run_uuid`); one of them is required."
    shared["responses"][endpoint] = _success(op)
    long_line = bool(arguments) or (in_query and bool(op.fields))
    item["responses"] = {str(op.status): {"$ref": f"#/components/responses/{endpoint}"},
                         **_errors(op, rule, bool(arguments), bool(body), long_line)}
    if rule == rules.PUBLIC:
        item["security"] = []
    return item


def _path_parameter(name: str) -> dict:
    if name == "artifact_path":
        schema = {"type": "string", "description": "a relative path; its '/' separators are part of the URL path"}
    else:
        schema = LOOKUP_NAME
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameter(field, op: Operation) -> dict:
    parameter = {"name": field.name, "in": "query", "required": field.required,
                 "schema": field_schema(field, rules=(op.rules or {}).get(field.name))}
    if field.kind == "strings":
        parameter.update(style="form", explode=True)
    return parameter


def _request_body(op: Operation, in_query: bool) -> dict | None:
    if op.body:
        return {"required": False, "content": {op.body.media_type: {"schema": op.body.schema}}}
    if in_query or not op.fields:
        return None
    schema = fields_object(op.fields, op.rules)
    if op.run_id_required:
        schema["anyOf"] = [{"required": ["run_id"]}, {"required": ["run_uuid"]}]
    required = bool(schema.get("required")) or op.run_id_required
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _success(op: Operation) -> dict:
    if op.answer is None:
        return {"description": "Done; no body"}
    if isinstance(op.answer, Raw):
        return {"description": "OK", "content": {op.answer.media_type: {"schema": op.answer.schema}}}
    return {"description": "OK", "content": {"application/json": {"schema": op.answer}}}


def _errors(op: Operation, rule, in_path: bool, has_body: bool, long_line: bool) -> dict:
    public = rule == rules.PUBLIC
    statuses = set()
    if op.fields or op.scoped or in_path or has_body:
        statuses.add(400)
    if not public:
        statuses |= {401, 429, 503}
        if op.lookups or op.scoped:
            statuses.add(404)
    if rule not in (rules.PUBLIC, rules.AUTHENTICATED) and not isinstance(rule, rules.Filtered):
        statuses.add(403)
    statuses.update(op.extra)
    if has_body:
        statuses.add(413)
    if long_line:
        statuses.add(414)
    return {str(status): {"$ref": f"#/components/responses/{status}"} for status in sorted(statuses)}


def _error(status: int) -> dict:
    response = {"description": ERRORS[status],
                "content": {"application/json": {"schema": ref("Error")}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                                                    "description": "Basic realm=\"mlflow\""}}
    if status == 429:
        response["headers"] = {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                               "description": "seconds until the lockout ends"}}
    return response


def render() -> str:
    """The document as the text of tracking/openapi.json."""
    return json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
