"""The model registry over REST (tracking/api/registry.py): registered models (and prompts), model
versions, tags, aliases, stages and download URIs, scoped by workspace, on the Flask test client
(issue 3, items 1-3). The wire format is MLflow's model_registry protos.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from tracking.api.routes import ROUTES
from tracking.store.models import (
    ModelAliasRow, ModelVersionRow, ModelVersionTagRow, RegisteredModelRow, RegisteredModelTagRow,
)

API = "/api/2.0/mlflow"
PREFIXES = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"]
WORKSPACES = "/api/3.0/mlflow/workspaces"
PROMPT_TAG = "mlflow.prompt.is_prompt"
MISSING = "RESOURCE_DOES_NOT_EXIST"
INVALID = "INVALID_PARAMETER_VALUE"


def in_ws(name: str) -> dict[str, str]:
    """The header that puts a request in a workspace."""
    return {"X-MLFLOW-WORKSPACE": name}


def assert_error(response, status: int, error_code: str, fragment: str) -> None:
    """The response is MLflow's JSON error with this status, code and message fragment."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error_code"] == error_code
    assert fragment in response.json["message"], response.json["message"]


def ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def call(client, method: str, path: str, fields: dict, headers=None, prefix: str = API):
    """A registry request as the mlflow client sends it: GET fields in the query, others as JSON."""
    if method == "GET":
        return client.get(f"{prefix}{path}", query_string=fields, headers=headers)
    return client.open(f"{prefix}{path}", method=method, json=fields, headers=headers)


def make_workspace(client, name: str) -> None:
    assert client.post(WORKSPACES, json={"name": name}).status_code == 201


def create_model(client, name: str, headers=None, prefix: str = API, **fields) -> dict:
    """Register a model and return its RegisteredModel object."""
    return ok(call(client, "POST", "/registered-models/create", {"name": name, **fields}, headers, prefix))[
        "registered_model"]


def get_model(client, name: str, headers=None, prefix: str = API) -> dict:
    return ok(call(client, "GET", "/registered-models/get", {"name": name}, headers, prefix))["registered_model"]


def create_version(client, name: str, source: str = "s3://bucket/model", headers=None, **fields) -> dict:
    """Add a version and return its ModelVersion object."""
    body = {"name": name, "source": source, **fields}
    return ok(call(client, "POST", "/model-versions/create", body, headers))["model_version"]


def get_version(client, name: str, version: str, headers=None) -> dict:
    return ok(call(client, "GET", "/model-versions/get", {"name": name, "version": version}, headers))[
        "model_version"]


_numbers = itertools.count()


def new_run(client, headers=None) -> dict:
    """A new run's info (in a new experiment of the request's workspace)."""
    experiment = ok(call(client, "POST", "/experiments/create", {"name": f"exp-{next(_numbers)}"}, headers))
    run = ok(call(client, "POST", "/runs/create", {"experiment_id": experiment["experiment_id"]}, headers))
    return run["run"]["info"]


def search_models(client, headers=None, **fields) -> dict:
    return ok(call(client, "GET", "/registered-models/search", fields, headers))


def model_names(client, headers=None, **fields) -> list[str]:
    return [m["name"] for m in search_models(client, headers, **fields).get("registered_models", [])]


def search_versions(client, headers=None, **fields) -> dict:
    return ok(call(client, "GET", "/model-versions/search", fields, headers))


def version_keys(client, headers=None, **fields) -> list[tuple[str, str]]:
    found = search_versions(client, headers, **fields).get("model_versions", [])
    return [(v["name"], v["version"]) for v in found]


def tags_of(obj: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in obj.get("tags", [])}


@pytest.fixture
def clock(monkeypatch):
    """Registry timestamps 1000, 2000, ...: orders by time are exact, whatever the machine's speed."""
    ticks = itertools.count(1000, 1000)
    monkeypatch.setattr("tracking.store.registry.now_ms", lambda: next(ticks))
    return ticks


def row_counts(app) -> dict[str, int]:
    """How many rows each registry table holds."""
    tables = {"models": RegisteredModelRow, "model_tags": RegisteredModelTagRow, "versions": ModelVersionRow,
              "version_tags": ModelVersionTagRow, "aliases": ModelAliasRow}
    with app.extensions["wsauth"].database.session() as session:
        return {name: session.scalar(select(func.count()).select_from(model)) for name, model in tables.items()}


# --- registered models: create, get, update, rename, delete -----------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_create_and_get_wire_shape(client, clock, prefix):
    model = create_model(client, "churn", prefix=prefix, description="predicts churn",
                         tags=[{"key": "team", "value": "growth"}, {"key": "empty"}])
    assert {**model, "tags": sorted(model["tags"], key=str)} == {
        "name": "churn", "creation_timestamp": 1000, "last_updated_timestamp": 1000,
        "description": "predicts churn", "latest_versions": [],
        "tags": [{"key": "empty", "value": ""}, {"key": "team", "value": "growth"}], "aliases": [],
    }
    assert get_model(client, "churn", prefix=prefix) == model


def test_create_without_description_or_tags(client):
    model = create_model(client, "bare")
    assert model["name"] == "bare" and "description" not in model
    assert model["tags"] == [] and model["aliases"] == [] and model["latest_versions"] == []


