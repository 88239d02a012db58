"""A warm request costs a fixed, small number of SQL statements, and authorization adds none.

Every statement both engines (tracking and auth) send is counted, for each hot route, on the
second of two identical requests (the first warms the caches). The change-counter read, which
each worker makes at most once a second whatever the traffic, is left out. The figures are
exact: a change that adds a statement to a hot route fails here, and must say why in the table.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.auth.conftest import admin_post, as_user, new_user

API = "/api/2.0/mlflow"
WS = "/api/3.0/mlflow/workspaces"

# route -> statements of a warm request, the same with auth on and off where it is allowed:
#   get:        workspace, experiment, its tags
#   search:     workspace, experiments page, their tags (one query whatever the page's size)
#   log_metric: workspace, run, insert metric, upsert latest metric
#   create_run: workspace, experiment, its tags, insert run, insert tags, read back run,
#               its params, tags, latest metrics
#   denied:     workspace, insert the audit event (the decision itself comes from the caches;
#               past audit_denied_per_minute the insert is skipped)
EXPECTED = {"get": 3, "search": 3, "log_metric": 4, "create_run": 9, "denied_get": 2, "denied_log_metric": 2}


@contextmanager
def counting(app):
    """Yields a list that collects the SQL the app sends while inside (change-counter reads excepted)."""
    statements = []
    engines = {app.extensions["wsauth"].database.engine}
    if "wsauth.auth" in app.extensions:
        engines.add(app.extensions["wsauth.auth"].store.database.engine)

    def record(conn, cursor, statement, *args):
        if "auth_changes" not in statement:
            statements.append(" ".join(statement.split())[:120])

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def world(make_auth_app):
    """team-a with 30 experiments; bob may edit it, rita only read it, and an explicit grant
    takes one experiment away from rita."""
    app = make_auth_app()
    client = app.test_client()
    admin_post(client, WS, {"name": "team-a"})
    bob, rita = new_user(client, "bob"), new_user(client, "rita")
    admin_post(client, f"{WS}/team-a/permissions", {"username": bob, "permission": "EDIT"})
    admin_post(client, f"{WS}/team-a/permissions", {"username": rita, "permission": "READ"})
    ids = [admin_post(client, f"{API}/experiments/create", {"name": f"e{i}"}, "team-a")["experiment_id"]
           for i in range(30)]
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": ids[1], "username": rita, "permission": "NO_PERMISSIONS"}, "team-a")
    for experiment in ids[2:12]:  # explicit grants must not cost a query per item in lists
        admin_post(client, f"{API}/experiments/permissions/create",
                   {"experiment_id": experiment, "username": bob, "permission": "MANAGE"}, "team-a")
    run = client.post(f"{API}/runs/create", json={"experiment_id": ids[0]},
                      headers=as_user("bob", "team-a")).json["run"]["info"]["run_id"]
    return app, client, ids, run


def requests_of(ids, run):
    bob, rita = as_user("bob", "team-a"), as_user("rita", "team-a")
    return {
        "get": ("GET", f"{API}/experiments/get", {"query_string": {"experiment_id": ids[0]}}, bob, 200),
        "search": ("POST", f"{API}/experiments/search", {"json": {"max_results": 100}}, bob, 200),
        "log_metric": ("POST", f"{API}/runs/log-metric",
                       {"json": {"run_id": run, "key": "loss", "value": 0.5, "timestamp": 1}}, bob, 200),
        "create_run": ("POST", f"{API}/runs/create", {"json": {"experiment_id": ids[0]}}, bob, 200),
        "denied_get": ("GET", f"{API}/experiments/get", {"query_string": {"experiment_id": ids[1]}}, rita, 403),
        "denied_log_metric": ("POST", f"{API}/runs/log-metric",
                              {"json": {"run_id": run, "key": "loss", "value": 1, "timestamp": 2}}, rita, 403),
    }


def warm_count(app, client, method, path, options, headers, status) -> list[str]:
    """The statements of the second of two identical requests."""
    if "wsauth.auth" in app.extensions:  # react to the setup's changes now, not in the middle
        app.extensions["wsauth.auth"].watch.catch_up()
    assert client.open(path, method=method, headers=headers, **options).status_code == status
    with counting(app) as statements:
        response = client.open(path, method=method, headers=headers, **options)
    assert response.status_code == status, response.json
    return statements


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_a_warm_request_costs_a_fixed_number_of_statements(world, route):
    app, client, ids, run = world
    statements = warm_count(app, client, *requests_of(ids, run)[route])
    assert len(statements) == EXPECTED[route], "\n".join(statements)
    auth_tables = ("users", "experiment_permissions", "workspace_permissions", "registered_model_permissions")
    assert not [s for s in statements if any(f"FROM {table}" in s for table in auth_tables)], statements


def test_authorization_adds_no_statement(world, make_app):
    """The same requests on the same database, served without the auth layer, cost the same."""
    app, client, ids, run = world
    plain = make_app(workspaces_enabled=True)
    plain_client = plain.test_client()
    for route, (method, path, options, headers, status) in requests_of(ids, run).items():
        if status != 200:
            continue
        with_auth = warm_count(app, client, method, path, options, headers, status)
        without = warm_count(plain, plain_client, method, path, options, {"X-MLFLOW-WORKSPACE": "team-a"}, 200)
        assert len(with_auth) == len(without), (route, with_auth, without)


def test_logging_to_a_new_run_needs_no_lookup_of_where_it_lives(world):
    """The benchmark's write: create a run, then log to it. Its place is known from its creation."""
    app, client, ids, _ = world
    bob = as_user("bob", "team-a")
    app.extensions["wsauth.auth"].watch.catch_up()
    run = client.post(f"{API}/runs/create", json={"experiment_id": ids[0]}, headers=bob).json["run"]["info"]["run_id"]
    with counting(app) as statements:
        response = client.post(f"{API}/runs/log-metric", headers=bob,
                               json={"run_id": run, "key": "loss", "value": 0.5, "timestamp": 1})
    assert response.status_code == 200
    assert len(statements) == EXPECTED["log_metric"], statements


def test_a_search_costs_the_same_whatever_its_size(world):
    """Visibility is one filter in the query: no permission query per listed experiment."""
    app, client, ids, run = world
    method, path, _, headers, _ = requests_of(ids, run)["search"]
    small = warm_count(app, client, method, path, {"json": {"max_results": 2}}, headers, 200)
    large = warm_count(app, client, method, path, {"json": {"max_results": 100}}, headers, 200)
    assert len(small) == len(large) == EXPECTED["search"]
    for user, visible in (("bob", 30), ("rita", 29)):
        response = client.post(path, json={"max_results": 100}, headers=as_user(user, "team-a"))
        assert len(response.json["experiments"]) == visible
