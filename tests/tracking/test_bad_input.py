"""Hostile input across the REST routes: every answer is a 4xx JSON body {"error_code", "message"}
whose message says what to fix, never a 500 (issue 2, item 4).

One table of cases runs against one app per database kind (the cases write nothing), then a sweep
sends odd values to every field of every route and checks only that nothing breaks.
"""

from __future__ import annotations

import base64
import json
from typing import Any, NamedTuple

import pytest

from tests.conftest import DATABASE_KINDS, postgres_database
from tracking.api.routes import ROUTES
from tracking.app import create_app
from tracking.server import prepare_databases
from tracking.settings import Settings

API = "/api/2.0/mlflow"
WS = "/api/3.0/mlflow/workspaces"
MAX_BODY = 1_000_000
UNSET = object()


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def seeded(request, tmp_path_factory):
    """(client, ids): one app per database kind, with an experiment, a run and a workspace."""
    folder = tmp_path_factory.mktemp("bad-input")
    if request.param == "sqlite":
        yield from _seeded_app(f"sqlite:///{folder / 'mlflow.db'}", folder)
    else:
        with postgres_database() as uri:
            yield from _seeded_app(uri, folder)


def _seeded_app(uri: str, folder):
    settings = Settings(backend_store_uri=uri, workspaces_enabled=True, max_request_bytes=MAX_BODY,
                        artifacts_destination=str(folder / "mlartifacts"))
    prepare_databases(settings)
    app = create_app(settings)
    app.config["TESTING"] = True
    client = app.test_client()
    experiment = client.post(f"{API}/experiments/create", json={"name": "seed"}).json["experiment_id"]
    run = client.post(f"{API}/runs/create", json={"experiment_id": experiment}).json["run"]["info"]["run_id"]
    client.post(f"{API}/runs/log-parameter", json={"run_id": run, "key": "p", "value": "1"})
    assert client.post(WS, json={"name": "team-a"}).status_code == 201
    yield client, {"exp": experiment, "run": run}
    app.extensions["wsauth"].database.dispose()