def test_names_are_unique_per_workspace(client):
    create_model(client, "churn")
    assert_error(call(client, "POST", "/registered-models/create", {"name": "churn"}), 400,
                 "RESOURCE_ALREADY_EXISTS", "Registered Model (name=churn) already exists in workspace 'default'")
    make_workspace(client, "team-a")
    create_model(client, "churn", in_ws("team-a"), description="team a's")
    assert "description" not in get_model(client, "churn")
    assert get_model(client, "churn", in_ws("team-a"))["description"] == "team a's"


def test_invalid_names_are_refused(client):
    for name, fragment in [
        ("", "it must be non-empty"),
        ("   ", "it must be non-empty"),
        ("a/b", "contain no '/'"),
        ("x" * 257, "Parameter 'name' is 257 characters long; the limit is 256"),
    ]:
        assert_error(call(client, "POST", "/registered-models/create", {"name": name}), 400, INVALID, fragment)
    assert_error(call(client, "POST", "/registered-models/create", {}), 400, INVALID,
                 "Missing value for required parameter 'name'")
    assert model_names(client) == []


def test_update_changes_only_the_description(client, clock):
    create_model(client, "churn", description="old", tags=[{"key": "k", "value": "v"}])
    updated = ok(call(client, "PATCH", "/registered-models/update", {"name": "churn", "description": "new"}))
    model = updated["registered_model"]
    assert (model["description"], model["last_updated_timestamp"], tags_of(model)) == ("new", 2000, {"k": "v"})
    assert get_model(client, "churn") == model
    assert_error(call(client, "PATCH", "/registered-models/update", {"name": "nope", "description": "x"}), 404,
                 MISSING, "Registered Model with name=nope not found in workspace 'default'")


def test_rename_carries_versions_tags_and_aliases(client):
    create_model(client, "old", tags=[{"key": "team", "value": "growth"}])
    create_version(client, "old", tags=[{"key": "stage", "value": "candidate"}])
    create_version(client, "old")
    ok(call(client, "POST", "/registered-models/alias", {"name": "old", "alias": "champion", "version": "1"}))
    renamed = ok(call(client, "POST", "/registered-models/rename", {"name": "old", "new_name": "new"}))
    model = renamed["registered_model"]
    assert model["name"] == "new" and tags_of(model) == {"team": "growth"}
    assert model["aliases"] == [{"alias": "champion", "version": "1"}]
    assert [(v["name"], v["version"]) for v in model["latest_versions"]] == [("new", "2")]
    assert get_model(client, "new") == model
    assert_error(call(client, "GET", "/registered-models/get", {"name": "old"}), 404, MISSING, "name=old")
    first = get_version(client, "new", "1")
    assert (first["name"], tags_of(first), first["aliases"]) == ("new", {"stage": "candidate"}, ["champion"])
    by_alias = ok(call(client, "GET", "/registered-models/alias", {"name": "new", "alias": "champion"}))
    assert by_alias["model_version"] == first
    assert version_keys(client, filter="name = 'new'") == [("new", "2"), ("new", "1")]
    assert version_keys(client, filter="name = 'old'") == []


def test_rename_onto_a_taken_name_changes_nothing(client):
    create_model(client, "a")
    create_model(client, "b")
    assert_error(call(client, "POST", "/registered-models/rename", {"name": "a", "new_name": "b"}), 400,
                 "RESOURCE_ALREADY_EXISTS", "Registered Model (name=b) already exists")
    assert_error(call(client, "POST", "/registered-models/rename", {"name": "a", "new_name": "x/y"}), 400,
                 INVALID, "contain no '/'")
    assert_error(call(client, "POST", "/registered-models/rename", {"name": "ghost", "new_name": "c"}), 404,
                 MISSING, "name=ghost")
    assert model_names(client) == ["a", "b"]


def test_delete_removes_versions_tags_and_aliases(app, client):
    create_model(client, "doomed", tags=[{"key": "k", "value": "v"}])
    create_version(client, "doomed", tags=[{"key": "vk", "value": "vv"}])
    create_version(client, "doomed")
    ok(call(client, "POST", "/registered-models/alias", {"name": "doomed", "alias": "champ", "version": "2"}))
    create_model(client, "kept")
    create_version(client, "kept")
    ok(call(client, "DELETE", "/registered-models/delete", {"name": "doomed"}))
    assert_error(call(client, "GET", "/registered-models/get", {"name": "doomed"}), 404, MISSING, "name=doomed")
    assert version_keys(client) == [("kept", "1")]
    assert row_counts(app) == {"models": 1, "model_tags": 0, "versions": 1, "version_tags": 0, "aliases": 0}
    # The name is free again, and starts afresh.
    create_model(client, "doomed")
    assert create_version(client, "doomed")["version"] == "1"
    assert get_model(client, "doomed")["tags"] == [] and get_model(client, "doomed")["aliases"] == []
    assert_error(call(client, "DELETE", "/registered-models/delete", {"name": "ghost"}), 404, MISSING,
                 "name=ghost")


# --- DELETE routes: a JSON body (as the mlflow client sends) or query arguments ---------------------

DELETES = [
    ("/model-versions/delete-tag", {"name": "m", "version": "1", "key": "vk"}),
    ("/registered-models/delete-tag", {"name": "m", "key": "k"}),
    ("/registered-models/alias", {"name": "m", "alias": "champ"}),
    ("/model-versions/delete", {"name": "m", "version": "1"}),
    ("/registered-models/delete", {"name": "m"}),
]


