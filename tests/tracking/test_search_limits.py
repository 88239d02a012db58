"""Searches whose size the client controls, at and past their limits, against a real server
process (a crashed worker shows as a dropped connection, a database limit as a 503): each is a
200 with the right answer at the limit and a 400 naming the limit past it (issue 10)."""

import uuid

import pytest
import requests

from tracking.api.params import MAX_LIST_ITEMS
from tracking.search_syntax import MAX_COMPARISONS, MAX_IN_VALUES, MAX_ORDER_BY_CLAUSES

API = "/api/2.0/mlflow"


@pytest.fixture
def server(start_server):
    return start_server("--enable-workspaces")


@pytest.fixture
def runs(server):
    """An experiment with three runs carrying params, metrics and tags p0..p9 / m0..m9 / t0..t9."""
    experiment = requests.post(f"{server.url}{API}/experiments/create",
                               json={"name": f"limits-{uuid.uuid4().hex}"}).json()["experiment_id"]
    ids = []
    for rank in range(3):
        run = requests.post(f"{server.url}{API}/runs/create",
                            json={"experiment_id": experiment}).json()["run"]["info"]["run_id"]
        body = {"run_id": run,
                "params": [{"key": f"p{k}", "value": str(rank)} for k in range(10)],
                "metrics": [{"key": f"m{k}", "value": rank, "timestamp": 1, "step": 0} for k in range(10)],
                "tags": [{"key": f"t{k}", "value": str(rank)} for k in range(10)]}
        assert requests.post(f"{server.url}{API}/runs/log-batch", json=body).status_code == 200
        ids.append(run)
    return experiment, ids


def search(server, **body):
    return requests.post(f"{server.url}{API}/runs/search", json=body, timeout=60)


@pytest.mark.parametrize("kind", ["params.p", "metrics.m", "tags.t"])
def test_order_by_at_the_limit_of_keyed_clauses_answers_in_order(server, runs, kind):
    experiment, ids = runs
    clauses = [f"{kind}{i % 10} DESC" for i in range(MAX_ORDER_BY_CLAUSES)]
    for _ in range(3):  # the worker used to die of these, every time
        response = search(server, experiment_ids=[experiment], order_by=clauses)
        assert response.status_code == 200, response.text
        assert [r["info"]["run_id"] for r in response.json()["runs"]] == ids[::-1]
    assert requests.get(f"{server.url}/health").status_code == 200


def test_order_by_past_the_limit_is_a_400_naming_it(server, runs):
    experiment, _ = runs
    response = search(server, experiment_ids=[experiment],
                      order_by=["params.p1"] * (MAX_ORDER_BY_CLAUSES + 1))
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert f"the limit is {MAX_ORDER_BY_CLAUSES}" in response.json()["message"]


@pytest.mark.parametrize("kind", ["params.p", "metrics.m", "tags.t"])
def test_filters_at_the_limit_of_comparisons(server, runs, kind):
    experiment, ids = runs
    value = "0" if kind == "metrics.m" else "'1'"
    op = ">" if kind == "metrics.m" else "="
    text = " AND ".join(f"{kind}{i % 10} {op} {value}" for i in range(MAX_COMPARISONS))
    response = search(server, experiment_ids=[experiment], filter=text)
    assert response.status_code == 200, response.text
    expected = ids[1:] if kind == "metrics.m" else [ids[1]]
    assert sorted(r["info"]["run_id"] for r in response.json()["runs"]) == sorted(expected)
    past = search(server, experiment_ids=[experiment], filter=text + f" AND {kind}0 {op} {value}")
    assert past.status_code == 400 and f"more than {MAX_COMPARISONS} comparisons" in past.json()["message"]


def test_in_lists_at_the_limit(server, runs):
    experiment, ids = runs
    values = [f"'x{i}'" for i in range(MAX_IN_VALUES - 1)] + [f"'{ids[0]}'"]
    text = " AND ".join([f"attributes.run_id IN ({', '.join(values)})",
                         f"tags.t0 IN ({', '.join(values)})", "tags.t1 NOT IN ('9')"])
    response = search(server, experiment_ids=[experiment], filter=f"attributes.run_id IN ({', '.join(values)})")
    assert response.status_code == 200
    assert [r["info"]["run_id"] for r in response.json()["runs"]] == [ids[0]]
    combined = search(server, experiment_ids=[experiment], filter=text)
    assert combined.status_code in (200, 400), combined.text  # never a 5xx
    assert combined.status_code == 200 or "limit" in combined.json()["message"], combined.text
    past = search(server, experiment_ids=[experiment],
                  filter=f"attributes.run_id IN ({', '.join(values)}, 'x')")
    assert past.status_code == 400 and f"more than {MAX_IN_VALUES} values" in past.json()["message"]


def test_many_experiment_ids_and_registry_filters(server, runs):
    experiment, ids = runs
    many = [experiment] + [str(100_000 + i) for i in range(MAX_LIST_ITEMS - 1)]
    response = search(server, experiment_ids=many, max_results=10)
    assert response.status_code == 200 and len(response.json()["runs"]) == 3
    too_many = search(server, experiment_ids=many + ["1"])
    assert too_many.status_code == 400, too_many.text
    assert f"the limit is {MAX_LIST_ITEMS}" in too_many.json()["message"]
    names = " AND ".join(f"name != 'n{i}'" for i in range(MAX_COMPARISONS))
    for path in ("registered-models/search", "model-versions/search"):
        answer = requests.get(f"{server.url}{API}/{path}", params={"filter": names})
        assert answer.status_code in (200, 400), answer.text
        assert answer.status_code == 200 or "limit" in answer.json()["message"] or "comparisons" in answer.json()["message"]
    experiments = requests.post(f"{server.url}{API}/experiments/search",
                                json={"filter": " AND ".join(f"tags.t{i} != 'x'" for i in range(MAX_COMPARISONS)),
                                      "order_by": ["name"] * MAX_ORDER_BY_CLAUSES})
    assert experiments.status_code == 200, experiments.text


def test_a_database_limit_hit_by_the_request_is_a_400_not_a_503():
    import sqlite3

    import flask
    from sqlalchemy.exc import OperationalError

    from tracking.errors import register_error_handlers

    app = flask.Flask(__name__)
    register_error_handlers(app)
    causes = {
        "/tree": sqlite3.OperationalError("Expression tree is too large (maximum depth 1000)"),
        "/down": sqlite3.OperationalError("unable to open database file"),
    }

    @app.route("/<name>")
    def fail(name):
        raise OperationalError("SELECT ...", {}, causes[f"/{name}"])

    with app.test_client() as client:
        shape = client.get("/tree")
        assert shape.status_code == 400 and shape.json["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "make it smaller" in shape.json["message"]
        assert client.get("/down").status_code == 503  # the database really is unavailable