def token(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode()


class Case(NamedTuple):
    """One hostile request and the error it must get."""

    name: str
    method: str
    path: str
    status: int
    error_code: str
    fragment: str
    json: Any = UNSET
    data: str | bytes | None = None
    query: dict | None = None
    headers: dict | None = None


BAD_JSON = "MALFORMED_REQUEST"
INVALID = "INVALID_PARAMETER_VALUE"
MISSING = "RESOURCE_DOES_NOT_EXIST"
LOG_METRIC = f"{API}/runs/log-metric"
SEARCH = f"{API}/experiments/search"
RUN_SEARCH = f"{API}/runs/search"
CREATE = f"{API}/experiments/create"

CASES = [
    # --- the body cannot be read ---
    Case("not json", "POST", CREATE, 400, BAD_JSON, "not valid JSON; send a JSON object", data="{name: x"),
    Case("truncated json", "POST", f"{API}/runs/log-batch", 400, BAD_JSON, "not valid JSON", data='{"run_id": '),
    Case("not utf-8", "POST", CREATE, 400, BAD_JSON, "not valid JSON", data=b"\xff\xfe\x00{"),
    Case("deep nesting", "POST", CREATE, 400, BAD_JSON, "not valid JSON", data="[" * 100_000),
    Case("a json list", "POST", CREATE, 400, BAD_JSON, "must be a JSON object", data='[{"name": "x"}]'),
    Case("a json string", "POST", CREATE, 400, BAD_JSON, "must be a JSON object", data='"x"'),
    Case("json null", "POST", f"{API}/runs/update", 400, BAD_JSON, "must be a JSON object", data="null"),
    Case("a json number", "POST", WS, 400, BAD_JSON, "must be a JSON object", data="42"),
    Case("workspace patch not json", "PATCH", f"{WS}/team-a", 400, BAD_JSON, "not valid JSON", data="{"),
    # --- wrong types ---
    Case("int name", "POST", CREATE, 400, INVALID, "Parameter 'name' must be a string, got int 5", json={"name": 5}),
    Case("list name", "POST", CREATE, 400, INVALID, "Parameter 'name' must be a string, got list ['x']",
         json={"name": ["x"]}),
    Case("bool name", "POST", CREATE, 400, INVALID, "must be a string, got bool True", json={"name": True}),
    Case("object name", "POST", CREATE, 400, INVALID, "must be a string, got dict", json={"name": {"a": 1}}),
    Case("tags not a list", "POST", CREATE, 400, INVALID, "Parameter 'tags' must be a list of objects",
         json={"name": "x", "tags": "a=b"}),
    Case("tag not an object", "POST", CREATE, 400, INVALID, "Each item of 'tags' must be an object; item 1 is not",
         json={"name": "x", "tags": [{"key": "a", "value": "b"}, "c=d"]}),
    Case("tag key not a string", "POST", CREATE, 400, INVALID, "Parameter 'tags[0].key' must be a string",
         json={"name": "x", "tags": [{"key": 7, "value": "b"}]}),
    Case("max_results word", "POST", SEARCH, 400, INVALID, "Parameter 'max_results' must be an integer, got 'ten'",
         json={"max_results": "ten"}),
    Case("max_results bool", "POST", SEARCH, 400, INVALID, "'max_results' must be an integer, got True",
         json={"max_results": True}),
    Case("max_results fraction", "POST", SEARCH, 400, INVALID, "must be an integer, got 1.5",
         json={"max_results": 1.5}),
    Case("max_results list", "POST", SEARCH, 400, INVALID, "must be an integer, got [5]", json={"max_results": [5]}),
    Case("max_results double minus", "POST", SEARCH, 400, INVALID, "must be an integer, got '--5'",
         json={"max_results": "--5"}),
    Case("max_results superscript", "POST", SEARCH, 400, INVALID, "must be an integer, got '²'",
         json={"max_results": "²"}),
    Case("max_results 5000 digits", "GET", SEARCH, 400, INVALID, "'max_results' is out of the 64-bit integer range",
         query={"max_results": "9" * 5000}),
    Case("max_results 0", "POST", SEARCH, 400, INVALID, "max_results must be between 1 and 50000, got 0",
         json={"max_results": 0}),
    Case("max_results too big", "GET", SEARCH, 400, INVALID, "max_results must be between 1 and 50000, got 50001",
         query={"max_results": "50001"}),
    Case("max_results negative", "GET", f"{API}/experiments/list", 400, INVALID, "got -3",
         query={"max_results": "-3"}),
    Case("history max_results", "GET", f"{API}/metrics/get-history", 400, INVALID,
         "max_results must be between 1 and 25000, got 25001",
         query={"run_id": "{run}", "metric_key": "m", "max_results": "25001"}),
    Case("filter not a string", "POST", SEARCH, 400, INVALID, "Parameter 'filter' must be a string, got int 5",
         json={"filter": 5}),
    Case("order_by an object", "POST", SEARCH, 400, INVALID, "Parameter 'order_by' must be a list of strings",
         json={"order_by": {"name": "asc"}}),
    Case("order_by nested list", "POST", RUN_SEARCH, 400, INVALID, "Parameter 'order_by[0]' must be a string",
         json={"experiment_ids": ["{exp}"], "order_by": [["start_time"]]}),
    Case("experiment_ids object", "POST", RUN_SEARCH, 400, INVALID,
         "Parameter 'experiment_ids' must be a list of strings", json={"experiment_ids": {"0": 1}}),
    Case("experiment_ids bool item", "POST", RUN_SEARCH, 400, INVALID,
         "Parameter 'experiment_ids[0]' must be a string, got bool True", json={"experiment_ids": [True]}),
    Case("experiment_id list", "POST", f"{API}/runs/create", 400, INVALID,
         "Parameter 'experiment_id' must be a string, got list [1]", json={"experiment_id": [1]}),
    Case("experiment_id float", "POST", f"{API}/experiments/delete", 400, INVALID,
         "Parameter 'experiment_id' must be a string, got float 1.5", json={"experiment_id": 1.5}),
    Case("metric value word", "POST", LOG_METRIC, 400, INVALID,
         "Parameter 'value' must be a number (or \"NaN\", \"Infinity\"), got 'high'",
         json={"run_id": "{run}", "key": "m", "value": "high"}),
    Case("metric value bool", "POST", LOG_METRIC, 400, INVALID, "'value' must be a number",
         json={"run_id": "{run}", "key": "m", "value": False}),
    Case("metric value list", "POST", LOG_METRIC, 400, INVALID, "'value' must be a number",
         json={"run_id": "{run}", "key": "m", "value": [1]}),
    Case("metric value 400 digits", "POST", LOG_METRIC, 400, INVALID, "'value' is too large for a double",
         data='{"run_id": "{run}", "key": "m", "value": 1%s}' % ("0" * 400)),
    Case("timestamp word", "POST", LOG_METRIC, 400, INVALID, "Parameter 'timestamp' must be an integer, got 'now'",
         json={"run_id": "{run}", "key": "m", "value": 1, "timestamp": "now"}),
    Case("timestamp bool", "POST", LOG_METRIC, 400, INVALID, "'timestamp' must be an integer, got True",
         json={"run_id": "{run}", "key": "m", "value": 1, "timestamp": True}),
    Case("step fraction", "POST", LOG_METRIC, 400, INVALID, "Parameter 'step' must be an integer, got 1.5",
         json={"run_id": "{run}", "key": "m", "value": 1, "step": 1.5}),
    Case("step out of range", "POST", LOG_METRIC, 400, INVALID, "'step' is out of the 64-bit integer range",
         json={"run_id": "{run}", "key": "m", "value": 1, "step": 2**63}),
    Case("end_time word", "POST", f"{API}/runs/update", 400, INVALID, "'end_time' must be an integer",
         json={"run_id": "{run}", "end_time": "soon"}),
    Case("start_time object", "POST", f"{API}/runs/create", 400, INVALID, "'start_time' must be an integer",
         json={"experiment_id": "{exp}", "start_time": {}}),
    Case("param value int", "POST", f"{API}/runs/log-parameter", 400, INVALID,
         "Parameter 'value' must be a string, got int 5", json={"run_id": "{run}", "key": "q", "value": 5}),
    Case("batch metrics object", "POST", f"{API}/runs/log-batch", 400, INVALID,
         "Parameter 'metrics' must be a list of objects", json={"run_id": "{run}", "metrics": {"key": "m"}}),
    Case("batch param string", "POST", f"{API}/runs/log-batch", 400, INVALID,
         "Each item of 'params' must be an object; item 0 is not", json={"run_id": "{run}", "params": ["q=1"]}),
    Case("workspace description int", "POST", WS, 400, INVALID, "Parameter 'description' must be a string",
         json={"name": "team-x", "description": 5}),
    Case("workspace root list", "PATCH", f"{WS}/team-a", 400, INVALID,
         "Parameter 'default_artifact_root' must be a string", json={"default_artifact_root": ["s3://b"]}),
    # --- missing required fields ---
    Case("create without name", "POST", CREATE, 400, INVALID, "Missing value for required parameter 'name'",
         json={}),
    Case("create with null name", "POST", CREATE, 400, INVALID, "Missing value for required parameter 'name'",
         json={"name": None}),
    Case("get without id", "GET", f"{API}/experiments/get", 400, INVALID,
         "Missing value for required parameter 'experiment_id'"),
    Case("get-by-name without name", "GET", f"{API}/experiments/get-by-name", 400, INVALID,
         "Missing value for required parameter 'experiment_name'"),
    Case("delete without id", "POST", f"{API}/experiments/delete", 400, INVALID,
         "Missing value for required parameter 'experiment_id'", json={}),
    Case("experiment tag without key", "POST", f"{API}/experiments/set-experiment-tag", 400, INVALID,
         "Missing value for required parameter 'key'", json={"experiment_id": "{exp}", "value": "v"}),
    Case("delete experiment tag without key", "POST", f"{API}/experiments/delete-experiment-tag", 400, INVALID,
         "Missing value for required parameter 'key'", json={"experiment_id": "{exp}"}),
    Case("run get without id", "GET", f"{API}/runs/get", 400, INVALID, "Missing value for required parameter 'run_id'"),
    Case("log-metric without run", "POST", LOG_METRIC, 400, INVALID, "Missing value for required parameter 'run_id'",
         json={"key": "m", "value": 1}),
    Case("log-metric without value", "POST", LOG_METRIC, 400, INVALID,
         "Missing value for required parameter 'value'", json={"run_id": "{run}", "key": "m"}),
    Case("log-parameter without value", "POST", f"{API}/runs/log-parameter", 400, INVALID,
         "Missing value for required parameter 'value'", json={"run_id": "{run}", "key": "q"}),
    Case("set-tag without key", "POST", f"{API}/runs/set-tag", 400, INVALID,
         "Missing value for required parameter 'key'", json={"run_id": "{run}", "value": "v"}),
    Case("delete-tag without key", "POST", f"{API}/runs/delete-tag", 400, INVALID,
         "Missing value for required parameter 'key'", json={"run_id": "{run}"}),
    Case("history without key", "GET", f"{API}/metrics/get-history", 400, INVALID,
         "Missing value for required parameter 'metric_key'", query={"run_id": "{run}"}),
    Case("workspace without name", "POST", WS, 400, INVALID, "Missing value for required parameter 'name'",
         json={"description": "d"}),
    # --- oversized strings and lists ---
    Case("long experiment name", "POST", CREATE, 400, INVALID,
         "Parameter 'name' is 257 characters long; the limit is 256", json={"name": "x" * 257}),
    Case("long tag key", "POST", f"{API}/runs/set-tag", 400, INVALID,
         "Parameter 'key' is 251 characters long; the limit is 250", json={"run_id": "{run}", "key": "k" * 251,
                                                                           "value": "v"}),
    Case("long run tag value", "POST", f"{API}/runs/set-tag", 400, INVALID,
         "Parameter 'value' is 8001 characters long; the limit is 8000",
         json={"run_id": "{run}", "key": "k", "value": "v" * 8001}),
    Case("long filter", "POST", SEARCH, 400, INVALID, "Parameter 'filter' is 20001 characters long; the limit is 20000",
         json={"filter": "x" * 20_001}),
    Case("long page token", "GET", SEARCH, 400, INVALID, "Parameter 'page_token' is 201 characters long",
         query={"page_token": "A" * 201}),
    Case("long run id", "GET", f"{API}/runs/get", 400, INVALID, "Parameter 'run_id' is 65 characters long",
         query={"run_id": "a" * 65}),
    Case("long experiment id", "GET", f"{API}/experiments/get", 400, INVALID,
         "Parameter 'experiment_id' is 41 characters long; the limit is 40", query={"experiment_id": "1" * 41}),
    Case("too many order_by", "POST", SEARCH, 400, INVALID, "Invalid order_by: 101 clauses; the limit is 100",
         json={"order_by": ["name"] * 101}),
    Case("too many experiment ids", "POST", RUN_SEARCH, 400, INVALID,
         "Parameter 'experiment_ids' has 10001 items; the limit is 10000", json={"experiment_ids": ["1"] * 10_001}),
    Case("too many tags", "POST", CREATE, 400, INVALID, "Parameter 'tags' has 10001 items; the limit is 10000",
         json={"name": "x", "tags": [{"key": "k", "value": "v"}] * 10_001}),
    Case("too many batch metrics", "POST", f"{API}/runs/log-batch", 400, INVALID,
         "A batch may hold at most 1000 metrics; this one has 1001",
         json={"run_id": "{run}", "metrics": [{"key": "m", "value": 1, "timestamp": 1}] * 1001}),
    Case("long workspace description", "POST", WS, 400, INVALID,
         "Parameter 'description' is 10001 characters long", json={"name": "team-x", "description": "d" * 10_001}),
    Case("long workspace header", "GET", SEARCH, 400, INVALID, "must be between 2 and 63 characters",
         headers={"X-MLFLOW-WORKSPACE": "w" * 5000}),
    # --- NUL characters and broken Unicode ---
    Case("NUL in name", "POST", CREATE, 400, INVALID, "Parameter 'name' must not contain NUL characters",
         json={"name": "a\x00b"}),
    Case("NUL in tag value", "POST", CREATE, 400, INVALID, "Parameter 'tags[0].value' must not contain NUL",
         json={"name": "x", "tags": [{"key": "k", "value": "\x00"}]}),
    Case("NUL in param key", "POST", f"{API}/runs/log-parameter", 400, INVALID,
         "Parameter 'key' must not contain NUL", json={"run_id": "{run}", "key": "k\x00", "value": "v"}),
    Case("NUL in filter", "POST", SEARCH, 400, INVALID, "Parameter 'filter' must not contain NUL",
         json={"filter": "name = 'a\x00'"}),
    Case("NUL in query id", "GET", f"{API}/experiments/get", 400, INVALID,
         "Parameter 'experiment_id' must not contain NUL", query={"experiment_id": "1\x00"}),
    Case("NUL in workspace name", "POST", WS, 400, INVALID, "Parameter 'name' must not contain NUL",
         json={"name": "te\x00am"}),
    Case("NUL in workspace path", "GET", f"{WS}/te%00am", 400, INVALID, "must match the pattern"),
    Case("lone surrogate in name", "POST", CREATE, 400, INVALID,
         "Parameter 'name' contains an unpaired UTF-16 surrogate", data='{"name": "a\\ud800"}'),
    Case("lone surrogate in tag value", "POST", f"{API}/runs/set-tag", 400, INVALID,
         "Parameter 'value' contains an unpaired UTF-16 surrogate",
         data='{"run_id": "{run}", "key": "k", "value": "\\udfff"}'),
    Case("lone surrogate in workspace", "POST", WS, 400, INVALID, "unpaired UTF-16 surrogate",
         data='{"name": "team-b", "description": "\\ud83d"}'),
    # --- bad page tokens ---
    Case("garbage token", "POST", SEARCH, 400, INVALID,
         "Invalid page_token; pass the next_page_token of the previous response unchanged",
         json={"page_token": "garbage"}),
    Case("negative offset token", "POST", RUN_SEARCH, 400, INVALID, "Invalid page_token",
         json={"experiment_ids": ["{exp}"], "page_token": token(b'{"offset": -1}')}),
    Case("list token", "GET", SEARCH, 400, INVALID, "Invalid page_token", query={"page_token": token(b"[1]")}),
    Case("bool offset token", "GET", f"{API}/experiments/list", 400, INVALID, "Invalid page_token",
         query={"page_token": token(b'{"offset": true}')}),
    Case("huge offset token", "POST", SEARCH, 400, INVALID, "Invalid page_token",
         json={"page_token": token(b'{"offset": 10000000000}')}),
    Case("binary token", "POST", SEARCH, 400, INVALID, "Invalid page_token", json={"page_token": token(b"\xff\xfe")}),
    Case("history token", "GET", f"{API}/metrics/get-history", 400, INVALID, "Invalid page_token",
         query={"run_id": "{run}", "metric_key": "m", "page_token": "%%%"}),
    Case("int token", "POST", SEARCH, 400, INVALID, "Parameter 'page_token' must be a string",
         json={"page_token": 5}),
    # --- bad enums ---
    Case("view_type word", "POST", SEARCH, 400, INVALID,
         "Invalid view_type 'BOGUS'; use one of ACTIVE_ONLY, DELETED_ONLY, ALL", json={"view_type": "BOGUS"}),
    Case("view_type zero", "GET", SEARCH, 400, INVALID, "Invalid view_type '0'", query={"view_type": "0"}),
    Case("view_type four", "POST", SEARCH, 400, INVALID, "Invalid view_type '4'", json={"view_type": 4}),
    Case("view_type superscript", "POST", SEARCH, 400, INVALID, "Invalid view_type '²'", json={"view_type": "²"}),
    Case("view_type list", "POST", SEARCH, 400, INVALID, "Parameter 'view_type' must be a string",
         json={"view_type": ["ALL"]}),
    Case("run_view_type lowercase", "POST", RUN_SEARCH, 400, INVALID, "Invalid run_view_type 'all'",
         json={"experiment_ids": ["{exp}"], "run_view_type": "all"}),
    Case("status word", "POST", f"{API}/runs/update", 400, INVALID,
         "Invalid status 'DONE'; use one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED",
         json={"run_id": "{run}", "status": "DONE"}),
    Case("status number", "POST", f"{API}/runs/update", 400, INVALID, "Invalid status '6'",
         json={"run_id": "{run}", "status": 6}),
    Case("delete mode", "DELETE", f"{WS}/team-a", 400, INVALID, "Invalid deletion mode 'BOGUS'",
         query={"mode": "bogus"}),
    # --- bad filters and orders ---
    Case("filter without value", "POST", SEARCH, 400, INVALID, "expected a value after =",
         json={"filter": "name = "}),
    Case("metric filter on experiments", "POST", SEARCH, 400, INVALID, "metric keys cannot be used here",
         json={"filter": "metrics.acc > 1"}),
    Case("unknown run attribute", "POST", RUN_SEARCH, 400, INVALID, "unknown attribute 'colour'",
         json={"experiment_ids": ["{exp}"], "filter": "colour = 'red'"}),
    Case("OR filter", "POST", RUN_SEARCH, 400, INVALID, "OR is not supported",
         json={"experiment_ids": ["{exp}"], "filter": "params.p = '1' OR params.p = '2'"}),
    Case("bad direction", "POST", RUN_SEARCH, 400, INVALID, "expected ASC, DESC or the end of the clause",
         json={"experiment_ids": ["{exp}"], "order_by": ["metrics.acc SIDEWAYS"]}),
    Case("empty order_by", "GET", SEARCH, 400, INVALID, "it is empty", query={"order_by": " "}),
    # --- unknown ids ---
    Case("word experiment id", "GET", f"{API}/experiments/get", 404, MISSING, "No experiment with id 'abc' exists",
         query={"experiment_id": "abc"}),
    Case("negative experiment id", "GET", f"{API}/experiments/get", 404, MISSING, "No experiment with id '-1'",
         query={"experiment_id": "-1"}),
    Case("superscript experiment id", "GET", f"{API}/experiments/get", 404, MISSING, "No experiment with id '²'",
         query={"experiment_id": "²"}),
    Case("32-bit overflow experiment id", "GET", f"{API}/experiments/get", 404, MISSING,
         "No experiment with id '2147483648'", query={"experiment_id": "2147483648"}),
    Case("zero-padded huge experiment id", "GET", f"{API}/experiments/get", 404, MISSING,
         "No experiment with id '00000000000999999999999'", query={"experiment_id": "00000000000999999999999"}),
    Case("huge experiment id", "POST", f"{API}/experiments/delete", 404, MISSING,
         "No experiment with id '99999999999999999999999'", json={"experiment_id": "99999999999999999999999"}),
    Case("int experiment id", "POST", f"{API}/experiments/restore", 404, MISSING, "No experiment with id '123456'",
         json={"experiment_id": 123456}),
    Case("run in huge experiment", "POST", f"{API}/runs/create", 404, MISSING,
         "No experiment with id '999999999999999999'", json={"experiment_id": "999999999999999999"}),
    Case("unknown run", "GET", f"{API}/runs/get", 404, MISSING, "Run 'nope' not found in workspace 'default'",
         query={"run_id": "nope"}),
    Case("unknown run write", "POST", f"{API}/runs/log-batch", 404, MISSING, "Run '0' not found",
         json={"run_id": 0, "metrics": [{"key": "m", "value": 1, "timestamp": 1}]}),
    Case("unknown name", "GET", f"{API}/experiments/get-by-name", 404, MISSING,
         "Could not find experiment with name 'ghost'", query={"experiment_name": "ghost"}),
    Case("unknown workspace", "GET", f"{WS}/ghost-ws", 404, MISSING, "Workspace 'ghost-ws' not found"),
    Case("unknown header workspace", "GET", f"{API}/experiments/get", 404, MISSING, "Workspace 'ghost-ws' not found",
         query={"experiment_id": "{exp}"}, headers={"X-MLFLOW-WORKSPACE": "ghost-ws"}),
    Case("run from another workspace", "GET", f"{API}/runs/get", 404, MISSING,
         "not found in workspace 'team-a'", query={"run_id": "{run}"}, headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    # --- routes and methods ---
    Case("unknown route", "GET", "/nope", 404, "ENDPOINT_NOT_FOUND", "No API endpoint at this path"),
    Case("unknown api route", "POST", f"{API}/experiments/explode", 404, "ENDPOINT_NOT_FOUND",
         "No API endpoint at this path", json={}),
    Case("unknown v3 route", "GET", "/api/3.0/mlflow/nothing-here", 404, "ENDPOINT_NOT_FOUND", "No API endpoint"),
    Case("POST to a GET route", "POST", f"{API}/runs/get", 405, "BAD_REQUEST",
         "This endpoint does not accept the HTTP method used; allowed: ", json={}),
    Case("GET to a POST route", "GET", CREATE, 405, "BAD_REQUEST", "does not accept the HTTP method"),
    Case("GET runs search", "GET", RUN_SEARCH, 405, "BAD_REQUEST", "does not accept the HTTP method"),
    Case("PUT workspace", "PUT", f"{WS}/team-a", 405, "BAD_REQUEST", "does not accept the HTTP method", json={}),
    Case("DELETE workspace list", "DELETE", WS, 405, "BAD_REQUEST", "does not accept the HTTP method"),
    Case("oversized body", "POST", CREATE, 413, "REQUEST_LIMIT_EXCEEDED",
         "The request body is too large; split it into smaller requests", data="x" * (MAX_BODY + 1)),
]


def _fill(value, ids: dict[str, str]):
    """Put the seeded ids in place of {exp} and {run} anywhere in a case."""
    if isinstance(value, str):
        return value.replace("{exp}", ids["exp"]).replace("{run}", ids["run"])
    if isinstance(value, bytes) or value is None or value is UNSET:
        return value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def send(client, ids, case: Case):
    options = {"query_string": _fill(case.query, ids), "headers": case.headers}
    if case.json is not UNSET:
        options["json"] = _fill(case.json, ids)
    elif case.data is not None:
        options.update(data=_fill(case.data, ids), content_type="application/json")
    return client.open(_fill(case.path, ids), method=case.method, **options)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_request_gets_a_helpful_4xx(seeded, case):
    client, ids = seeded
    response = send(client, ids, case)
    assert response.status_code == case.status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == case.error_code
    assert case.fragment in body["message"], body["message"]


def test_405_names_the_allowed_methods(seeded):
    client, _ = seeded
    response = client.delete(f"{API}/experiments/create")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "POST" in response.json["message"]


def test_the_seeded_data_survived_the_table(seeded):
    """No case above wrote anything: the seed is as it was created."""
    client, ids = seeded
    run = client.get(f"{API}/runs/get", query_string={"run_id": ids["run"]}).json["run"]
    assert run["data"]["params"] == [{"key": "p", "value": "1"}]
    assert run["data"]["metrics"] == []
    assert [t["key"] for t in run["data"]["tags"]] == ["mlflow.runName"]
    assert run["info"]["status"] == "RUNNING"
    found = client.post(f"{API}/experiments/search", json={"order_by": ["name"]}).json["experiments"]
    assert [e["name"] for e in found] == ["Default", "seed"]
    assert [e["tags"] for e in found] == [[], []]
    workspaces = client.get(WS).json["workspaces"]
    assert [ws["name"] for ws in workspaces] == ["default", "team-a"]


# Odd but valid input: no error, and no match.
STRANGE_SEARCHES = [
    (SEARCH, {"filter": "experiment_id = '99999999999999999999'"}),
    (SEARCH, {"filter": "experiment_id IN ('²', '2147483648', 'abc')"}),
    (SEARCH, {"filter": "experiment_id LIKE 'x%'"}),
    (SEARCH, {"filter": "creation_time > 99999999999999999999999"}),
    (SEARCH, {"filter": "creation_time < -1e300"}),
    (SEARCH, {"filter": "name = 'Robert''); DROP TABLE experiments;--'"}),
    (SEARCH, {"filter": "tags.`ключ` = 'значение'"}),
    (RUN_SEARCH, {"experiment_ids": ["{exp}"], "filter": "metrics.m > 99999999999999999999999"}),
    (RUN_SEARCH, {"experiment_ids": ["{exp}"], "filter": "attributes.start_time < -99999999999999999999999"}),
    (RUN_SEARCH, {"experiment_ids": ["{exp}"], "filter": "params.p = '1' AND params.p != '1'"}),
    (RUN_SEARCH, {"experiment_ids": ["²", "-1", "2147483648", "99999999999999999999999", "000000000002147483648"]}),
]


@pytest.mark.parametrize("path, body", STRANGE_SEARCHES)
def test_odd_but_valid_searches_find_nothing(seeded, path, body):
    client, ids = seeded
    response = client.post(path, json=_fill(body, ids))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.json == {}  or list(response.json.values()) == [[]]


# --- a sweep: odd values in each field of every route ------------------------------------------

# The fields each route of issue 2 reads ("list[0].field" is a field of the first item). A new
# experiment, run, metric or workspace route missing here fails test_every_tracking_route_is_swept.
SEARCH_FIELDS = ("filter", "order_by", "max_results", "page_token", "view_type")
RUN = ("run_id", "run_uuid")
SWEPT_FIELDS = {
    "health": (), "version": (), "serverInfo": (),
    "createExperiment": ("name", "artifact_location", "tags", "tags[0].key", "tags[0].value"),
    "getExperiment": ("experiment_id",),
    "getExperimentByName": ("experiment_name",),
    "searchExperiments": SEARCH_FIELDS,
    "listExperiments": SEARCH_FIELDS,
    "updateExperiment": ("experiment_id", "new_name"),
    "deleteExperiment": ("experiment_id",),
    "restoreExperiment": ("experiment_id",),
    "setExperimentTag": ("experiment_id", "key", "value"),
    "deleteExperimentTag": ("experiment_id", "key"),
    "createRun": ("experiment_id", "user_id", "start_time", "run_name", "tags", "tags[0].key", "tags[0].value"),
    "getRun": RUN,
    "updateRun": (*RUN, "status", "end_time", "run_name"),
    "deleteRun": RUN,
    "restoreRun": RUN,
    "searchRuns": ("experiment_ids", "run_view_type", *SEARCH_FIELDS[:-1]),
    "logMetric": (*RUN, "key", "value", "timestamp", "step"),
    "logParam": (*RUN, "key", "value"),
    "logBatch": (*RUN, "metrics", "params", "tags", "metrics[0].key", "metrics[0].value",
                 "metrics[0].timestamp", "metrics[0].step", "params[0].key", "params[0].value",
                 "tags[0].key", "tags[0].value"),
    "setTag": (*RUN, "key", "value"),
    "deleteTag": (*RUN, "key"),
    "getMetricHistory": (*RUN, "metric_key", "max_results", "page_token"),
    "listWorkspaces": (),
    "createWorkspace": ("name", "description", "default_artifact_root"),
    "getWorkspace": (),
    "updateWorkspace": ("name", "description", "default_artifact_root"),
    "deleteWorkspace": ("mode",),
}
ODD_JSON = [None, True, -1, 1.5, 2**70, 10**400, "", "\x00", "\ud800", "²", "--5", "NaN", "x" * 300,
            [], [{}], {"key": "v"}]
ODD_QUERY = ["", " ", "\x00", "²", "--5", "-1", "NaN", "9" * 5000, "x" * 300, "[]", "é"]
ITEMS = {"tags": {"key": "k", "value": "v"}, "params": {"key": "p", "value": "1"},
         "metrics": {"key": "m", "value": 1, "timestamp": 1, "step": 0}}


def _valid_body(ids: dict[str, str]) -> dict:
    """Fields every route accepts: each sweep request spoils one of them."""
    return {"name": "swept", "experiment_id": ids["exp"], "run_id": ids["run"], "key": "k", "value": "1",
            "metric_key": "k", "experiment_name": "seed", "experiment_ids": [ids["exp"]]}


def _spoiled(ids: dict[str, str], field: str, odd) -> dict:
    body = _valid_body(ids)
    if "[0]." in field:
        name, item_field = field.split("[0].")
        body[name] = [{**ITEMS[name], item_field: odd}]
    else:
        body[field] = odd
    return body


def _sweep_request(client, method: str, path: str, body: dict):
    if method == "GET" or method == "DELETE":
        return client.open(path, method=method, query_string=body)
    # json.dumps, not the test client's json=: the odd values include a lone surrogate.
    return client.open(path, method=method, data=json.dumps(body), content_type="application/json")


def _assert_not_broken(response, where: str) -> None:
    assert response.status_code < 500, (where, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert set(response.json) == {"error_code", "message"}, where


SWEPT_PATHS = ("/health", "/version", "/server-info", "/experiments/", "/runs/", "/metrics/", "/workspaces")
SWEPT_ROUTES = [route for route in ROUTES if route.path.startswith(SWEPT_PATHS)]


def test_every_tracking_route_is_swept():
    assert {route.endpoint for route in SWEPT_ROUTES} == set(SWEPT_FIELDS)


def test_odd_values_in_any_field_never_break_a_route(client):
    experiment = client.post(CREATE, json={"name": "seed"}).json["experiment_id"]
    run = client.post(f"{API}/runs/create", json={"experiment_id": experiment}).json["run"]["info"]["run_id"]
    client.post(WS, json={"name": "team-a"})
    ids = {"exp": experiment, "run": run}
    for route in sorted(SWEPT_ROUTES, key=lambda r: r.endpoint.startswith("delete")):  # destroy last
        path = route.prefixes[0] + route.path.replace("<workspace_name>", "team-a")
        for method in route.methods:
            in_query = method in ("GET", "DELETE")
            for field in SWEPT_FIELDS[route.endpoint]:
                if in_query and "[0]." in field:
                    continue
                for odd in ODD_QUERY if in_query else ODD_JSON:
                    response = _sweep_request(client, method, path, _spoiled(ids, field, odd))
                    _assert_not_broken(response, f"{method} {path} {field}={odd!r:.40}")


ODD_NAMES = ["%00", "..", "a" * 300, "%C2%B2", "%ED%A0%80", "default", "DEFAULT", "api", "%20team-a%20", "-"]


def test_odd_workspace_names_in_paths_and_headers(client):
    for name in ODD_NAMES:
        for method in ("GET", "PATCH", "DELETE"):
            response = client.open(f"{WS}/{name}", method=method, json={"description": "d"})
            _assert_not_broken(response, f"{method} {name}")
        header = {"X-MLFLOW-WORKSPACE": name.replace("%", "")}
        _assert_not_broken(client.post(SEARCH, json={}, headers=header), f"header {name}")
        _assert_not_broken(client.post(CREATE, json={"name": "n"}, headers=header), f"header {name}")
    assert client.get(f"{WS}/default").status_code == 200


def test_the_default_body_limit_is_32_mib(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 32 * 1024 * 1024