@pytest.mark.parametrize("how", ["json", "query"])
def test_delete_routes_take_a_json_body_or_query_args(client, how):
    create_model(client, "m", tags=[{"key": "k", "value": "v"}])
    create_version(client, "m", tags=[{"key": "vk", "value": "vv"}])
    ok(call(client, "POST", "/registered-models/alias", {"name": "m", "alias": "champ", "version": "1"}))
    for path, fields in DELETES:
        options = {"json": fields} if how == "json" else {"query_string": fields}
        assert ok(client.delete(f"{API}{path}", **options)) == {}, path
        assert client.delete(f"{API}{path}", **options).status_code == 404, path
    assert model_names(client) == []


# --- search ------------------------------------------------------------------------------------------


@pytest.fixture
def zoo(client, clock):
    """Models alpha, beta, gamma (no tags) and a prompt, created in that order."""
    create_model(client, "alpha", tags=[{"key": "team", "value": "vision"}])
    create_model(client, "beta", tags=[{"key": "team", "value": "nlp"}, {"key": PROMPT_TAG, "value": "false"}])
    create_model(client, "gamma")
    create_model(client, "greeting", tags=[{"key": PROMPT_TAG, "value": "true"}])
    return client


MODEL_FILTERS = [
    ("name = 'alpha'", ["alpha"]),
    ("name != 'alpha'", ["beta", "gamma", "greeting"]),
    ("name LIKE 'g%'", ["gamma", "greeting"]),
    ("name LIKE 'G%'", []),  # LIKE is case-sensitive, on every database
    ("name ILIKE 'G%'", ["gamma", "greeting"]),
    ("name ILIKE '%A'", ["alpha", "beta", "gamma"]),
    ("name IN ('beta', 'gamma', 'nope')", ["beta", "gamma"]),
    ("tags.team = 'vision'", ["alpha"]),
    ("tag.team LIKE '%l%'", ["beta"]),
    ("tags.team != 'vision'", ["beta", "gamma", "greeting"]),  # models without the tag match too
    (f"tags.`{PROMPT_TAG}` != 'true'", ["alpha", "beta", "gamma"]),  # how the client hides prompts
    (f"tags.`{PROMPT_TAG}` = 'true'", ["greeting"]),  # how it finds them
    ("tags.team = 'vision' AND name LIKE 'a%'", ["alpha"]),
    ("tags.team = 'vision' AND name = 'beta'", []),
    ("tags.missing = 'x'", []),
    ("creation_timestamp >= 2000 AND creation_timestamp < 4000", ["beta", "gamma"]),
]


def test_search_models_filters(zoo):
    for filter_string, expected in MODEL_FILTERS:
        assert model_names(zoo, filter=filter_string) == expected, filter_string


def test_search_models_order_by(zoo):
    assert model_names(zoo) == ["alpha", "beta", "gamma", "greeting"]
    assert model_names(zoo, order_by=["name DESC"]) == ["greeting", "gamma", "beta", "alpha"]
    ok(call(zoo, "PATCH", "/registered-models/update", {"name": "beta", "description": "touched"}))
    assert model_names(zoo, order_by=["last_updated_timestamp DESC"]) == ["beta", "greeting", "gamma", "alpha"]
    assert model_names(zoo, order_by=["last_updated_timestamp ASC"]) == ["alpha", "gamma", "greeting", "beta"]
    assert model_names(zoo, order_by=["timestamp DESC", "name"])[0] == "beta"
    assert_error(call(zoo, "GET", "/registered-models/search", {"order_by": ["tags.team"]}), 400, INVALID,
                 "Cannot order registered models by 'team'; use one of name, creation_timestamp")


def test_search_models_bad_filters_say_what_to_fix(zoo):
    for fields, fragment in [
        ({"filter": "run_id = 'x'"}, "unknown attribute 'run_id'; valid attributes are"),
        ({"filter": "metrics.acc > 1"}, "metric keys cannot be used here"),
        ({"filter": "name = alpha"}, "must be compared with a quoted string"),
        ({"max_results": "0"}, "max_results must be between 1 and 1000, got 0"),
        ({"max_results": "1001"}, "max_results must be between 1 and 1000, got 1001"),
        ({"page_token": "garbage"}, "Invalid page_token"),
    ]:
        assert_error(call(zoo, "GET", "/registered-models/search", fields), 400, INVALID, fragment)


def walk(client, path: str, key: str, **fields) -> list[list[dict]]:
    """Every page of a search, following next_page_token to the end."""
    pages, token = [], None
    while True:
        page = ok(call(client, "GET", path, {**fields, **({"page_token": token} if token else {})}))
        pages.append(page.get(key, []))
        token = page.get("next_page_token")
        if not token:
            return pages
        assert len(pages) < 50, "the pages never end"


@pytest.mark.parametrize("order_by", [[], ["name DESC"], ["last_updated_timestamp DESC"]])
def test_walking_every_model_page_has_no_duplicates_or_gaps(client, clock, order_by):
    names = [f"model-{i:02d}" for i in range(11)]
    for name in names:
        create_model(client, name)
    create_model(client, "other")
    pages = walk(client, "/registered-models/search", "registered_models", max_results=3,
                 filter="name LIKE 'model-%'", order_by=order_by)
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    seen = [m["name"] for page in pages for m in page]
    expected = sorted(names, reverse=bool(order_by))  # creation order is name order here
    assert seen == expected


