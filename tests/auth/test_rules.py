"""Every route the server serves has a rule; a route without one is admin-only."""

from auth import rules
from mlflow_host.operations import NAMED_ENDPOINTS, NATIVE, SHARED


def test_every_route_has_a_rule(auth_app):
    missing = sorted({r.endpoint for r in auth_app.url_map.iter_rules()} - set(rules.RULES))
    assert missing == [], f"routes without an entry in auth.rules: {missing}"


def test_rules_name_no_route_that_does_not_exist(auth_app):
    """...on wsauth's own server, or among the MLflow host's named operations."""
    served = {r.endpoint for r in auth_app.url_map.iter_rules()} | set(NAMED_ENDPOINTS.values()) | SHARED | NATIVE
    assert sorted(set(rules.RULES) - served) == []


def test_every_operation_the_mlflow_host_names_has_a_rule():
    named = SHARED | set(NAMED_ENDPOINTS.values()) | NATIVE
    assert sorted(named - set(rules.RULES)) == []


def test_an_unknown_endpoint_is_admin_only():
    assert rules.rule_for("somethingNew") == rules.ADMIN
    assert rules.rule_for(None) == rules.ADMIN
