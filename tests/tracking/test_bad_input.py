"""Hostile input across the REST routes: every answer is a 4xx JSON body {"error_code", "message"}
whose message says what to fix, never a 500 (issue 2, item 4; the registry and the artifact proxy
of issue 3).

One table of cases runs against one app per database kind (the cases write nothing), then a sweep
sends odd values to every field of every route and checks only that nothing breaks. Guard tests
fail when a route of tracking/api/routes.py is missing from the table or the sweep.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any, NamedTuple

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException

from tests.conftest import DATABASE_KINDS, database_of_kind
from tracking.api.routes import ROUTES, register_routes
from tracking.app import create_app
from tracking.server import prepare_databases
from tracking.settings import Settings

API = "/api/2.0/mlflow"
WS = "/api/3.0/mlflow/workspaces"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MAX_BODY = 1_000_000
UNSET = object()


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def seeded(request, tmp_path_factory):
    """(client, ids): one app per database kind, with an experiment, a run, a workspace, a
    registered model with a version and an alias, and a proxied file."""
    folder = tmp_path_factory.mktemp("bad-input")
    with database_of_kind(request.param, folder) as uri:
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
    _seed_registry_and_artifacts(client, run)
    yield client, {"exp": experiment, "run": run, "artifacts": str(folder / "mlartifacts")}
    app.extensions["wsauth"].database.dispose()


def _seed_registry_and_artifacts(client, run: str) -> None:
    """Model 'seed-model' (tag team=a) with version 1 from the run (tag k=v) under alias 'champ',
    and the proxied file workspaces/default/seed.txt."""
    requests = [
        ("POST", "/registered-models/create", {"name": "seed-model", "tags": [{"key": "team", "value": "a"}]}),
        ("POST", "/model-versions/create", {"name": "seed-model", "source": f"runs:/{run}/model",
                                            "tags": [{"key": "k", "value": "v"}]}),
        ("POST", "/registered-models/alias", {"name": "seed-model", "alias": "champ", "version": "1"}),
    ]
    for method, path, body in requests:
        assert client.open(f"{API}{path}", method=method, json=body).status_code == 200, path
    assert client.put(f"{PROXY}/workspaces/default/seed.txt", data=b"seed").status_code == 200


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
RM = f"{API}/registered-models"
MV = f"{API}/model-versions"

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
    Case("logged models experiment_ids object", "POST", f"{API}/logged-models/search", 400, INVALID,
         "Parameter 'experiment_ids' must be a list of strings", json={"experiment_ids": {"0": 1}}),
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
    Case("run delete without id", "POST", f"{API}/runs/delete", 400, INVALID,
         "Missing value for required parameter 'run_id'", json={}),
    Case("blank experiment rename", "POST", f"{API}/experiments/update", 400, INVALID,
         "Experiment name must be a non-empty string", json={"experiment_id": "{exp}", "new_name": " "}),
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
    Case("restore unknown run", "POST", f"{API}/runs/restore", 404, MISSING, "Run 'nope' not found",
         json={"run_id": "nope"}),
    # --- the model registry (issue 3): nothing here may change the seeded model ---
    Case("registry body not json", "POST", f"{RM}/create", 400, BAD_JSON, "not valid JSON", data="{name"),
    Case("registry delete body a list", "DELETE", f"{RM}/delete", 400, BAD_JSON, "must be a JSON object",
         data='["seed-model"]'),
    Case("version patch not json", "PATCH", f"{MV}/update", 400, BAD_JSON, "not valid JSON", data="{"),
    Case("model name int", "POST", f"{RM}/create", 400, INVALID, "Parameter 'name' must be a string, got int 5",
         json={"name": 5}),
    Case("model tags a string", "POST", f"{RM}/create", 400, INVALID, "Parameter 'tags' must be a list of objects",
         json={"name": "x", "tags": "a=b"}),
    Case("model tag value a list", "POST", f"{RM}/create", 400, INVALID,
         "Parameter 'tags[0].value' must be a string", json={"name": "x", "tags": [{"key": "k", "value": ["v"]}]}),
    Case("model description int", "PATCH", f"{RM}/update", 400, INVALID,
         "Parameter 'description' must be a string, got int 5", json={"name": "seed-model", "description": 5}),
    Case("version a float", "POST", f"{MV}/transition-stage", 400, INVALID,
         "Parameter 'version' must be a string, got float 1.5",
         json={"name": "seed-model", "version": 1.5, "stage": "Staging"}),
    Case("version a bool", "POST", f"{MV}/set-tag", 400, INVALID, "Parameter 'version' must be a string, got bool",
         json={"name": "seed-model", "version": True, "key": "k", "value": "v"}),
    Case("version an object", "POST", f"{RM}/alias", 400, INVALID, "Parameter 'version' must be a string, got dict",
         json={"name": "seed-model", "alias": "a", "version": {"v": 1}}),
    Case("archive flag a word", "POST", f"{MV}/transition-stage", 400, INVALID,
         "Parameter 'archive_existing_versions' must be true or false, got 'yes'",
         json={"name": "seed-model", "version": "1", "stage": "Staging", "archive_existing_versions": "yes"}),
    Case("stages an object", "POST", f"{RM}/get-latest-versions", 400, INVALID,
         "Parameter 'stages' must be a list of strings", json={"name": "seed-model", "stages": {"a": 1}}),
    Case("source a list", "POST", f"{MV}/create", 400, INVALID, "Parameter 'source' must be a string",
         json={"name": "seed-model", "source": ["s3://b/m"]}),
    Case("model search max_results word", "GET", f"{RM}/search", 400, INVALID,
         "Parameter 'max_results' must be an integer, got 'ten'", query={"max_results": "ten"}),
    Case("model get without name", "GET", f"{RM}/get", 400, INVALID, "Missing value for required parameter 'name'"),
    Case("model delete without body", "DELETE", f"{RM}/delete", 400, INVALID,
         "Missing value for required parameter 'name'"),
    Case("rename without new_name", "POST", f"{RM}/rename", 400, INVALID,
         "Missing value for required parameter 'new_name'", json={"name": "seed-model"}),
    Case("version without source", "POST", f"{MV}/create", 400, INVALID,
         "Missing value for required parameter 'source'", json={"name": "seed-model"}),
    Case("version get without version", "GET", f"{MV}/get", 400, INVALID,
         "Missing value for required parameter 'version'", query={"name": "seed-model"}),
    Case("download uri without version", "GET", f"{MV}/get-download-uri", 400, INVALID,
         "Missing value for required parameter 'version'", query={"name": "seed-model"}),
    Case("alias set without alias", "POST", f"{RM}/alias", 400, INVALID,
         "Missing value for required parameter 'alias'", json={"name": "seed-model", "version": "1"}),
    Case("alias delete without alias", "DELETE", f"{RM}/alias", 400, INVALID,
         "Missing value for required parameter 'alias'", json={"name": "seed-model"}),
    Case("transition without stage", "POST", f"{MV}/transition-stage", 400, INVALID,
         "Missing value for required parameter 'stage'", json={"name": "seed-model", "version": "1"}),
    Case("model tag delete without key", "DELETE", f"{RM}/delete-tag", 400, INVALID,
         "Missing value for required parameter 'key'", query={"name": "seed-model"}),
    Case("version tag without key", "POST", f"{MV}/set-tag", 400, INVALID,
         "Missing value for required parameter 'key'", json={"name": "seed-model", "version": "1", "value": "v"}),
    Case("version tag delete without key", "DELETE", f"{MV}/delete-tag", 400, INVALID,
         "Missing value for required parameter 'key'", json={"name": "seed-model", "version": "1"}),
    Case("version delete without version", "DELETE", f"{MV}/delete", 400, INVALID,
         "Missing value for required parameter 'version'", json={"name": "seed-model"}),
    Case("long model name", "POST", f"{RM}/create", 400, INVALID,
         "Parameter 'name' is 257 characters long; the limit is 256", json={"name": "x" * 257}),
    Case("long alias", "POST", f"{RM}/alias", 400, INVALID,
         "Parameter 'alias' is 251 characters long; the limit is 250",
         json={"name": "seed-model", "alias": "a" * 251, "version": "1"}),
    Case("long registry tag value", "POST", f"{RM}/set-tag", 400, INVALID,
         "Parameter 'value' is 100001 characters long; the limit is 100000",
         json={"name": "seed-model", "key": "k", "value": "v" * 100_001}),
    Case("long version", "GET", f"{MV}/get", 400, INVALID,
         "Parameter 'version' is 21 characters long; the limit is 20",
         query={"name": "seed-model", "version": "1" * 21}),
    Case("long source", "POST", f"{MV}/create", 400, INVALID, "Parameter 'source' is 4101 characters long",
         json={"name": "seed-model", "source": "s3://" + "x" * 4096}),
    Case("long stage", "POST", f"{MV}/transition-stage", 400, INVALID, "Parameter 'stage' is 21 characters long",
         json={"name": "seed-model", "version": "1", "stage": "x" * 21}),
    Case("too many model tags", "POST", f"{RM}/create", 400, INVALID, "Parameter 'tags' has 10001 items",
         json={"name": "x", "tags": [{"key": "k", "value": "v"}] * 10_001}),
    Case("long registry filter", "GET", f"{MV}/search", 400, INVALID, "Parameter 'filter' is 20001 characters long",
         query={"filter": "x" * 20_001}),
    Case("model max_results too big", "GET", f"{RM}/search", 400, INVALID,
         "max_results must be between 1 and 1000, got 1001", query={"max_results": "1001"}),
    Case("version max_results 0", "GET", f"{MV}/search", 400, INVALID,
         "max_results must be between 1 and 200000, got 0", query={"max_results": "0"}),
    Case("NUL in model name", "POST", f"{RM}/create", 400, INVALID, "Parameter 'name' must not contain NUL",
         json={"name": "a\x00b"}),
    Case("NUL in alias", "GET", f"{RM}/alias", 400, INVALID, "Parameter 'alias' must not contain NUL",
         query={"name": "seed-model", "alias": "champ\x00"}),
    Case("NUL in version", "GET", f"{MV}/get", 400, INVALID, "Parameter 'version' must not contain NUL",
         query={"name": "seed-model", "version": "1\x00"}),
    Case("lone surrogate in source", "POST", f"{MV}/create", 400, INVALID,
         "Parameter 'source' contains an unpaired UTF-16 surrogate",
         data='{"name": "seed-model", "source": "s3://\\ud800"}'),
    Case("model name with a slash", "POST", f"{RM}/create", 400, INVALID, "it must be non-empty and contain no '/'",
         json={"name": "a/b"}),
    Case("blank model name", "POST", f"{RM}/create", 400, INVALID, "it must be non-empty", json={"name": "  "}),
    Case("rename to a slash", "POST", f"{RM}/rename", 400, INVALID, "contain no '/'",
         json={"name": "seed-model", "new_name": "x/y"}),
    Case("alias 'latest'", "POST", f"{RM}/alias", 400, INVALID, "'latest' and 'v<number>' are reserved",
         json={"name": "seed-model", "alias": "Latest", "version": "1"}),
    Case("alias 'v3'", "POST", f"{RM}/alias", 400, INVALID, "Invalid alias 'v3'",
         json={"name": "seed-model", "alias": "v3", "version": "1"}),
    Case("alias with a space", "POST", f"{RM}/alias", 400, INVALID, "use letters, digits, '_' and '-'",
         json={"name": "seed-model", "alias": "a b", "version": "1"}),
    Case("word version", "GET", f"{MV}/get", 400, INVALID, "Model version must be a positive integer, got 'abc'",
         query={"name": "seed-model", "version": "abc"}),
    Case("negative version", "POST", f"{MV}/set-tag", 400, INVALID,
         "Model version must be a positive integer, got '-1'",
         json={"name": "seed-model", "version": -1, "key": "k", "value": "v"}),
    Case("superscript version", "PATCH", f"{MV}/update", 400, INVALID, "must be a positive integer, got '²'",
         json={"name": "seed-model", "version": "²", "description": "d"}),
    Case("huge version", "DELETE", f"{MV}/delete", 400, INVALID, "must be a positive integer, got '99999999999'",
         json={"name": "seed-model", "version": "99999999999"}),
    Case("unknown stage", "POST", f"{MV}/transition-stage", 400, INVALID,
         "Invalid stage 'Live'; use one of None, Staging, Production, Archived",
         json={"name": "seed-model", "version": "1", "stage": "Live"}),
    Case("unknown latest stage", "GET", f"{RM}/get-latest-versions", 400, INVALID, "Invalid stage 'Live'",
         query={"name": "seed-model", "stages": "Live"}),
    Case("bad registry tag key", "POST", f"{MV}/set-tag", 400, INVALID, "Invalid tag key 'k!'",
         json={"name": "seed-model", "version": "1", "key": "k!", "value": "v"}),
    Case("empty source", "POST", f"{MV}/create", 400, INVALID, "Model version source must not be empty",
         json={"name": "seed-model", "source": ""}),
    Case("source in another workspace", "POST", f"{MV}/create", 400, INVALID,
         "Artifact path targets workspace 'team-a' but the request's workspace is 'default'",
         json={"name": "seed-model", "source": "mlflow-artifacts:/workspaces/team-a/1/model"}),
    Case("encoded traversal in source", "POST", f"{MV}/create", 400, INVALID, "'..'",
         json={"name": "seed-model", "source": "mlflow-artifacts:/workspaces/default/%2E%2E/team-a/model"}),
    Case("traversal in a runs source", "POST", f"{MV}/create", 400, INVALID, "'..'",
         json={"name": "seed-model", "source": "runs:/{run}/../../../x"}),
    Case("source and run_id differ", "POST", f"{MV}/create", 400, INVALID, "does not match the run of source",
         json={"name": "seed-model", "source": "runs:/{run}/model", "run_id": "other"}),
    Case("registry filter on metrics", "GET", f"{RM}/search", 400, INVALID, "metric keys cannot be used here",
         query={"filter": "metrics.acc > 1"}),
    Case("registry filter unknown attribute", "GET", f"{RM}/search", 400, INVALID, "unknown attribute 'run_id'",
         query={"filter": "run_id = 'x'"}),
    Case("version filter unknown attribute", "GET", f"{MV}/search", 400, INVALID, "unknown attribute 'colour'",
         query={"filter": "colour = 'red'"}),
    Case("version number compared with text", "GET", f"{MV}/search", 400, INVALID,
         "must be compared with a number", query={"filter": "version_number = 'one'"}),
    Case("registry OR", "GET", f"{RM}/search", 400, INVALID, "OR is not supported",
         query={"filter": "name = 'a' OR name = 'b'"}),
    Case("model order by tag", "GET", f"{RM}/search", 400, INVALID, "Cannot order registered models by 'team'",
         query={"order_by": "tags.team"}),
    Case("version order by unknown", "GET", f"{MV}/search", 400, INVALID, "unknown attribute 'colour'",
         query={"order_by": "colour"}),
    Case("model page token garbage", "GET", f"{RM}/search", 400, INVALID, "Invalid page_token",
         query={"page_token": "garbage"}),
    Case("version page token negative", "GET", f"{MV}/search", 400, INVALID, "Invalid page_token",
         query={"page_token": token(b'{"offset": -1}')}),
    Case("unknown model", "GET", f"{RM}/get", 404, MISSING,
         "Registered Model with name=ghost not found in workspace 'default'", query={"name": "ghost"}),
    Case("unknown model on ajax", "GET", "/ajax-api/2.0/mlflow/registered-models/get", 404, MISSING,
         "name=ghost not found", query={"name": "ghost"}),
    Case("unknown model delete", "DELETE", f"{RM}/delete", 404, MISSING, "name=ghost", json={"name": "ghost"}),
    Case("unknown model rename", "POST", f"{RM}/rename", 404, MISSING, "name=ghost",
         json={"name": "ghost", "new_name": "x"}),
    Case("unknown version", "GET", f"{MV}/get", 404, MISSING, "Model Version (name=seed-model, version=99) not found",
         query={"name": "seed-model", "version": "99"}),
    Case("version zero", "GET", f"{MV}/get-download-uri", 404, MISSING, "version=0)",
         query={"name": "seed-model", "version": "0"}),
    Case("alias of an unknown version", "POST", f"{RM}/alias", 404, MISSING, "version=2",
         json={"name": "seed-model", "alias": "next", "version": "2"}),
    Case("unknown alias", "GET", f"{RM}/alias", 404, MISSING,
         "Registered model alias ghost not found on model seed-model",
         query={"name": "seed-model", "alias": "ghost"}),
    Case("unknown alias delete", "DELETE", f"{RM}/alias", 404, MISSING, "alias ghost not found",
         query={"name": "seed-model", "alias": "ghost"}),
    Case("unknown model tag", "DELETE", f"{RM}/delete-tag", 404, MISSING, "No tag with key 'ghost' on seed-model",
         json={"name": "seed-model", "key": "ghost"}),
    Case("unknown version tag", "DELETE", f"{MV}/delete-tag", 404, MISSING, "No tag with key 'ghost'",
         json={"name": "seed-model", "version": "1", "key": "ghost"}),
    Case("unknown run source", "POST", f"{MV}/create", 404, MISSING, "Run 'nope' not found",
         json={"name": "seed-model", "source": "runs:/nope/model"}),
    Case("model from another workspace", "GET", f"{RM}/get", 404, MISSING, "not found in workspace 'team-a'",
         query={"name": "seed-model"}, headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("version from another workspace", "GET", f"{MV}/get-download-uri", 404, MISSING,
         "not found in workspace 'team-a'", query={"name": "seed-model", "version": "1"},
         headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("alias from another workspace", "DELETE", f"{RM}/alias", 404, MISSING, "not found in workspace 'team-a'",
         json={"name": "seed-model", "alias": "champ"}, headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("stage change from another workspace", "POST", f"{MV}/transition-stage", 404, MISSING,
         "not found in workspace 'team-a'", json={"name": "seed-model", "version": "1", "stage": "Archived"},
         headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("run of another workspace as source", "POST", f"{MV}/create", 404, MISSING,
         "not found in workspace 'team-a'", json={"name": "seed-model", "source": "runs:/{run}/model"},
         headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("GET a registry write", "GET", f"{RM}/create", 405, "BAD_REQUEST", "does not accept the HTTP method"),
    Case("POST a registry search", "POST", f"{RM}/search", 405, "BAD_REQUEST", "does not accept the HTTP method",
         json={}),
    Case("PUT an alias", "PUT", f"{RM}/alias", 405, "BAD_REQUEST", "does not accept the HTTP method", json={}),
    Case("POST a version delete", "POST", f"{MV}/delete", 405, "BAD_REQUEST", "does not accept the HTTP method",
         json={"name": "seed-model", "version": "1"}),
    # --- the artifact proxy: paths stay inside the request's workspace and the destination ---
    Case("list with traversal", "GET", PROXY, 400, INVALID, "'.', '..' and empty segments are not allowed",
         query={"path": "workspaces/default/../../etc"}),
    Case("list another workspace", "GET", PROXY, 400, INVALID,
         "Artifact path targets workspace 'default' but the request's workspace is 'team-a'",
         query={"path": "workspaces/default"}, headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("list a legacy path from a workspace", "GET", PROXY, 400, INVALID, "is outside workspace 'team-a'",
         query={"path": "0/run"}, headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("list the root from a workspace", "GET", PROXY, 400, INVALID, "List a path inside 'workspaces/team-a/'",
         headers={"X-MLFLOW-WORKSPACE": "team-a"}),
    Case("list with NUL", "GET", PROXY, 400, INVALID, "it must be relative and use '/'",
         query={"path": "workspaces/default/a\x00b"}),
    Case("list with backslash", "GET", PROXY, 400, INVALID, "it must be relative and use '/'",
         query={"path": "workspaces\\default"}),
    *[Case(f"proxy {method} {name}", method, f"{PROXY}/{path}", 400, INVALID, fragment, data=b"evil", headers=headers)
      for method in ("PUT", "GET", "DELETE")
      for name, path, fragment, headers in [
          ("traversal", "workspaces/default/../../x", "'.', '..' and empty segments are not allowed", None),
          ("encoded traversal", "workspaces/default/%2e%2e/%2E%2E/x", "'..'", None),
          ("encoded slashes", "..%2F..%2Fetc%2Fpasswd", "'..'", None),
          ("other workspace prefix", "workspaces/team-a/x.txt",
           "Artifact path targets workspace 'team-a' but the request's workspace is 'default'", None),
          ("legacy path from a workspace", "0/x.txt", "outside workspace 'team-a'", {"X-MLFLOW-WORKSPACE": "team-a"}),
          ("NUL", "workspaces/default/a%00b", "it must be relative and use '/'", None),
          ("backslash", "workspaces/default/a%5C..%5Cb", "it must be relative and use '/'", None),
          ("no workspace name", "workspaces", "must include a workspace name", None),
          ("empty segment", "workspaces/default//x", "empty segments", None),
          ("too deep", "workspaces/default/" + "a/" * 200 + "x", "more than 128 levels deep", None),
      ]],
    Case("proxy PUT under a file", "PUT", f"{PROXY}/workspaces/default/seed.txt/x", 400, INVALID,
         "lies under a file, not a folder", data=b"evil"),
    Case("proxy PUT a long name", "PUT", f"{PROXY}/workspaces/default/{'n' * 300}", 400, INVALID,
         "is too long for the file system", data=b"evil"),
    Case("proxy PUT a long path", "PUT", f"{PROXY}/workspaces/default/{('d' * 250 + '/') * 20}x", 400, INVALID,
         "is too long for the file system", data=b"evil"),
    Case("proxy PUT onto a folder", "PUT", f"{PROXY}/workspaces/default", 400, INVALID,
         "is a directory; upload to a file path", data=b"evil"),
    Case("proxy GET a missing file", "GET", f"{PROXY}/workspaces/default/ghost.txt", 404, MISSING,
         "No artifact at 'workspaces/default/ghost.txt'"),
    Case("proxy DELETE a missing file", "DELETE", f"{PROXY}/workspaces/default/ghost.txt", 404, MISSING,
         "No artifact at"),
    Case("proxy absolute path", "PUT", f"{PROXY}/%2Fetc%2Fpasswd", 404, "ENDPOINT_NOT_FOUND",
         "No API endpoint at this path", data=b"evil"),
    Case("proxy POST", "POST", f"{PROXY}/workspaces/default/x.txt", 405, "BAD_REQUEST",
         "does not accept the HTTP method", data=b"evil"),
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
    _assert_registry_seed_survived(client)
    files = sorted(os.path.relpath(os.path.join(folder, name), ids["artifacts"])
                   for folder, _, names in os.walk(ids["artifacts"]) for name in names)
    assert files == ["workspaces/default/seed.txt"]
    assert client.get(f"{PROXY}/workspaces/default/seed.txt").data == b"seed"


def _assert_registry_seed_survived(client) -> None:
    models = client.get(f"{RM}/search").json["registered_models"]
    assert [(m["name"], m["tags"], m["aliases"]) for m in models] == [
        ("seed-model", [{"key": "team", "value": "a"}], [{"alias": "champ", "version": "1"}])]
    assert "description" not in models[0]
    versions = client.get(f"{MV}/search").json["model_versions"]
    assert [(v["version"], v["current_stage"], v["tags"], v["aliases"]) for v in versions] == [
        ("1", "None", [{"key": "k", "value": "v"}], ["champ"])]
    assert "description" not in versions[0]
    assert client.get(f"{RM}/search", headers={"X-MLFLOW-WORKSPACE": "team-a"}).json == {"registered_models": []}


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


STRANGE_REGISTRY_SEARCHES = [
    (f"{RM}/search", {"filter": "name = 'Robert''); DROP TABLE registered_models;--'"}),
    (f"{RM}/search", {"filter": "tags.`ключ` = 'значение' AND name LIKE '%\\%'"}),
    (f"{RM}/search", {"filter": "creation_timestamp > 99999999999999999999999"}),
    (f"{RM}/search", {"filter": "name IN ('²', '', 'seed-model ')"}),
    (f"{MV}/search", {"filter": "version_number > 99999999999999999999999"}),
    (f"{MV}/search", {"filter": "version_number < -1e300"}),
    (f"{MV}/search", {"filter": "run_id IN ('²', '{exp}') AND tags.k != 'v'"}),
    (f"{MV}/search", {"filter": "source_path LIKE 'runs:/%' AND current_stage = 'Production'"}),
]


@pytest.mark.parametrize("path, query", STRANGE_REGISTRY_SEARCHES)
def test_odd_but_valid_registry_searches_find_nothing(seeded, path, query):
    client, ids = seeded
    response = client.get(path, query_string=_fill(query, ids))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert list(response.json.values()) == [[]]


# --- a sweep: odd values in each field of every route ------------------------------------------

# The fields each route reads ("list[0].field" is a field of the first item, "<name>" a part of
# the URL). A route of tracking/api/routes.py missing here fails test_every_route_is_swept.
SEARCH_FIELDS = ("filter", "order_by", "max_results", "page_token", "view_type")
RUN = ("run_id", "run_uuid")
MODEL_TAGS = ("tags", "tags[0].key", "tags[0].value")
VERSION = ("name", "version")
SWEPT_FIELDS = {
    "home": (), "health": (), "ready": (), "version": (), "serverInfo": (), "openApiDocument": (),
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
    "searchLoggedModels": ("experiment_ids", *SEARCH_FIELDS[:-1]),
    "getMetricHistory": (*RUN, "metric_key", "max_results", "page_token"),
    # the model registry (issue 3)
    "createRegisteredModel": ("name", "description", *MODEL_TAGS),
    "getRegisteredModel": ("name",),
    "renameRegisteredModel": ("name", "new_name"),
    "updateRegisteredModel": ("name", "description"),
    "deleteRegisteredModel": ("name",),
    "searchRegisteredModels": SEARCH_FIELDS[:-1],
    "getLatestVersions": ("name", "stages"),
    "setRegisteredModelTag": ("name", "key", "value"),
    "deleteRegisteredModelTag": ("name", "key"),
    "setRegisteredModelAlias": (*VERSION, "alias"),
    "deleteRegisteredModelAlias": ("name", "alias"),
    "getModelVersionByAlias": ("name", "alias"),
    "createModelVersion": ("name", "source", "run_id", "run_link", "description", "model_id", *MODEL_TAGS),
    "getModelVersion": VERSION,
    "updateModelVersion": (*VERSION, "description"),
    "deleteModelVersion": VERSION,
    "searchModelVersions": SEARCH_FIELDS[:-1],
    "transitionModelVersionStage": (*VERSION, "stage", "archive_existing_versions"),
    "setModelVersionTag": (*VERSION, "key", "value"),
    "deleteModelVersionTag": (*VERSION, "key"),
    "getModelVersionDownloadUri": VERSION,
    # the artifact proxy
    "listProxiedArtifacts": ("path",),
    "downloadArtifact": ("<artifact_path>",),
    "uploadArtifact": ("<artifact_path>",),
    "deleteArtifact": ("<artifact_path>",),
    # workspaces
    "listWorkspaces": (),
    "createWorkspace": ("name", "description", "default_artifact_root"),
    "getWorkspace": (),
    "updateWorkspace": ("name", "description", "default_artifact_root"),
    "deleteWorkspace": ("mode",),
}
ODD_JSON = [None, True, -1, 1.5, 2**70, 10**400, "", "\x00", "\ud800", "²", "--5", "NaN", "x" * 300,
            [], [{}], {"key": "v"}]
ODD_QUERY = ["", " ", "\x00", "²", "--5", "-1", "NaN", "9" * 5000, "x" * 300, "[]", "é"]
# Artifact paths as they appear in the URL (percent-encoded where a client would encode them).
ODD_PATHS = ["x", "%00", "..", "%2e%2e/x", "a/../../b", "a%5Cb", "%2Fetc%2Fpasswd", "workspaces", "workspaces/",
             "workspaces/team-b/x", "workspaces/default/x", "workspaces/default/x/y", "workspaces/team-a/x",
             "workspaces/team-a/x/y", "n" * 300, "a/" * 200 + "x", ("d" * 250 + "/") * 20 + "x", "%ED%A0%80",
             "%ff", "~", "%20", "x%3Fy", "x?y=1", "a//b", "./x"]
ITEMS = {"tags": {"key": "k", "value": "v"}, "params": {"key": "p", "value": "1"},
         "metrics": {"key": "m", "value": 1, "timestamp": 1, "step": 0}}
# Routes that remove or move what the others use run last; the registry's DELETEs also take a body.
LAST = ("delete", "rename")
BODY_DELETES = ("/registered-models/", "/model-versions/")


def _valid_body(ids: dict[str, str]) -> dict:
    """Fields every route accepts: each sweep request spoils one of them."""
    return {"name": "swept", "experiment_id": ids["exp"], "run_id": ids["run"], "key": "k", "value": "1",
            "metric_key": "k", "experiment_name": "seed", "experiment_ids": [ids["exp"]],
            "version": "1", "alias": "champ", "source": "s3://bucket/swept", "stage": "Staging",
            "stages": ["None"], "path": "workspaces/default"}


def _spoiled(ids: dict[str, str], field: str, odd) -> dict:
    body = _valid_body(ids)
    if "[0]." in field:
        name, item_field = field.split("[0].")
        body[name] = [{**ITEMS[name], item_field: odd}]
    else:
        body[field] = odd
    return body


def _sweep_request(client, method: str, path: str, body: dict, in_query: bool):
    if in_query:
        return client.open(path, method=method, query_string=body)
    # json.dumps, not the test client's json=: the odd values include a lone surrogate.
    return client.open(path, method=method, data=json.dumps(body), content_type="application/json")


def _assert_not_broken(response, where: str) -> None:
    assert response.status_code < 500, (where, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert set(response.json) == {"error_code", "message"}, where


def test_every_route_is_swept():
    assert {route.endpoint for route in ROUTES} == set(SWEPT_FIELDS)


NO_INPUT = {"home", "health", "ready", "version", "serverInfo", "openApiDocument", "listWorkspaces"}


def test_every_route_meets_the_hostile_table():
    """Each route with input has a case (a 405 for a wrong method does not count)."""
    app = Flask("guard")
    register_routes(app)
    urls = app.url_map.bind("localhost")
    met = set()
    for case in CASES:
        try:
            met.add(urls.match(case.path.replace("{exp}", "1").replace("{run}", "r"), method=case.method)[0])
        except HTTPException:
            pass
    assert met | NO_INPUT == {route.endpoint for route in ROUTES}


def _seed_sweep(client) -> dict[str, str]:
    """An experiment, a run, workspaces team-a and team-b, and model 'swept' with version 1 under
    alias 'champ': the valid body addresses them."""
    experiment = client.post(CREATE, json={"name": "seed"}).json["experiment_id"]
    run = client.post(f"{API}/runs/create", json={"experiment_id": experiment}).json["run"]["info"]["run_id"]
    for name in ("team-a", "team-b"):
        client.post(WS, json={"name": name})
    client.post(f"{RM}/create", json={"name": "swept"})
    client.post(f"{MV}/create", json={"name": "swept", "source": "s3://bucket/swept"})
    assert client.post(f"{RM}/alias", json={"name": "swept", "alias": "champ", "version": "1"}).status_code == 200
    return {"exp": experiment, "run": run}


def _sweep_modes(route, method: str) -> tuple[bool, ...]:
    """Whether the sweep sends a route's fields in the query (True), as JSON (False), or both."""
    if method == "DELETE" and route.path.startswith(BODY_DELETES):
        return True, False
    return (method in ("GET", "DELETE"),)