def test_max_results_and_the_default_page(client):
    for i in range(3):
        create_model(client, f"m{i}")
    first = search_models(client, max_results=2)
    assert [m["name"] for m in first["registered_models"]] == ["m0", "m1"] and first["next_page_token"]
    everything = search_models(client)
    assert len(everything["registered_models"]) == 3 and "next_page_token" not in everything
    assert search_models(client, filter="name = 'nope'") == {"registered_models": []}


# --- get-latest-versions --------------------------------------------------------------------------


@pytest.fixture
def staged(client):
    """Model 'm' with versions 1 (Production), 2 and 3 (Staging), 4 (None) and 5 (Archived)."""
    create_model(client, "m")
    for _ in range(5):
        create_version(client, "m")
    for version, stage in (("1", "Production"), ("2", "Staging"), ("3", "Staging"), ("5", "Archived")):
        ok(call(client, "POST", "/model-versions/transition-stage", {"name": "m", "version": version, "stage": stage,
                                                                      "archive_existing_versions": False}))
    return client


def latest(client, method: str, **fields) -> list[tuple[str, str]]:
    found = ok(call(client, method, "/registered-models/get-latest-versions", {"name": "m", **fields}))
    return [(v["version"], v["current_stage"]) for v in found["model_versions"]]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_get_latest_versions(staged, method):
    every_stage = [("4", "None"), ("3", "Staging"), ("1", "Production"), ("5", "Archived")]
    assert latest(staged, method) == every_stage
    assert latest(staged, method, stages=[]) == every_stage
    assert latest(staged, method, stages=["Staging"]) == [("3", "Staging")]
    assert latest(staged, method, stages=["production", "NONE"]) == [("4", "None"), ("1", "Production")]
    latest_of_model = get_model(staged, "m")["latest_versions"]
    assert [(v["version"], v["current_stage"]) for v in latest_of_model] == every_stage


def test_get_latest_versions_refusals(staged):
    assert_error(call(staged, "POST", "/registered-models/get-latest-versions", {"name": "m", "stages": ["Live"]}),
                 400, INVALID, "Invalid stage 'Live'; use one of None, Staging, Production, Archived")
    assert_error(call(staged, "GET", "/registered-models/get-latest-versions", {"name": "ghost"}), 404, MISSING,
                 "name=ghost")
    create_model(staged, "empty")
    assert ok(call(staged, "GET", "/registered-models/get-latest-versions", {"name": "empty"})) == {
        "model_versions": []}


# --- registered-model tags and aliases ---------------------------------------------------------------


def test_model_tags_set_overwrite_and_delete(client, clock):
    create_model(client, "m")
    for value in ("1", "2"):
        assert ok(call(client, "POST", "/registered-models/set-tag", {"name": "m", "key": "k", "value": value})) == {}
    ok(call(client, "POST", "/registered-models/set-tag", {"name": "m", "key": "other", "value": "x"}))
    assert tags_of(get_model(client, "m")) == {"k": "2", "other": "x"}
    ok(call(client, "DELETE", "/registered-models/delete-tag", {"name": "m", "key": "k"}))
    assert tags_of(get_model(client, "m")) == {"other": "x"}
    assert_error(call(client, "DELETE", "/registered-models/delete-tag", {"name": "m", "key": "k"}), 404,
                 MISSING, "No tag with key 'k' on m")
    assert_error(call(client, "POST", "/registered-models/set-tag", {"name": "m", "key": "bad key!", "value": "x"}),
                 400, INVALID, "Invalid tag key 'bad key!'")
    assert_error(call(client, "POST", "/registered-models/set-tag", {"name": "ghost", "key": "k", "value": "x"}),
                 404, MISSING, "name=ghost")


def test_registry_tag_values_may_be_as_long_as_mlflow_allows(client):
    """MLflow allows 100,000 characters; prompt templates live in the version tag mlflow.prompt.text."""
    long = 60_000  # past the experiment-tag limit of 5000, within every database's TEXT column
    create_model(client, "m", tags=[{"key": "long", "value": "x" * long}])
    create_version(client, "m", tags=[{"key": "mlflow.prompt.text", "value": "p" * long}])
    body = {"name": "m", "version": "1", "key": "t", "value": "y" * long}
    ok(call(client, "POST", "/model-versions/set-tag", body))
    assert len(tags_of(get_version(client, "m", "1"))["mlflow.prompt.text"]) == long
    too_long = {"name": "m", "key": "k", "value": "x" * 100_001}
    assert_error(call(client, "POST", "/registered-models/set-tag", too_long), 400, INVALID,
                 "Parameter 'value' is 100001 characters long; the limit is 100000")


def test_a_value_too_long_for_the_database_is_a_400(client, database_uri):
    """MySQL's TEXT holds 64 KB: a longer (but allowed) value is refused there, stored elsewhere."""
    create_model(client, "m")
    response = call(client, "POST", "/registered-models/set-tag", {"name": "m", "key": "k", "value": "x" * 100_000})
    if database_uri.startswith("mysql"):
        assert_error(response, 400, INVALID, "does not fit the database (too long or out of range); shorten it")
        assert tags_of(get_model(client, "m")) == {}
    else:
        assert ok(response) == {} and tags_of(get_model(client, "m")) == {"k": "x" * 100_000}


def alias_of(client, alias: str, name: str = "m"):
    return call(client, "GET", "/registered-models/alias", {"name": name, "alias": alias})


