"""The shipped OpenAPI document (tracking/openapi.json) describes exactly the routes a server with
the auth layer serves, is current with its generator, ships in the package and is served publicly."""

from __future__ import annotations

import json
import re
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from auth import rules
from tools.openapi import render

DOCUMENT = json.loads(files("tracking").joinpath("openapi.json").read_text(encoding="utf-8"))
REPOSITORY = Path(__file__).resolve().parents[2]
METHODS = {"get", "post", "put", "patch", "delete"}
SQLITE_ONLY = pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)


def served_operations(app) -> set[tuple[str, str]]:
    """(path in OpenAPI spelling, method) of every route of the app, HEAD and OPTIONS aside."""
    found = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        found |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def documented_operations() -> set[tuple[str, str]]:
    return {(path, method) for path, item in DOCUMENT["paths"].items() for method in item if method in METHODS}


@SQLITE_ONLY
def test_every_served_route_is_documented_and_nothing_else(auth_app):
    served, documented = served_operations(auth_app), documented_operations()
    assert sorted(served - documented) == [], "routes missing from tracking/openapi.json (run python -m tools.openapi)"
    assert sorted(documented - served) == [], "tracking/openapi.json documents routes the server does not serve"
    assert len(served) > 140


def test_the_shipped_document_is_what_the_generator_writes():
    assert files("tracking").joinpath("openapi.json").read_text(encoding="utf-8") == render(), (
        "tracking/openapi.json is out of date: run python -m tools.openapi")


def test_the_document_ships_in_the_package():
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    assert "openapi.json" in project["tool"]["setuptools"]["package-data"]["tracking"]


@SQLITE_ONLY
@pytest.mark.parametrize("path", ["/openapi.json", "/api/3.0/mlflow/openapi.json", "/ajax-api/3.0/mlflow/openapi.json"])
def test_the_document_is_served_without_credentials(auth_client, path):
    response = auth_client.get(path)
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.json == DOCUMENT


def test_only_public_routes_waive_credentials():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            public = rules.rule_for(operation["x-endpoint"]) == rules.PUBLIC
            assert ("security" in operation and operation["security"] == []) == public, (method, path)
            assert ("401" in operation["responses"]) != public, (method, path)


def test_every_error_answer_has_the_error_body():
    responses = DOCUMENT["components"]["responses"]
    for status in ("400", "401", "403", "404", "409", "413", "414", "429", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    assert DOCUMENT["components"]["schemas"]["Error"]["required"] == ["error_code", "message"]
    assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True


def test_operation_ids_are_unique():
    ids = [op["operationId"] for item in DOCUMENT["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
