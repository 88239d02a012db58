"""Runs over REST (tracking/api/runs.py): create, get, update, delete, restore, search, logging,
tags and metric history, scoped by workspace, on the Flask test client."""

from __future__ import annotations

import pytest

API = "/api/2.0/mlflow"
WORKSPACES = "/api/3.0/mlflow/workspaces"
RUN_NAME_TAG = "mlflow.runName"


def in_ws(name: str) -> dict[str, str]:
    return {"X-MLFLOW-WORKSPACE": name}


def assert_error(response, status: int, error_code: str, fragment: str) -> None:
    """The response is MLflow's JSON error with this status, code and message fragment."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error_code"] == error_code
    assert fragment in response.json["message"], response.json["message"]


def post(client, path: str, body: dict, headers=None):
    return client.post(f"{API}{path}", json=body, headers=headers)


def ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def experiment(client, name: str = "exp", headers=None) -> str:
    return ok(post(client, "/experiments/create", {"name": name}, headers))["experiment_id"]


def new_run(client, experiment_id: str, headers=None, **fields) -> str:
    """Create a run and return its id."""
    return ok(post(client, "/runs/create", {"experiment_id": experiment_id, **fields}, headers))[
        "run"]["info"]["run_id"]


def get_run(client, run_id: str, headers=None) -> dict:
    return ok(client.get(f"{API}/runs/get", query_string={"run_id": run_id}, headers=headers))["run"]


def data(client, run_id: str) -> dict:
    """A run's data as plain dicts: {"metrics": {key: (value, timestamp, step)}, "params", "tags"}."""
    run_data = get_run(client, run_id)["data"]
    return {
        "metrics": {m["key"]: (m["value"], m["timestamp"], m["step"]) for m in run_data["metrics"]},
        "params": {p["key"]: p["value"] for p in run_data["params"]},
        "tags": {t["key"]: t["value"] for t in run_data["tags"]},
    }


def history(client, run_id: str, key: str, headers=None, **query) -> dict:
    return ok(client.get(f"{API}/metrics/get-history",
                         query_string={"run_id": run_id, "metric_key": key, **query}, headers=headers))


def search_ids(client, experiment_ids: list[str], **fields) -> list[str]:
    response = ok(post(client, "/runs/search", {"experiment_ids": experiment_ids, **fields}))
    return [r["info"]["run_id"] for r in response.get("runs", [])]


# --- create / get / update ---------------------------------------------------------------------


def test_create_and_get_run_wire_shape(client):
    experiment_id = experiment(client)
    response = ok(post(client, "/runs/create", {
        "experiment_id": experiment_id, "run_name": "first", "user_id": "alice", "start_time": 1700000000000,
        "tags": [{"key": "team", "value": "vision"}],
    }))
    run = response["run"]
    run_id = run["info"]["run_id"]
    assert len(run_id) == 32
    assert run["info"] == {
        "run_id": run_id, "run_uuid": run_id, "run_name": "first", "experiment_id": experiment_id,
        "user_id": "alice", "status": "RUNNING", "start_time": 1700000000000,
        "artifact_uri": f"mlflow-artifacts:/workspaces/default/{experiment_id}/{run_id}/artifacts",
        "lifecycle_stage": "active",
    }
    assert run["data"]["metrics"] == [] and run["data"]["params"] == []
    assert sorted(run["data"]["tags"], key=str) == [
        {"key": RUN_NAME_TAG, "value": "first"}, {"key": "team", "value": "vision"},
    ]
    fetched = get_run(client, run_id)
    assert fetched["info"] == run["info"]
    by_uuid = ok(client.get(f"{API}/runs/get?run_uuid={run_id}"))["run"]
    assert by_uuid["info"] == run["info"]


def test_run_without_name_or_experiment_gets_defaults(client):
    run = ok(post(client, "/runs/create", {}))["run"]
    assert run["info"]["experiment_id"] == "0"
    name = run["info"]["run_name"]
    assert name and name.count("-") == 2
    assert {"key": RUN_NAME_TAG, "value": name} in run["data"]["tags"]
    assert run["info"]["start_time"] > 1_600_000_000_000