def test_alias_set_get_move_and_delete(client):
    create_model(client, "m")
    create_version(client, "m")
    create_version(client, "m")
    assert ok(call(client, "POST", "/registered-models/alias", {"name": "m", "alias": "champ", "version": "1"})) == {}
    assert ok(alias_of(client, "champ"))["model_version"] == get_version(client, "m", "1")
    assert get_version(client, "m", "1")["aliases"] == ["champ"]
    assert get_model(client, "m")["aliases"] == [{"alias": "champ", "version": "1"}]
    # Setting it again moves it.
    ok(call(client, "POST", "/registered-models/alias", {"name": "m", "alias": "champ", "version": 2}))
    assert ok(alias_of(client, "champ"))["model_version"]["version"] == "2"
    assert get_version(client, "m", "1")["aliases"] == []
    assert get_model(client, "m")["aliases"] == [{"alias": "champ", "version": "2"}]
    assert ok(call(client, "DELETE", "/registered-models/alias", {"name": "m", "alias": "champ"})) == {}
    assert_error(alias_of(client, "champ"), 404, MISSING, "Registered model alias champ not found on model m")
    assert_error(call(client, "DELETE", "/registered-models/alias", {"name": "m", "alias": "champ"}), 404,
                 MISSING, "alias champ not found")
    assert get_model(client, "m")["aliases"] == []


def test_alias_of_a_missing_version_or_model_is_404(client):
    create_model(client, "m")
    create_version(client, "m")
    assert_error(call(client, "POST", "/registered-models/alias", {"name": "m", "alias": "a", "version": "7"}), 404,
                 MISSING, "Model Version (name=m, version=7) not found")
    assert_error(call(client, "POST", "/registered-models/alias", {"name": "ghost", "alias": "a", "version": "1"}),
                 404, MISSING, "name=ghost")
    assert_error(alias_of(client, "a", name="ghost"), 404, MISSING, "name=ghost")


def test_invalid_alias_names_are_refused(client):
    create_model(client, "m")
    create_version(client, "m")
    for alias, fragment in [
        ("latest", "'latest' and 'v<number>' are reserved"), ("LATEST", "are reserved"), ("v1", "are reserved"),
        ("V12", "are reserved"), ("a b", "use letters, digits, '_' and '-'"), ("a/b", "Invalid alias 'a/b'"),
        ("a.b", "Invalid alias 'a.b'"), ("champ\n", "Invalid alias 'champ\n'"), ("", "Invalid alias ''"),
        ("x" * 251, "Parameter 'alias' is 251 characters long; the limit is 250"),
    ]:
        response = call(client, "POST", "/registered-models/alias", {"name": "m", "alias": alias, "version": "1"})
        assert_error(response, 400, INVALID, fragment)
    assert get_model(client, "m")["aliases"] == []


def test_alias_names_up_to_250_characters(client):
    create_model(client, "m")
    create_version(client, "m")
    for alias in ("x" * 250, "v1x", "latest-2", "Champion_2"):
        ok(call(client, "POST", "/registered-models/alias", {"name": "m", "alias": alias, "version": "1"}))
    assert sorted(get_version(client, "m", "1")["aliases"]) == sorted(["x" * 250, "v1x", "latest-2", "Champion_2"])


# --- model versions -----------------------------------------------------------------------------------


def test_create_version_wire_shape(client, clock):
    create_model(client, "m")
    version = create_version(client, "m", "s3://bucket/model", description="first", run_link="http://x/run",
                             tags=[{"key": "k", "value": "v"}])
    assert version == {
        "name": "m", "version": "1", "creation_timestamp": 2000, "last_updated_timestamp": 2000,
        "current_stage": "None", "description": "first", "source": "s3://bucket/model", "status": "READY",
        "tags": [{"key": "k", "value": "v"}], "run_link": "http://x/run", "aliases": [],
    }
    assert get_version(client, "m", "1") == version
    assert get_version(client, "m", 1) == version
    assert get_model(client, "m")["last_updated_timestamp"] == 2000
    assert_error(call(client, "POST", "/model-versions/create", {"name": "ghost", "source": "s3://b/m"}), 404,
                 MISSING, "name=ghost")


def test_version_numbers_are_never_reused(client):
    create_model(client, "m")
    assert [create_version(client, "m")["version"] for _ in range(3)] == ["1", "2", "3"]
    ok(call(client, "DELETE", "/model-versions/delete", {"name": "m", "version": "3"}))
    assert create_version(client, "m")["version"] == "4"
    ok(call(client, "DELETE", "/model-versions/delete", {"name": "m", "version": "4"}))
    ok(call(client, "DELETE", "/model-versions/delete", {"name": "m", "version": "2"}))
    assert create_version(client, "m")["version"] == "5"
    assert version_keys(client, order_by=["version_number ASC"]) == [("m", "1"), ("m", "5")]