def _sweep_fields(client, ids, route, method: str, path: str) -> None:
    for in_query in _sweep_modes(route, method):
        for field in SWEPT_FIELDS[route.endpoint]:
            if in_query and "[0]." in field:
                continue
            for odd in ODD_QUERY if in_query else ODD_JSON:
                response = _sweep_request(client, method, path, _spoiled(ids, field, odd), in_query)
                _assert_not_broken(response, f"{method} {path} {field}={odd!r:.40}")


def _sweep_artifact_paths(client, method: str, path: str) -> None:
    for odd in ODD_PATHS:
        for headers in ({}, {"X-MLFLOW-WORKSPACE": "team-a"}):
            response = client.open(path.replace("<path:artifact_path>", odd), method=method, data=b"swept",
                                   headers=headers)
            _assert_not_broken(response, f"{method} {odd[:40]!r} in {headers}")


def test_odd_values_in_any_field_never_break_a_route(client, tmp_path):
    ids = _seed_sweep(client)
    for route in sorted(ROUTES, key=lambda r: r.endpoint.startswith(LAST)):  # destroy last
        path = route.prefixes[0] + route.path.replace("<workspace_name>", "team-a")
        for method in route.methods:
            if "<path:artifact_path>" in path:
                _sweep_artifact_paths(client, method, path)
            else:
                _sweep_fields(client, ids, route, method, path)
    _assert_nothing_written_outside(tmp_path)


def _assert_nothing_written_outside(tmp_path) -> None:
    """Proxied files stay in the destination, and out of the workspace nobody wrote as (team-b)."""
    outside = {name for folder, _, names in os.walk(tmp_path) for name in names
               if not folder.startswith(str(tmp_path / "mlartifacts"))}
    assert all(name.startswith("mlflow.db") for name in outside), outside
    assert not (tmp_path / "mlartifacts" / "workspaces" / "team-b").exists()


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