def test_run_name_from_the_tag(client):
    run_id = new_run(client, "0", tags=[{"key": RUN_NAME_TAG, "value": "tagged"}])
    assert get_run(client, run_id)["info"]["run_name"] == "tagged"


def test_run_name_and_tag_that_differ_are_refused(client):
    response = post(client, "/runs/create", {"experiment_id": "0", "run_name": "a",
                                              "tags": [{"key": RUN_NAME_TAG, "value": "b"}]})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "run_name 'a' and tag mlflow.runName 'b' differ")


def test_create_in_unknown_experiment_is_404(client):
    assert_error(post(client, "/runs/create", {"experiment_id": "999"}), 404, "RESOURCE_DOES_NOT_EXIST",
                 "No experiment with id '999' exists in workspace 'default'")


def test_update_status_end_time_and_name(client):
    run_id = new_run(client, experiment(client), run_name="old")
    response = ok(post(client, "/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 1700000000500,
                                                 "run_name": "new"}))
    info = response["run_info"]
    assert (info["status"], info["end_time"], info["run_name"]) == ("FINISHED", 1700000000500, "new")
    fetched = get_run(client, run_id)
    assert fetched["info"] == info
    assert {"key": RUN_NAME_TAG, "value": "new"} in fetched["data"]["tags"]
    by_number = ok(post(client, "/runs/update", {"run_uuid": run_id, "status": 4}))["run_info"]
    assert by_number["status"] == "FAILED" and by_number["run_name"] == "new"


def test_update_with_bad_status_is_refused(client):
    run_id = new_run(client, "0")
    assert_error(post(client, "/runs/update", {"run_id": run_id, "status": "DONE"}), 400,
                 "INVALID_PARAMETER_VALUE", "Invalid status 'DONE'; use one of RUNNING, SCHEDULED, FINISHED")
    assert get_run(client, run_id)["info"]["status"] == "RUNNING"


def test_unknown_run_is_404_everywhere(client):
    missing = "Run 'feedfeedfeedfeedfeedfeedfeedfeed' not found in workspace 'default'"
    run_id = "feed" * 8
    assert_error(client.get(f"{API}/runs/get?run_id={run_id}"), 404, "RESOURCE_DOES_NOT_EXIST", missing)
    assert_error(client.get(f"{API}/metrics/get-history?run_id={run_id}&metric_key=m"), 404,
                 "RESOURCE_DOES_NOT_EXIST", missing)
    for path, body in WRITES:
        assert_error(post(client, path, {"run_id": run_id, **body}), 404, "RESOURCE_DOES_NOT_EXIST", missing)