def test_update_and_delete_a_version(client, clock):
    create_model(client, "m")
    create_version(client, "m", tags=[{"key": "k", "value": "v"}])
    ok(call(client, "POST", "/registered-models/alias", {"name": "m", "alias": "champ", "version": "1"}))
    updated = ok(call(client, "PATCH", "/model-versions/update", {"name": "m", "version": "1", "description": "d"}))
    assert updated["model_version"]["description"] == "d"
    assert updated["model_version"]["last_updated_timestamp"] == 3000
    assert get_version(client, "m", "1") == updated["model_version"]
    assert ok(call(client, "DELETE", "/model-versions/delete", {"name": "m", "version": "1"})) == {}
    assert_error(call(client, "GET", "/model-versions/get", {"name": "m", "version": "1"}), 404, MISSING,
                 "Model Version (name=m, version=1) not found")
    assert_error(alias_of(client, "champ"), 404, MISSING, "alias champ not found")  # the alias went with it
    assert get_model(client, "m")["latest_versions"] == []
    for method, path in (("PATCH", "/model-versions/update"), ("DELETE", "/model-versions/delete")):
        assert_error(call(client, method, path, {"name": "m", "version": "1", "description": "x"}), 404, MISSING,
                     "version=1")


def test_version_must_be_a_positive_integer(client):
    create_model(client, "m")
    for version in ["abc", "-1", "1.5", "²", "1e3", "9" * 12]:
        assert_error(call(client, "GET", "/model-versions/get", {"name": "m", "version": version}), 400, INVALID,
                     f"Model version must be a positive integer, got '{version}'")


def test_version_tags_set_and_delete(client):
    create_model(client, "m")
    create_version(client, "m")
    body = {"name": "m", "version": "1"}
    ok(call(client, "POST", "/model-versions/set-tag", {**body, "key": "k", "value": "1"}))
    ok(call(client, "POST", "/model-versions/set-tag", {**body, "key": "k", "value": "2"}))
    assert tags_of(get_version(client, "m", "1")) == {"k": "2"}
    ok(call(client, "DELETE", "/model-versions/delete-tag", {**body, "key": "k"}))
    assert tags_of(get_version(client, "m", "1")) == {}
    assert_error(call(client, "DELETE", "/model-versions/delete-tag", {**body, "key": "k"}), 404, MISSING,
                 "No tag with key 'k' on m version 1")
    assert_error(call(client, "POST", "/model-versions/set-tag", {"name": "m", "version": "2", "key": "k"}), 404,
                 MISSING, "version=2")


def test_transition_stage_and_archive_existing_versions(client):
    create_model(client, "m")
    for _ in range(3):
        create_version(client, "m")

    def transition(version, stage, archive):
        body = {"name": "m", "version": version, "stage": stage, "archive_existing_versions": archive}
        return ok(call(client, "POST", "/model-versions/transition-stage", body))["model_version"]["current_stage"]

    def stages():
        return {v: get_version(client, "m", v)["current_stage"] for v in ("1", "2", "3")}

    assert transition("1", "production", False) == "Production"
    assert transition("2", "Production", False) == "Production"
    assert stages() == {"1": "Production", "2": "Production", "3": "None"}
    assert transition("3", "PRODUCTION", True) == "Production"
    assert stages() == {"1": "Archived", "2": "Archived", "3": "Production"}
    assert transition("1", "Archived", True) == "Archived"  # archiving others applies to Staging/Production only
    assert stages() == {"1": "Archived", "2": "Archived", "3": "Production"}
    live = {"name": "m", "version": "1", "stage": "Live"}
    assert_error(call(client, "POST", "/model-versions/transition-stage", live), 400, INVALID,
                 "Invalid stage 'Live'; use one of None, Staging, Production, Archived")
    missing = {"name": "m", "version": "9", "stage": "None"}
    assert_error(call(client, "POST", "/model-versions/transition-stage", missing), 404, MISSING, "version=9")


@pytest.fixture
def versions(client, clock):
    """Models a (versions 1, 2 from a run, tagged) and b (version 1); returns the run id."""
    run_id = new_run(client)["run_id"]
    create_model(client, "a")
    create_model(client, "b")
    create_version(client, "a", f"runs:/{run_id}/model", run_id=run_id, tags=[{"key": "flavor", "value": "sklearn"}])
    create_version(client, "a", f"runs:/{run_id}/model2", tags=[{"key": "flavor", "value": "torch"}])
    create_version(client, "b", "s3://bucket/b")
    return run_id


def test_search_versions_filters(client, versions):
    run_id = versions
    for filter_string, expected in [
        ("name = 'a'", [("a", "2"), ("a", "1")]),
        ("name LIKE 'A'", []),
        ("name ILIKE 'A'", [("a", "2"), ("a", "1")]),
        (f"run_id = '{run_id}'", [("a", "2"), ("a", "1")]),
        (f"run_id IN ('{run_id}', 'other')", [("a", "2"), ("a", "1")]),
        ("run_id = 'other'", []),
        ("tags.flavor = 'torch'", [("a", "2")]),
        ("tags.flavor != 'torch'", [("a", "1"), ("b", "1")]),
        ("version_number = 1", [("a", "1"), ("b", "1")]),
        ("version_number > 1", [("a", "2")]),
        ("name = 'a' AND version_number < 2", [("a", "1")]),
        ("source_path = 's3://bucket/b'", [("b", "1")]),
        ("current_stage = 'None'", [("a", "2"), ("a", "1"), ("b", "1")]),
    ]:
        assert version_keys(client, filter=filter_string) == expected, filter_string


