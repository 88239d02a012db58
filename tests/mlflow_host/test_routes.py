"""Every route of the installed MLflow has a rule under `--app-name wsauth` (issue 12, item 2):
the routes are enumerated from MLflow's apps at run time; a route the host does not name is
admin-only; docs/mlflow-routes.md is the generated table."""

from __future__ import annotations

import pytest

from auth import rules
from mlflow_host import route_table
from mlflow_host.host import MlflowHost
from mlflow_host.operations import NAMED_ENDPOINTS, NATIVE, SHARED, OperationTable, native_name
from tracking.hostapi import Host


@pytest.fixture(scope="module")
def mlflow_app():
    from mlflow.server import app

    return app


def test_every_named_operation_has_a_rule_and_every_other_route_is_admin_only(mlflow_app):
    routes = route_table.flask_routes(mlflow_app)
    assert len(routes) > 300  # MLflow's REST, ajax, artifacts, gateway, UI routes
    for method, path, operation in routes:
        if operation is None:
            assert rules.rule_for(operation) == rules.ADMIN
        else:
            assert operation in rules.RULES, f"{method} {path}: '{operation}' has no rule"


def test_each_shared_operation_is_served_by_mlflow(mlflow_app):
    """A name in SHARED that MLflow no longer serves would be a rule that guards nothing."""
    served = {operation for _, _, operation in route_table.flask_routes(mlflow_app)}
    assert SHARED | set(NAMED_ENDPOINTS.values()) <= served
    natives = {native_name(path) for _, path in route_table.fastapi_routes(mlflow_app)}
    assert natives - {None} == NATIVE  # and every other FastAPI route is admin-only


def test_only_searches_this_host_restricts_are_named(mlflow_app):
    """A Filtered rule is only as good as the host's restriction: every named search is of a
    scope that mlflow_host/restriction.py puts into MLflow's queries."""
    from mlflow_host.restriction import _columns

    served = {operation for _, _, operation in route_table.flask_routes(mlflow_app)}
    named = {name: rule for name, rule in rules.RULES.items() if isinstance(rule, rules.Filtered) and name in served}
    assert {"searchExperiments", "searchRuns", "searchLoggedModels", "searchTracesV3"} <= set(named)
    assert all(_columns(rule.kind.search_scope) for rule in named.values())


def test_a_plugins_own_route_is_named_by_its_endpoint():
    table = OperationTable({"_create_experiment", "_create_webhook", "getUser"})
    assert table.name("createUser", "/api/2.0/mlflow/users/create", "POST") == "createUser"
    assert table.name("_create_experiment", "/api/2.0/mlflow/experiments/create", "POST") == "createExperiment"
    assert table.name("_create_webhook", "/api/2.0/mlflow/webhooks", "POST") is None  # not named: admin-only
    assert table.name("getUser", "/somewhere", "GET") is None  # an endpoint of MLflow's is never taken as a name


def test_the_route_table_in_the_docs_is_current():
    assert route_table.DOC.read_text() == route_table.render(), "run python -m mlflow_host.route_table"


def test_mlflow_host_implements_the_host_protocol():
    host = MlflowHost(OperationTable(set()))
    assert isinstance(host, Host)
    import inspect

    members = {name for name in vars(Host) if not name.startswith("_")} | set(Host.__annotations__)
    for name in members:
        declared, offered = getattr(Host, name, None), getattr(MlflowHost, name)
        if callable(declared):
            assert list(inspect.signature(offered).parameters) == list(inspect.signature(declared).parameters), name