WRITES = [
    ("/runs/update", {"status": "FINISHED"}),
    ("/runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}),
    ("/runs/log-parameter", {"key": "p", "value": "1"}),
    ("/runs/log-batch", {"metrics": [{"key": "m", "value": 1, "timestamp": 1}]}),
    ("/runs/set-tag", {"key": "t", "value": "v"}),
    ("/runs/delete-tag", {"key": "t"}),
    ("/runs/delete", {}),
    ("/runs/restore", {}),
]


# --- delete / restore --------------------------------------------------------------------------


def test_deleted_run_refuses_writes_until_restored(client):
    experiment_id = experiment(client)
    run_id = new_run(client, experiment_id)
    ok(post(client, "/runs/set-tag", {"run_id": run_id, "key": "t", "value": "v"}))
    before = data(client, run_id)
    assert ok(post(client, "/runs/delete", {"run_id": run_id})) == {}
    assert get_run(client, run_id)["info"]["lifecycle_stage"] == "deleted"
    for path, body in WRITES[:6]:
        assert_error(post(client, path, {"run_id": run_id, **body}), 400, "INVALID_PARAMETER_VALUE",
                     f"Run '{run_id}' is deleted; restore it (runs/restore) before changing it")
    assert data(client, run_id) == before
    assert search_ids(client, [experiment_id]) == []
    assert search_ids(client, [experiment_id], run_view_type="DELETED_ONLY") == [run_id]
    assert search_ids(client, [experiment_id], run_view_type="ALL") == [run_id]

    assert ok(post(client, "/runs/restore", {"run_id": run_id})) == {}
    assert get_run(client, run_id)["info"]["lifecycle_stage"] == "active"
    ok(post(client, "/runs/log-metric", {"run_id": run_id, "key": "m", "value": 2, "timestamp": 5}))
    assert data(client, run_id)["metrics"] == {"m": (2, 5, 0)}
    assert search_ids(client, [experiment_id]) == [run_id]


# --- log-metric / log-parameter ----------------------------------------------------------------


def test_non_finite_metrics_round_trip_as_strings(client):
    run_id = new_run(client, "0")
    for step, value in enumerate(["NaN", "Infinity", "-Infinity", 1.5, "nan", "-inf"]):
        ok(post(client, "/runs/log-metric", {"run_id": run_id, "key": f"k{step}", "value": value,
                                             "timestamp": 10, "step": step}))
    assert data(client, run_id)["metrics"] == {
        "k0": ("NaN", 10, 0), "k1": ("Infinity", 10, 1), "k2": ("-Infinity", 10, 2),
        "k3": (1.5, 10, 3), "k4": ("NaN", 10, 4), "k5": ("-Infinity", 10, 5),
    }
    for key, value in (("k0", "NaN"), ("k1", "Infinity"), ("k2", "-Infinity")):
        assert [m["value"] for m in history(client, run_id, key)["metrics"]] == [value]
    points = ok(post(client, "/runs/search", {"experiment_ids": ["0"]}))["runs"][0]["data"]["metrics"]
    assert {m["key"]: m["value"] for m in points}["k1"] == "Infinity"


def test_log_metric_defaults_and_the_latest_value(client):
    run_id = new_run(client, "0")
    ok(post(client, "/runs/log-metric", {"run_uuid": run_id, "key": "loss", "value": 3}))
    value, timestamp, step = data(client, run_id)["metrics"]["loss"]
    assert (value, step) == (3, 0) and timestamp > 1_600_000_000_000
    ok(post(client, "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 2, "timestamp": 1, "step": 5}))
    ok(post(client, "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 9, "timestamp": 2, "step": 1}))
    assert data(client, run_id)["metrics"]["loss"] == (2, 1, 5)  # the highest step wins


def test_log_parameter_is_write_once(client):
    run_id = new_run(client, "0")
    assert ok(post(client, "/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})) == {}
    assert ok(post(client, "/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})) == {}
    response = post(client, "/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.2"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE",
                 f"Param 'lr' of run {run_id} was already logged with value '0.1'; a param cannot change "
                 "(attempted '0.2')")
    assert data(client, run_id)["params"] == {"lr": "0.1"}


def test_param_value_limit(client):
    run_id = new_run(client, "0")
    ok(post(client, "/runs/log-parameter", {"run_id": run_id, "key": "big", "value": "x" * 6000}))
    assert_error(post(client, "/runs/log-parameter", {"run_id": run_id, "key": "bigger", "value": "x" * 6001}),
                 400, "INVALID_PARAMETER_VALUE", "Parameter 'value' is 6001 characters long; the limit is 6000")
    assert data(client, run_id)["params"] == {"big": "x" * 6000}


# --- log-batch ---------------------------------------------------------------------------------


def test_log_batch_writes_everything(client):
    run_id = new_run(client, "0", run_name="r")
    body = {
        "run_id": run_id,
        "metrics": [{"key": "acc", "value": 0.5, "timestamp": 1, "step": 0},
                    {"key": "acc", "value": 0.7, "timestamp": 2, "step": 1},
                    {"key": "loss", "value": "NaN", "timestamp": 1, "step": 0}],
        "params": [{"key": "lr", "value": "0.1"}, {"key": "layers", "value": "3"}, {"key": "lr", "value": "0.1"}],
        "tags": [{"key": "team", "value": "vision"}, {"key": RUN_NAME_TAG, "value": "renamed"}],
    }
    assert ok(post(client, "/runs/log-batch", body)) == {}
    assert data(client, run_id) == {
        "metrics": {"acc": (0.7, 2, 1), "loss": ("NaN", 1, 0)},
        "params": {"lr": "0.1", "layers": "3"},
        "tags": {RUN_NAME_TAG: "renamed", "team": "vision"},
    }
    assert get_run(client, run_id)["info"]["run_name"] == "renamed"
    assert [m["value"] for m in history(client, run_id, "acc")["metrics"]] == [0.5, 0.7]
    assert ok(post(client, "/runs/log-batch", {"run_id": run_id})) == {}  # an empty batch is fine


BAD_BATCHES = [
    # (what is wrong, items added after the good ones, message fragment)
    ("a param that changes", {"params": [{"key": "kept", "value": "other"}]},
     "Param 'kept' of run"),
    ("a param twice with two values", {"params": [{"key": "p", "value": "1"}, {"key": "p", "value": "2"}]},
     "Param 'p' appears twice in the batch with different values"),
    ("an invalid tag key", {"tags": [{"key": "../escape", "value": "x"}]},
     "Invalid tag key '../escape'"),
    ("an invalid metric key", {"metrics": [{"key": "bad key!", "value": 1, "timestamp": 1}]},
     "Invalid metric key 'bad key!'"),
    ("a metric value that is not a number", {"metrics": [{"key": "m2", "value": "high", "timestamp": 1}]},
     "Parameter 'metrics[1].value' must be a number"),
    ("a metric without a value", {"metrics": [{"key": "m2", "timestamp": 1}]},
     "Missing value for required parameter 'metrics[1].value'"),
    ("a param value too long", {"params": [{"key": "long", "value": "x" * 6001}]},
     "Parameter 'params[1].value' is 6001 characters long"),
    ("a tag without a key", {"tags": [{"value": "x"}]},
     "Missing value for required parameter 'tags[2].key'"),
    ("too many params", {"params": [{"key": f"p{i}", "value": "v"} for i in range(100)]},
     "A batch may hold at most 100 params; this one has 101"),  # with the good one
]


def test_a_batch_with_one_bad_item_writes_nothing(client):
    run_id = new_run(client, "0", run_name="r")
    ok(post(client, "/runs/log-parameter", {"run_id": run_id, "key": "kept", "value": "1"}))
    before = data(client, run_id)
    good = {
        "metrics": [{"key": "new-metric", "value": 1, "timestamp": 1}],
        "params": [{"key": "new-param", "value": "1"}],
        "tags": [{"key": "new-tag", "value": "1"}, {"key": RUN_NAME_TAG, "value": "changed"}],
    }
    for what, bad, fragment in BAD_BATCHES:
        body = {"run_id": run_id, **{k: good[k] + bad.get(k, []) for k in good}}
        assert_error(post(client, "/runs/log-batch", body), 400, "INVALID_PARAMETER_VALUE", fragment)
        assert data(client, run_id) == before, what
        assert history(client, run_id, "new-metric") == {"metrics": []}, what
        assert get_run(client, run_id)["info"]["run_name"] == "r", what


def test_log_batch_size_limits(client):
    run_id = new_run(client, "0")

    def metrics(n):
        return [{"key": f"m{i}", "value": i, "timestamp": 1} for i in range(n)]

    def items(n, prefix):
        return [{"key": f"{prefix}{i}", "value": "v"} for i in range(n)]

    refused = [
        ({"metrics": metrics(1001)}, "A batch may hold at most 1000 metrics; this one has 1001"),
        ({"tags": items(101, "t")}, "A batch may hold at most 100 tags; this one has 101"),
        ({"metrics": metrics(900), "params": items(100, "p"), "tags": items(1, "t")},
         "A batch may hold at most 1000 metrics, params and tags in all"),
    ]
    for body, fragment in refused:
        assert_error(post(client, "/runs/log-batch", {"run_id": run_id, **body}), 400,
                     "INVALID_PARAMETER_VALUE", fragment)
    assert data(client, run_id)["metrics"] == {}
    ok(post(client, "/runs/log-batch", {"run_id": run_id, "metrics": metrics(900), "params": items(100, "p")}))
    written = data(client, run_id)
    assert len(written["metrics"]) == 900 and len(written["params"]) == 100


# --- tags --------------------------------------------------------------------------------------


def test_set_and_delete_tags(client):
    run_id = new_run(client, "0", run_name="r")
    for value in ("a", "b"):
        assert ok(post(client, "/runs/set-tag", {"run_id": run_id, "key": "note", "value": value})) == {}
    ok(post(client, "/runs/set-tag", {"run_uuid": run_id, "key": "long", "value": "v" * 8000}))
    assert data(client, run_id)["tags"] == {RUN_NAME_TAG: "r", "note": "b", "long": "v" * 8000}
    assert_error(post(client, "/runs/set-tag", {"run_id": run_id, "key": "long", "value": "v" * 8001}),
                 400, "INVALID_PARAMETER_VALUE", "the limit is 8000")

    assert ok(post(client, "/runs/delete-tag", {"run_id": run_id, "key": "note"})) == {}
    assert data(client, run_id)["tags"] == {RUN_NAME_TAG: "r", "long": "v" * 8000}
    assert_error(post(client, "/runs/delete-tag", {"run_id": run_id, "key": "note"}), 404,
                 "RESOURCE_DOES_NOT_EXIST", f"No tag with key 'note' on run {run_id}")


def test_setting_the_run_name_tag_renames_the_run(client):
    run_id = new_run(client, "0", run_name="before")
    ok(post(client, "/runs/set-tag", {"run_id": run_id, "key": RUN_NAME_TAG, "value": "after"}))
    assert get_run(client, run_id)["info"]["run_name"] == "after"
    assert search_ids(client, ["0"], filter="attributes.run_name = 'after'") == [run_id]


# --- metric history ----------------------------------------------------------------------------


def test_metric_history_is_complete_and_ordered(client):
    run_id = new_run(client, "0")
    points = [(3.0, 30, 2), (1.0, 10, 0), (2.5, 26, 1), (2.0, 20, 1), ("NaN", 40, 3), (2.0, 20, 1)]
    ok(post(client, "/runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "loss", "value": v, "timestamp": t, "step": s} for v, t, s in points[:3]]}))
    for value, timestamp, step in points[3:]:
        ok(post(client, "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": value,
                                             "timestamp": timestamp, "step": step}))
    ok(post(client, "/runs/log-metric", {"run_id": run_id, "key": "other", "value": 7, "timestamp": 1}))
    expected = [
        {"key": "loss", "value": 1.0, "timestamp": 10, "step": 0},
        {"key": "loss", "value": 2.0, "timestamp": 20, "step": 1},
        {"key": "loss", "value": 2.0, "timestamp": 20, "step": 1},
        {"key": "loss", "value": 2.5, "timestamp": 26, "step": 1},
        {"key": "loss", "value": 3.0, "timestamp": 30, "step": 2},
        {"key": "loss", "value": "NaN", "timestamp": 40, "step": 3},
    ]
    assert history(client, run_id, "loss") == {"metrics": expected}
    assert history(client, run_id, "missing") == {"metrics": []}

    pages, token = [], None
    while True:
        page = history(client, run_id, "loss", max_results=4, **({"page_token": token} if token else {}))
        pages.append(page["metrics"])
        token = page.get("next_page_token")
        if not token:
            break
    assert [len(p) for p in pages] == [4, 2]
    assert sum(pages, []) == expected


# --- search ------------------------------------------------------------------------------------


@pytest.fixture
def runs(client):
    """Four runs in one experiment, with metrics, params, tags and statuses; one run elsewhere."""
    experiment_id = experiment(client, "searched")
    rows = {
        "r1": dict(start=1000, acc=0.9, lr="0.1", team="vision", status="FINISHED"),
        "r2": dict(start=2000, acc=0.5, lr="0.01", team="nlp", status="FAILED"),
        "r3": dict(start=3000, acc=None, lr="0.1", team=None, status="RUNNING"),
        "r4": dict(start=4000, acc=0.7, lr=None, team="vision", status="FINISHED"),
    }
    ids = {}
    for name, row in rows.items():
        run_id = new_run(client, experiment_id, run_name=name, start_time=row["start"], user_id=f"u-{name}")
        batch = {"run_id": run_id, "metrics": [], "params": [], "tags": []}
        if row["acc"] is not None:
            batch["metrics"].append({"key": "acc", "value": row["acc"], "timestamp": 1})
        if row["lr"] is not None:
            batch["params"].append({"key": "lr", "value": row["lr"]})
        if row["team"] is not None:
            batch["tags"].append({"key": "team", "value": row["team"]})
        ok(post(client, "/runs/log-batch", batch))
        ok(post(client, "/runs/update", {"run_id": run_id, "status": row["status"]}))
        ids[name] = run_id
    new_run(client, experiment(client, "elsewhere"), run_name="outsider")
    return experiment_id, ids


def run_names(client, experiment_ids, **fields) -> list[str]:
    response = ok(post(client, "/runs/search", {"experiment_ids": experiment_ids, **fields}))
    return [r["info"]["run_name"] for r in response.get("runs", [])]


RUN_FILTERS = [
    ("", ["r4", "r3", "r2", "r1"]),
    ("metrics.acc > 0.6", ["r4", "r1"]),
    ("metrics.acc = 0.5", ["r2"]),
    ("metrics.acc != 0.5", ["r4", "r1"]),  # r3 has no acc: never matches
    ("metrics.acc >= 0.5 AND metrics.acc <= 0.7", ["r4", "r2"]),
    ("params.lr = '0.1'", ["r3", "r1"]),
    ("params.lr LIKE '0.0%'", ["r2"]),
    ("params.lr != '0.1'", ["r2"]),
    ("tags.team = 'vision'", ["r4", "r1"]),
    ("tags.team ILIKE 'NL%'", ["r2"]),
    ("tags.mlflow.runName = 'r3'", ["r3"]),
    ("attributes.status = 'FINISHED'", ["r4", "r1"]),
    ("status IN ('FAILED', 'RUNNING')", ["r3", "r2"]),
    ("attributes.status NOT IN ('FINISHED')", ["r3", "r2"]),
    ("attributes.run_name LIKE 'r%' AND attributes.start_time >= 2000", ["r4", "r3", "r2"]),
    ("attributes.start_time < 2000", ["r1"]),
    ("attributes.user_id = 'u-r2'", ["r2"]),
    ("attributes.end_time > 0", []),
    ("metrics.acc > 0.6 AND params.lr = '0.1' AND tags.team = 'vision'", ["r1"]),
]


def test_search_filters(client, runs):
    experiment_id, _ = runs
    for filter_string, expected in RUN_FILTERS:
        assert run_names(client, [experiment_id], filter=filter_string) == expected, filter_string


def test_search_by_run_id(client, runs):
    experiment_id, ids = runs
    found = run_names(client, [experiment_id], filter=f"attributes.run_id IN ('{ids['r1']}', '{ids['r3']}')")
    assert found == ["r3", "r1"]
    assert run_names(client, [experiment_id], filter=f"attributes.run_id = '{ids['r2']}'") == ["r2"]


ORDERS = [
    (["metrics.acc DESC"], ["r1", "r4", "r2", "r3"]),  # runs without the metric come last
    (["metrics.acc ASC"], ["r2", "r4", "r1", "r3"]),
    (["params.lr ASC", "attributes.start_time DESC"], ["r2", "r3", "r1", "r4"]),
    (["params.lr DESC", "start_time ASC"], ["r1", "r3", "r2", "r4"]),
    (["tags.team ASC", "attributes.run_name ASC"], ["r2", "r1", "r4", "r3"]),
    (["attributes.start_time ASC"], ["r1", "r2", "r3", "r4"]),
    (["attributes.run_name DESC"], ["r4", "r3", "r2", "r1"]),
    (["attributes.status ASC", "attributes.start_time DESC"], ["r2", "r4", "r1", "r3"]),
    ([], ["r4", "r3", "r2", "r1"]),  # newest first by default
]


def test_search_order_by(client, runs):
    experiment_id, _ = runs
    for order_by, expected in ORDERS:
        assert run_names(client, [experiment_id], order_by=order_by) == expected, order_by


def test_search_covers_only_the_given_experiments(client, runs):
    experiment_id, _ = runs
    assert run_names(client, []) == []
    assert run_names(client, ["0"]) == []
    both = run_names(client, [experiment_id, str(int(experiment_id) + 1)], order_by=["attributes.run_name"])
    assert both == ["outsider", "r1", "r2", "r3", "r4"]


def test_search_pages_walk_every_run_once(client):
    experiment_id = experiment(client)
    expected = [new_run(client, experiment_id, run_name=f"run-{i:02d}", start_time=1000) for i in range(9)]
    for order_by in ([], ["attributes.run_name ASC"], ["attributes.start_time DESC"]):
        for size in (1, 2, 4, 9, 10):
            seen, token, pages = [], None, 0
            while True:
                body = {"experiment_ids": [experiment_id], "max_results": size, "order_by": order_by}
                page = ok(post(client, "/runs/search", {**body, **({"page_token": token} if token else {})}))
                seen += [r["info"]["run_id"] for r in page.get("runs", [])]
                pages += 1
                token = page.get("next_page_token")
                if not token:
                    break
            assert sorted(seen) == sorted(expected) and len(seen) == len(expected), (order_by, size)
            assert pages == -(-len(expected) // size), (order_by, size)  # no empty last page


# --- workspaces --------------------------------------------------------------------------------


def test_run_of_another_workspace_is_404(client):
    assert client.post(WORKSPACES, json={"name": "team-a"}).status_code == 201
    experiment_id = experiment(client)
    run_id = new_run(client, experiment_id, run_name="private")
    ok(post(client, "/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1}))
    before = data(client, run_id)
    other = in_ws("team-a")
    missing = f"Run '{run_id}' not found in workspace 'team-a'"
    assert_error(client.get(f"{API}/runs/get?run_id={run_id}", headers=other), 404,
                 "RESOURCE_DOES_NOT_EXIST", missing)
    assert_error(client.get(f"{API}/metrics/get-history?run_id={run_id}&metric_key=m", headers=other),
                 404, "RESOURCE_DOES_NOT_EXIST", missing)
    for path, body in WRITES:
        assert_error(post(client, path, {"run_id": run_id, **body}, headers=other), 404,
                     "RESOURCE_DOES_NOT_EXIST", missing)
    assert ok(post(client, "/runs/search", {"experiment_ids": [experiment_id]}, headers=other)) == {"runs": []}
    assert_error(post(client, "/runs/create", {"experiment_id": experiment_id}, headers=other), 404,
                 "RESOURCE_DOES_NOT_EXIST", "in workspace 'team-a'")
    assert data(client, run_id) == before
    run = get_run(client, run_id)["info"]
    assert (run["lifecycle_stage"], run["status"]) == ("active", "RUNNING")


def test_runs_in_a_workspace(client):
    assert client.post(WORKSPACES, json={"name": "team-b"}).status_code == 201
    team = in_ws("team-b")
    experiment_id = experiment(client, "exp", headers=team)
    run_id = new_run(client, experiment_id, headers=team)
    ok(post(client, "/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"}, headers=team))
    assert get_run(client, run_id, headers=team)["data"]["params"] == [{"key": "p", "value": "1"}]
    assert get_run(client, run_id, headers=team)["info"]["artifact_uri"] == (
        f"mlflow-artifacts:/workspaces/team-b/{experiment_id}/{run_id}/artifacts"
    )
    found = ok(post(client, "/runs/search", {"experiment_ids": [experiment_id]}, headers=team))["runs"]
    assert [r["info"]["run_id"] for r in found] == [run_id]