def test_search_versions_order_and_pages(client, versions):
    assert version_keys(client) == [("a", "2"), ("a", "1"), ("b", "1")]
    assert version_keys(client, order_by=["version_number ASC"]) == [("a", "1"), ("b", "1"), ("a", "2")]
    assert version_keys(client, order_by=["creation_timestamp DESC"]) == [("b", "1"), ("a", "2"), ("a", "1")]
    assert version_keys(client, order_by=["name DESC", "version_number ASC"]) == [("b", "1"), ("a", "1"), ("a", "2")]
    pages = walk(client, "/model-versions/search", "model_versions", max_results=2)
    assert [[(v["name"], v["version"]) for v in page] for page in pages] == [[("a", "2"), ("a", "1")], [("b", "1")]]
    assert_error(call(client, "GET", "/model-versions/search", {"order_by": ["tags.flavor"]}), 400, INVALID,
                 "Cannot order model versions by 'flavor'")
    assert_error(call(client, "GET", "/model-versions/search", {"filter": "params.p = '1'"}), 400, INVALID,
                 "param keys cannot be used here")
    assert_error(call(client, "GET", "/model-versions/search", {"max_results": "200001"}), 400, INVALID,
                 "max_results must be between 1 and 200000")


# --- where a version's files are ------------------------------------------------------------------------


def download_uri(client, name: str, version: str, headers=None) -> str:
    body = {"name": name, "version": version}
    return ok(call(client, "GET", "/model-versions/get-download-uri", body, headers))["artifact_uri"]


def test_download_uri_of_a_run_source_is_under_the_run(client):
    make_workspace(client, "team-a")
    run = new_run(client, in_ws("team-a"))
    create_model(client, "m", in_ws("team-a"))
    for source in (f"runs:/{run['run_id']}/model", f"runs:/{run['run_id']}/deep/model/", f"runs:/{run['run_id']}"):
        version = create_version(client, "m", source, in_ws("team-a"))
        assert version["source"] == source and version["run_id"] == run["run_id"]
    assert run["artifact_uri"].startswith("mlflow-artifacts:/workspaces/team-a/")
    assert download_uri(client, "m", "1", in_ws("team-a")) == f"{run['artifact_uri']}/model"
    assert download_uri(client, "m", "2", in_ws("team-a")) == f"{run['artifact_uri']}/deep/model"
    assert download_uri(client, "m", "3", in_ws("team-a")) == run["artifact_uri"]
    create_version(client, "m", "s3://bucket/elsewhere", in_ws("team-a"), run_id=run["run_id"])
    assert download_uri(client, "m", "4", in_ws("team-a")) == "s3://bucket/elsewhere"
    own = "mlflow-artifacts:/workspaces/team-a/1/model"
    create_version(client, "m", own, in_ws("team-a"))
    assert download_uri(client, "m", "5", in_ws("team-a")) == own


REFUSED_SOURCES = [  # (source, run_id, status, message fragment)
    ("runs:/{other}/model", None, 404, "Run '{other}' not found in workspace 'team-a'"),
    ("s3://bucket/m", "{other}", 404, "Run '{other}' not found in workspace 'team-a'"),
    ("runs:/{own}/model", "{other}", 400, "does not match the run of source"),
    ("runs:/nope/model", None, 404, "Run 'nope' not found"),
    ("runs:/{own}/../../../team-b/1/x/artifacts", None, 400, "'..'"),
    ("runs:/{own}/%2E%2E/%2e%2e/x", None, 400, "'..'"),
    ("mlflow-artifacts:/workspaces/team-b/1/model", None, 400,
     "targets workspace 'team-b' but the request's workspace is 'team-a'"),
    ("mlflow-artifacts://host:5000/workspaces/team-b/1/model", None, 400, "targets workspace 'team-b'"),
    ("mlflow-artifacts:/workspaces/team-a/../team-b/model", None, 400, "'..'"),
    ("mlflow-artifacts:/workspaces/team-a/%2e%2e/team-b/model", None, 400, "'..'"),
    ("mlflow-artifacts:/workspaces%2Fteam-b/model", None, 400, "targets workspace 'team-b'"),
    ("mlflow-artifacts:/1/legacy/model", None, 400, "outside workspace 'team-a'"),
    ("", None, 400, "Model version source must not be empty"),
    ("  ", None, 400, "Model version source must not be empty"),
]


def test_version_sources_outside_the_workspace_are_refused(client):
    for team in ("team-a", "team-b"):
        make_workspace(client, team)
    ids = {"own": new_run(client, in_ws("team-a"))["run_id"], "other": new_run(client, in_ws("team-b"))["run_id"]}
    create_model(client, "m", in_ws("team-a"))
    for source, run_id, status, fragment in REFUSED_SOURCES:
        body = {"name": "m", "source": source.format(**ids), **({"run_id": run_id.format(**ids)} if run_id else {})}
        response = call(client, "POST", "/model-versions/create", body, in_ws("team-a"))
        assert_error(response, status, INVALID if status == 400 else MISSING, fragment.format(**ids))
    assert version_keys(client, in_ws("team-a")) == []
    assert create_version(client, "m", "s3://bucket/ok", in_ws("team-a"))["version"] == "1"


# --- workspaces: every route is scoped -------------------------------------------------------------------


