"""Experiments over REST (tracking/api/experiments.py): create, get, get-by-name, search, list,
update, delete, restore and tags, scoped by workspace, on the Flask test client."""

from __future__ import annotations

import os

import pytest

API = "/api/2.0/mlflow"
PREFIXES = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"]
WORKSPACES = "/api/3.0/mlflow/workspaces"
PROXY_ROOT = "mlflow-artifacts:/"


def in_ws(name: str) -> dict[str, str]:
    """The header that puts a request in a workspace."""
    return {"X-MLFLOW-WORKSPACE": name}


def assert_error(response, status: int, error_code: str, fragment: str) -> None:
    """The response is MLflow's JSON error with this status, code and message fragment."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error_code"] == error_code
    assert fragment in response.json["message"]


def make_workspace(client, name: str, **fields) -> None:
    response = client.post(WORKSPACES, json={"name": name, **fields})
    assert response.status_code == 201, response.json


def create(client, name: str, headers=None, prefix: str = API, **fields) -> str:
    """Create an experiment and return its id."""
    response = client.post(f"{prefix}/experiments/create", json={"name": name, **fields}, headers=headers)
    assert response.status_code == 200, response.json
    assert set(response.json) == {"experiment_id"}
    return response.json["experiment_id"]


def get(client, experiment_id: str, headers=None, prefix: str = API) -> dict:
    """The experiment object of a successful experiments/get."""
    response = client.get(f"{prefix}/experiments/get", query_string={"experiment_id": experiment_id},
                          headers=headers)
    assert response.status_code == 200, response.json
    return response.json["experiment"]


def post(client, path: str, body: dict, headers=None, prefix: str = API):
    return client.post(f"{prefix}{path}", json=body, headers=headers)


def search(client, headers=None, method: str = "POST", prefix: str = API, **fields):
    """A search response (GET sends the fields as a query string, as the mlflow client does)."""
    if method == "GET":
        return client.get(f"{prefix}/experiments/search", query_string=fields, headers=headers)
    return client.post(f"{prefix}/experiments/search", json=fields, headers=headers)


def names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [e["name"] for e in response.json.get("experiments", [])]


def walk(client, method: str, path: str = "/experiments/search", **fields) -> list[list[str]]:
    """Every page of a search, following next_page_token to the end."""
    pages, token = [], None
    while True:
        query = {**fields, **({"page_token": token} if token else {})}
        if method == "GET":
            response = client.get(f"{API}{path}", query_string=query)
        else:
            response = client.post(f"{API}{path}", json=query)
        pages.append(names(response))
        token = response.json.get("next_page_token")
        if not token:
            return pages
        assert len(pages) < 50, "page tokens never end"


# --- create / get / get-by-name ---------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_create_then_get_and_get_by_name_return_the_experiment(client, prefix):
    experiment_id = create(client, "exp-a", prefix=prefix,
                           tags=[{"key": "team", "value": "vision"}, {"key": "empty", "value": ""}])
    experiment = get(client, experiment_id, prefix=prefix)
    assert sorted(experiment.pop("tags"), key=str) == [{"key": "empty", "value": ""},
                                                        {"key": "team", "value": "vision"}]
    assert experiment == {
        "experiment_id": experiment_id,
        "name": "exp-a",
        "artifact_location": f"{PROXY_ROOT}workspaces/default/{experiment_id}",
        "lifecycle_stage": "active",
        "last_update_time": experiment["creation_time"],
        "creation_time": experiment["creation_time"],
    }
    assert isinstance(experiment["creation_time"], int) and experiment["creation_time"] > 0
    by_name = client.get(f"{prefix}/experiments/get-by-name", query_string={"experiment_name": "exp-a"})
    assert by_name.status_code == 200
    found = by_name.json["experiment"]
    found.pop("tags")
    assert found == experiment


def test_the_default_experiment_exists_in_the_default_workspace(client):
    experiment = get(client, "0")
    assert experiment["name"] == "Default"
    assert experiment["lifecycle_stage"] == "active"
    assert experiment["artifact_location"] == f"{PROXY_ROOT}workspaces/default/0"


def test_ids_are_distinct_strings(client):
    ids = [create(client, f"exp-{i}") for i in range(3)]
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    assert len(set(ids + ["0"])) == 4


def test_get_unknown_experiment_is_404(client):
    assert_error(client.get(f"{API}/experiments/get?experiment_id=4242"), 404,
                 "RESOURCE_DOES_NOT_EXIST", "No experiment with id '4242' exists in workspace 'default'")


def test_get_by_unknown_name_is_404(client):
    response = client.get(f"{API}/experiments/get-by-name?experiment_name=nope")
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST",
                 "Could not find experiment with name 'nope' in workspace 'default'")


def test_duplicate_name_in_a_workspace_is_refused(client):
    create(client, "dup")
    assert_error(post(client, "/experiments/create", {"name": "dup"}), 400,
                 "RESOURCE_ALREADY_EXISTS", "Experiment 'dup' already exists in workspace 'default'")


def test_name_of_a_deleted_experiment_is_still_taken(client):
    experiment_id = create(client, "gone")
    assert post(client, "/experiments/delete", {"experiment_id": experiment_id}).status_code == 200
    assert_error(post(client, "/experiments/create", {"name": "gone"}), 400, "RESOURCE_ALREADY_EXISTS",
                 "already exists in deleted state")


def test_blank_name_is_refused(client):
    assert_error(post(client, "/experiments/create", {"name": "   "}), 400,
                 "INVALID_PARAMETER_VALUE", "Experiment name must be a non-empty string")


# --- workspaces --------------------------------------------------------------------------------


def test_same_name_is_allowed_in_two_workspaces(client):
    make_workspace(client, "team-a")
    in_default = create(client, "shared")
    in_team = create(client, "shared", headers=in_ws("team-a"))
    assert in_default != in_team
    for headers, expected in ((None, in_default), (in_ws("team-a"), in_team)):
        response = client.get(f"{API}/experiments/get-by-name?experiment_name=shared", headers=headers)
        assert response.json["experiment"]["experiment_id"] == expected
    assert get(client, in_team, headers=in_ws("team-a"))["artifact_location"] == (
        f"{PROXY_ROOT}workspaces/team-a/{in_team}"
    )


def test_experiment_of_another_workspace_is_404_and_untouched(client):
    make_workspace(client, "team-a")
    experiment_id = create(client, "private", tags=[{"key": "k", "value": "v"}])
    other = in_ws("team-a")
    missing = f"No experiment with id '{experiment_id}' exists in workspace 'team-a'"
    assert_error(client.get(f"{API}/experiments/get?experiment_id={experiment_id}", headers=other),
                 404, "RESOURCE_DOES_NOT_EXIST", missing)
    assert_error(client.get(f"{API}/experiments/get-by-name?experiment_name=private", headers=other),
                 404, "RESOURCE_DOES_NOT_EXIST", "in workspace 'team-a'")
    for path, body in (
        ("/experiments/update", {"experiment_id": experiment_id, "new_name": "stolen"}),
        ("/experiments/delete", {"experiment_id": experiment_id}),
        ("/experiments/restore", {"experiment_id": experiment_id}),
        ("/experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "k", "value": "x"}),
        ("/experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "k"}),
        ("/runs/create", {"experiment_id": experiment_id}),
    ):
        assert_error(post(client, path, body, headers=other), 404, "RESOURCE_DOES_NOT_EXIST", missing)
    assert names(search(client, headers=other)) == []
    experiment = get(client, experiment_id)
    assert (experiment["name"], experiment["lifecycle_stage"], experiment["tags"]) == (
        "private", "active", [{"key": "k", "value": "v"}]
    )


def test_search_only_sees_its_workspace(client):
    make_workspace(client, "team-a")
    create(client, "mine")
    create(client, "theirs", headers=in_ws("team-a"))
    assert names(search(client, order_by=["name"])) == ["Default", "mine"]
    assert names(search(client, headers=in_ws("team-a"))) == ["theirs"]
    assert names(client.get(f"{API}/experiments/list", headers=in_ws("team-a"))) == ["theirs"]


# --- search ------------------------------------------------------------------------------------


@pytest.fixture
def catalog(client):
    """Five experiments besides Default: tags team/stage, one deleted ('e-old')."""
    ids = {}
    for name, team, stage in (("e-alpha", "vision", "prod"), ("e-beta", "vision", "dev"),
                              ("e-gamma", "nlp", "prod"), ("e-delta", "nlp", None),
                              ("e-old", "vision", "prod")):
        tags = [{"key": "team", "value": team}] + ([{"key": "stage", "value": stage}] if stage else [])
        ids[name] = create(client, name, tags=tags)
    assert post(client, "/experiments/delete", {"experiment_id": ids["e-old"]}).status_code == 200
    return ids


FILTERS = [
    ("name = 'e-alpha'", ["e-alpha"]),
    ("name != 'e-alpha'", ["Default", "e-beta", "e-delta", "e-gamma"]),
    ("name LIKE 'e-%a'", ["e-alpha", "e-beta", "e-delta", "e-gamma"]),
    ("name LIKE 'E-%'", []),
    ("name ILIKE 'E-%A'", ["e-alpha", "e-beta", "e-delta", "e-gamma"]),
    ("attributes.name IN ('e-beta', 'e-gamma', 'nope')", ["e-beta", "e-gamma"]),
    ("name NOT IN ('e-beta', 'Default')", ["e-alpha", "e-delta", "e-gamma"]),
    ("tags.team = 'vision'", ["e-alpha", "e-beta"]),
    ("tags.team = 'vision' AND tags.stage = 'prod'", ["e-alpha"]),
    ("tags.stage != 'prod'", ["e-beta"]),  # a missing tag never matches, as in MLflow
    ("tags.stage LIKE 'p%'", ["e-alpha", "e-gamma"]),
    ("tags.`team` ILIKE 'NLP'", ["e-delta", "e-gamma"]),
    ("tags.nope = 'x'", []),
    ("creation_time > 0", ["Default", "e-alpha", "e-beta", "e-delta", "e-gamma"]),
    ("creation_time < 0", []),
    ("last_update_time >= 0 AND name = 'e-beta'", ["e-beta"]),
    ("experiment_id = '0'", ["Default"]),
    ("experiment_id IN ('0', '424242')", ["Default"]),
    ("experiment_id = 'abc'", []),
]


def test_search_filters(client, catalog):
    for method in ("POST", "GET"):
        for filter_string, expected in FILTERS:
            found = names(search(client, method=method, filter=filter_string, order_by=["name ASC"]))
            assert found == expected, (method, filter_string)


def test_search_by_experiment_id_pattern(client, catalog):
    alpha = catalog["e-alpha"]
    found = search(client, filter=f"experiment_id LIKE '{alpha}'")
    assert names(found) == ["e-alpha"]
    everything = names(search(client, filter="experiment_id LIKE '%'", order_by=["name"]))
    assert everything == ["Default", "e-alpha", "e-beta", "e-delta", "e-gamma"]


def test_search_view_types(client, catalog):
    active = ["Default", "e-alpha", "e-beta", "e-delta", "e-gamma"]
    for view_type, expected in (("ACTIVE_ONLY", active), ("DELETED_ONLY", ["e-old"]),
                                ("ALL", sorted(active + ["e-old"])), ("2", ["e-old"])):
        for method in ("POST", "GET"):
            response = search(client, method=method, view_type=view_type, order_by=["name"])
            assert names(response) == expected, (view_type, method)


def test_search_order_by(client, catalog):
    by_name = ["Default", "e-alpha", "e-beta", "e-delta", "e-gamma"]
    assert names(search(client, order_by=["name"])) == by_name
    assert names(search(client, order_by=["name ASC"])) == by_name
    assert names(search(client, order_by=["attributes.name DESC"])) == by_name[::-1]
    assert names(search(client, method="GET", order_by=["name DESC"])) == by_name[::-1]
    newest = search(client, order_by=["creation_time DESC"]).json["experiments"]
    times = [e["creation_time"] for e in newest]
    assert times == sorted(times, reverse=True)
    oldest = search(client, order_by=["creation_time ASC"]).json["experiments"]
    assert oldest[0]["name"] == "Default"
    by_id = search(client, order_by=["experiment_id DESC"]).json["experiments"]
    assert [int(e["experiment_id"]) for e in by_id] == sorted(
        [int(i) for i in catalog.values() if i != catalog["e-old"]] + [0], reverse=True
    )


def test_search_default_order_is_newest_first(client):
    ids = [create(client, f"n{i}") for i in range(3)]
    found = search(client).json["experiments"]
    times = [e["creation_time"] for e in found]
    assert times == sorted(times, reverse=True)
    assert {e["experiment_id"] for e in found} == {"0", *ids}


def test_search_ordered_by_a_tag_is_refused_with_the_choices(client):
    assert_error(search(client, order_by=["tags.team"]), 400, "INVALID_PARAMETER_VALUE",
                 "Cannot order experiments by tag 'team'; order by one of the attributes name")


def test_search_max_results_and_empty_last_page(client, catalog):
    response = search(client, max_results=2, order_by=["name"])
    assert names(response) == ["Default", "e-alpha"]
    assert response.json["next_page_token"]
    exact = search(client, max_results=5)
    assert len(exact.json["experiments"]) == 5
    assert "next_page_token" not in exact.json


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_page_tokens_walk_every_experiment_once(client, method):
    expected = ["Default"] + [f"w{i:02d}" for i in range(11)]
    for name in expected[1:]:
        create(client, name)
    for size in (1, 3, 5, 12):
        pages = walk(client, method, max_results=size, order_by=["name"])
        assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1)
        assert sum(pages, []) == expected, size
    default_order = sum(walk(client, method, max_results=4), [])
    assert sorted(default_order) == expected and len(default_order) == len(expected)
    filtered = sum(walk(client, method, max_results=2, filter="name LIKE 'w0%'", order_by=["name"]), [])
    assert filtered == [f"w{i:02d}" for i in range(10)]


def test_list_is_search_for_the_seeds_curl_example(client, catalog):
    response = client.get(f"{API}/experiments/list")
    assert sorted(names(response)) == ["Default", "e-alpha", "e-beta", "e-delta", "e-gamma"]
    pages = walk(client, "GET", path="/experiments/list", max_results=2, order_by=["name"])
    assert pages == [["Default", "e-alpha"], ["e-beta", "e-delta"], ["e-gamma"]]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_both_prefixes_serve_search(client, catalog, prefix):
    for method in ("GET", "POST"):
        response = search(client, method=method, prefix=prefix, filter="tags.team = 'nlp'", order_by=["name"])
        assert names(response) == ["e-delta", "e-gamma"]


# --- update / delete / restore -----------------------------------------------------------------


def test_rename(client):
    experiment_id = create(client, "before")
    created = get(client, experiment_id)
    response = post(client, "/experiments/update", {"experiment_id": experiment_id, "new_name": "after"})
    assert (response.status_code, response.json) == (200, {})
    renamed = get(client, experiment_id)
    assert renamed["name"] == "after"
    assert renamed["last_update_time"] >= created["last_update_time"]
    assert renamed["artifact_location"] == created["artifact_location"]
    assert client.get(f"{API}/experiments/get-by-name?experiment_name=before").status_code == 404
    assert client.get(f"{API}/experiments/get-by-name?experiment_name=after").json["experiment"][
        "experiment_id"] == experiment_id
    assert create(client, "before") != experiment_id  # the old name is free again


def test_rename_to_a_taken_name_is_refused(client):
    first = create(client, "first")
    create(client, "second")
    assert_error(post(client, "/experiments/update", {"experiment_id": first, "new_name": "second"}),
                 400, "RESOURCE_ALREADY_EXISTS", "Experiment 'second' already exists")
    assert get(client, first)["name"] == "first"


def test_rename_to_a_name_used_in_another_workspace_is_fine(client):
    make_workspace(client, "team-a")
    create(client, "taken", headers=in_ws("team-a"))
    experiment_id = create(client, "free")
    assert post(client, "/experiments/update", {"experiment_id": experiment_id, "new_name": "taken"}).status_code == 200
    assert get(client, experiment_id)["name"] == "taken"


def test_rename_of_a_deleted_experiment_is_refused(client):
    experiment_id = create(client, "sleeping")
    post(client, "/experiments/delete", {"experiment_id": experiment_id})
    assert_error(post(client, "/experiments/update", {"experiment_id": experiment_id, "new_name": "x"}),
                 400, "INVALID_PARAMETER_VALUE", "restore it before renaming it")


def test_delete_and_restore_take_the_experiments_runs_along(client):
    experiment_id = create(client, "lifecycle")
    runs = [post(client, "/runs/create", {"experiment_id": experiment_id}).json["run"]["info"]["run_id"]
            for _ in range(3)]
    post(client, "/runs/delete", {"run_id": runs[0]})  # deleted on its own: stays deleted

    assert post(client, "/experiments/delete", {"experiment_id": experiment_id}).json == {}
    assert get(client, experiment_id)["lifecycle_stage"] == "deleted"
    assert client.get(f"{API}/experiments/get-by-name?experiment_name=lifecycle").json["experiment"][
        "lifecycle_stage"] == "deleted"
    assert "lifecycle" not in names(search(client))
    assert [run_stage(client, r) for r in runs] == ["deleted"] * 3
    assert_error(post(client, "/runs/create", {"experiment_id": experiment_id}), 400,
                 "INVALID_PARAMETER_VALUE", "is deleted; restore it before adding runs")
    assert_error(post(client, "/experiments/set-experiment-tag",
                      {"experiment_id": experiment_id, "key": "k", "value": "v"}),
                 400, "INVALID_PARAMETER_VALUE", "is deleted; restore it before changing it")

    assert post(client, "/experiments/restore", {"experiment_id": experiment_id}).json == {}
    assert get(client, experiment_id)["lifecycle_stage"] == "active"
    assert [run_stage(client, r) for r in runs] == ["deleted", "active", "active"]
    assert post(client, "/runs/create", {"experiment_id": experiment_id}).status_code == 200


def run_stage(client, run_id: str) -> str:
    return client.get(f"{API}/runs/get?run_id={run_id}").json["run"]["info"]["lifecycle_stage"]


def test_delete_restore_unknown_is_404(client):
    for path in ("/experiments/delete", "/experiments/restore"):
        assert_error(post(client, path, {"experiment_id": "777"}), 404, "RESOURCE_DOES_NOT_EXIST",
                     "No experiment with id '777'")


# --- tags --------------------------------------------------------------------------------------


def test_set_overwrite_and_delete_tag(client):
    experiment_id = create(client, "tagged")
    for value in ("one", "two"):
        response = post(client, "/experiments/set-experiment-tag",
                        {"experiment_id": experiment_id, "key": "note", "value": value})
        assert (response.status_code, response.json) == (200, {})
    post(client, "/experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "a.b/c d:e", "value": "x"})
    tags = {t["key"]: t["value"] for t in get(client, experiment_id)["tags"]}
    assert tags == {"note": "two", "a.b/c d:e": "x"}
    assert names(search(client, filter="tags.note = 'two'")) == ["tagged"]

    response = post(client, "/experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "note"})
    assert (response.status_code, response.json) == (200, {})
    assert get(client, experiment_id)["tags"] == [{"key": "a.b/c d:e", "value": "x"}]
    assert_error(post(client, "/experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "note"}),
                 404, "RESOURCE_DOES_NOT_EXIST", "No tag with key 'note'")


def test_tag_value_limit(client):
    experiment_id = create(client, "limits")
    ok = post(client, "/experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "k", "value": "v" * 5000})
    assert ok.status_code == 200
    assert_error(post(client, "/experiments/set-experiment-tag",
                      {"experiment_id": experiment_id, "key": "k", "value": "v" * 5001}),
                 400, "INVALID_PARAMETER_VALUE", "Parameter 'value' is 5001 characters long; the limit is 5000")
    assert get(client, experiment_id)["tags"] == [{"key": "k", "value": "v" * 5000}]


# --- artifact locations (seeds, "Artifact Behavior") -------------------------------------------


def test_location_under_the_server_root_per_workspace(make_app, tmp_path):
    root = tmp_path / "art"
    client = make_app(default_artifact_root=str(root)).test_client()
    make_workspace(client, "team-a")
    in_default = create(client, "d")
    in_team = create(client, "t", headers=in_ws("team-a"))
    assert get(client, "0")["artifact_location"] == f"{root}/workspaces/default/0"
    assert get(client, in_default)["artifact_location"] == f"{root}/workspaces/default/{in_default}"
    assert get(client, in_team, headers=in_ws("team-a"))["artifact_location"] == (
        f"{root}/workspaces/team-a/{in_team}"
    )


def test_location_under_the_workspace_root(client):
    make_workspace(client, "team-b", default_artifact_root="s3://bucket/team-b/")
    experiment_id = create(client, "t", headers=in_ws("team-b"))
    location = get(client, experiment_id, headers=in_ws("team-b"))["artifact_location"]
    assert location == f"s3://bucket/team-b/{experiment_id}"
    run = post(client, "/runs/create", {"experiment_id": experiment_id}, headers=in_ws("team-b")).json["run"]
    assert run["info"]["artifact_uri"] == f"{location}/{run['info']['run_id']}/artifacts"


def test_changing_the_workspace_root_keeps_existing_locations(client):
    make_workspace(client, "team-c")
    before = create(client, "before", headers=in_ws("team-c"))
    assert client.patch(f"{WORKSPACES}/team-c", json={"default_artifact_root": "gs://b/c"}).status_code == 200
    after = create(client, "after", headers=in_ws("team-c"))
    assert get(client, before, headers=in_ws("team-c"))["artifact_location"] == (
        f"{PROXY_ROOT}workspaces/team-c/{before}"
    )
    assert get(client, after, headers=in_ws("team-c"))["artifact_location"] == f"gs://b/c/{after}"


def test_artifact_location_is_refused_when_workspaces_are_enabled(client):
    response = post(client, "/experiments/create", {"name": "x", "artifact_location": "s3://mine/x"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE",
                 "artifact_location cannot be specified when workspaces are enabled")
    assert client.get(f"{API}/experiments/get-by-name?experiment_name=x").status_code == 404


def test_locations_without_workspaces(make_app, tmp_path):
    root = tmp_path / "plain"
    client = make_app(workspaces_enabled=False, default_artifact_root=str(root)).test_client()
    assert get(client, "0")["artifact_location"] == f"{root}/0"
    plain = create(client, "plain")
    assert get(client, plain)["artifact_location"] == f"{root}/{plain}"
    chosen = create(client, "chosen", artifact_location="s3://bucket/chosen")
    assert get(client, chosen)["artifact_location"] == "s3://bucket/chosen"
    local = create(client, "local", artifact_location=str(tmp_path / "mine"))
    assert get(client, local)["artifact_location"] == str(tmp_path / "mine")
    relative = create(client, "relative", artifact_location="rel/dir")
    assert get(client, relative)["artifact_location"] == os.path.abspath("rel/dir")


def test_proxy_locations_without_workspaces(make_app):
    client = make_app(workspaces_enabled=False).test_client()
    experiment_id = create(client, "proxied")
    assert get(client, experiment_id)["artifact_location"] == f"{PROXY_ROOT}{experiment_id}"