def every_model_request(name: str) -> list[tuple[str, str, dict]]:
    """One request per registry route that names a model (searches aside)."""
    version = {"name": name, "version": "1"}
    return [
        ("GET", "/registered-models/get", {"name": name}),
        ("POST", "/registered-models/rename", {"name": name, "new_name": "taken-over"}),
        ("PATCH", "/registered-models/update", {"name": name, "description": "overwritten"}),
        ("GET", "/registered-models/get-latest-versions", {"name": name}),
        ("POST", "/registered-models/get-latest-versions", {"name": name, "stages": ["None"]}),
        ("POST", "/registered-models/set-tag", {"name": name, "key": "team", "value": "intruder"}),
        ("DELETE", "/registered-models/delete-tag", {"name": name, "key": "team"}),
        ("POST", "/registered-models/alias", {"name": name, "alias": "champ", "version": "1"}),
        ("GET", "/registered-models/alias", {"name": name, "alias": "champ"}),
        ("DELETE", "/registered-models/alias", {"name": name, "alias": "champ"}),
        ("POST", "/model-versions/create", {"name": name, "source": "s3://bucket/intruder"}),
        ("GET", "/model-versions/get", version),
        ("PATCH", "/model-versions/update", {**version, "description": "overwritten"}),
        ("POST", "/model-versions/transition-stage", {**version, "stage": "Archived"}),
        ("POST", "/model-versions/set-tag", {**version, "key": "vk", "value": "intruder"}),
        ("DELETE", "/model-versions/delete-tag", {**version, "key": "vk"}),
        ("GET", "/model-versions/get-download-uri", version),
        ("DELETE", "/model-versions/delete", version),
        ("DELETE", "/registered-models/delete", {"name": name}),
    ]


REGISTRY_ROUTES = {(method, route.path) for route in ROUTES for method in route.methods
                   if route.path.startswith(("/registered-models/", "/model-versions/"))}
# Searches find nothing from another workspace, and a create there makes a model of its own.
NOT_ADDRESSED = {("GET", "/registered-models/search"), ("GET", "/model-versions/search"),
                 ("POST", "/registered-models/create")}


def test_the_scoping_table_covers_every_registry_route():
    assert {(method, path) for method, path, _ in every_model_request("m")} | NOT_ADDRESSED == REGISTRY_ROUTES


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_model_of_one_workspace_is_404_from_another(client, prefix):
    make_workspace(client, "team-a")
    make_workspace(client, "team-b")
    team_a = in_ws("team-a")
    create_model(client, "secret", team_a, description="mine", tags=[{"key": "team", "value": "a"}])
    create_version(client, "secret", headers=team_a, tags=[{"key": "vk", "value": "v"}])
    ok(call(client, "POST", "/registered-models/alias", {"name": "secret", "alias": "champ", "version": "1"}, team_a))
    before = get_model(client, "secret", team_a)
    for outsider in ({}, in_ws("team-b")):
        for method, path, fields in every_model_request("secret"):
            response = call(client, method, path, fields, outsider, prefix)
            assert_error(response, 404, MISSING, "Registered Model with name=secret not found in workspace")
        assert model_names(client, outsider) == [] and version_keys(client, outsider) == []
        assert model_names(client, outsider, filter="name = 'secret'") == []
    assert get_model(client, "secret", team_a) == before
    assert get_version(client, "secret", "1", team_a)["aliases"] == ["champ"]
    assert model_names(client, team_a) == ["secret"] and version_keys(client, team_a) == [("secret", "1")]


def test_prompts_are_counted_apart_and_block_deleting_their_workspace(client):
    make_workspace(client, "team-a")
    team_a = in_ws("team-a")
    create_model(client, "model-b", team_a, tags=[{"key": PROMPT_TAG, "value": "false"}])  # not a prompt
    create_model(client, "model-a", team_a)
    create_version(client, "model-a", headers=team_a)
    create_model(client, "prompt-a", team_a, tags=[{"key": PROMPT_TAG, "value": "true"}])
    create_version(client, "prompt-a", "prompt-template", team_a,
                   tags=[{"key": "mlflow.prompt.text", "value": "Hello {{name}}"}])
    assert_error(client.delete(f"{WORKSPACES}/team-a"), 409, "INVALID_STATE",
                 "Cannot delete workspace 'team-a': it still holds 2 registered model(s) and 1 prompt(s) "
                 "(e.g. 'model-a', 'model-b', 'prompt-a')")
    for name in ("model-a", "model-b"):
        ok(call(client, "DELETE", "/registered-models/delete", {"name": name}, team_a))
    assert_error(client.delete(f"{WORKSPACES}/team-a"), 409, "INVALID_STATE",
                 "it still holds 1 prompt(s) (e.g. 'prompt-a')")
    assert model_names(client, team_a, filter=f"tags.`{PROMPT_TAG}` = 'true'") == ["prompt-a"]
    ok(call(client, "DELETE", "/registered-models/delete", {"name": "prompt-a"}, team_a))
    assert client.delete(f"{WORKSPACES}/team-a").status_code == 204


def test_workspace_delete_names_experiments_and_models_together(client):
    make_workspace(client, "team-a")
    new_run(client, in_ws("team-a"))
    create_model(client, "m", in_ws("team-a"))
    response = client.delete(f"{WORKSPACES}/team-a")
    assert_error(response, 409, "INVALID_STATE", "holds 1 experiment(s) and 1 registered model(s)")
    assert "'m'" in response.json["message"]
    assert client.get(f"{WORKSPACES}/team-a").status_code == 200


def test_registry_without_workspaces_is_all_default(make_app):
    client = make_app(workspaces_enabled=False).test_client()
    create_model(client, "m")
    run = new_run(client)
    create_version(client, "m", f"runs:/{run['run_id']}/model")
    assert download_uri(client, "m", "1") == f"{run['artifact_uri']}/model"
    assert model_names(client) == ["m"]
