"""Searches and lists return exactly what the user may read, in full pages whose tokens walk the
whole visible set once: the visibility filter is part of the store query."""

from __future__ import annotations

import pytest

from tests.auth.conftest import admin_headers, admin_post, as_user, new_user

API = "/api/2.0/mlflow"
WS_API = "/api/3.0/mlflow"
TEAM = "team-a"
LEVELS = ["READ", "USE", "EDIT", "MANAGE"]
PROMPT_TAG = [{"key": "mlflow.prompt.is_prompt", "value": "true"}]
IS_PROMPT, NOT_PROMPT = "tags.`mlflow.prompt.is_prompt` = 'true'", "tags.`mlflow.prompt.is_prompt` != 'true'"

EXPLICIT_EXPERIMENTS = [1, 4, 7, 10, 13, 19, 24]    # reader: readable by explicit grant
HIDDEN_EXPERIMENTS = [0, 3, 6, 9, 12]               # member: explicit NO_PERMISSIONS under workspace READ
EXPLICIT_MODELS = [0, 5, 8, 11, 17, 20, 23]
HIDDEN_MODELS = [2, 4, 6, 8]
EXPLICIT_PROMPTS, HIDDEN_PROMPTS = [1, 4], [0]


def experiment_name(i): return f"exp-{i:02d}"
def run_name(i): return f"run-{i:02d}"
def model_name(i): return f"model-{i:02d}"
def prompt_name(i): return f"prompt-{i}"


@pytest.fixture(scope="module")
def world(make_module_auth_app):
    """team-a: 25 experiments with a run each, 25 models and 6 prompts with a version each.

    reader: no workspace grant; explicit grants (every readable level) on 7 experiments, 7 models and
            2 prompts, and explicit NO_PERMISSIONS on one more of each.
    member: READ on team-a; explicit NO_PERMISSIONS on 5 experiments, 4 models, 1 prompt.
    """
    app = make_module_auth_app()
    client = app.test_client()
    admin_post(client, f"{WS_API}/workspaces", {"name": TEAM})
    admin_post(client, f"{WS_API}/workspaces", {"name": "team-b"})
    post = lambda path, body: admin_post(client, f"{API}/{path}", body, TEAM)
    experiments = {}
    for i in range(25):
        experiments[i] = post("experiments/create", {"name": experiment_name(i)})["experiment_id"]
        post("runs/create", {"experiment_id": experiments[i], "run_name": run_name(i)})
        post("registered-models/create", {"name": model_name(i)})
        post("model-versions/create", {"name": model_name(i), "source": "s3://bucket/m"})
    for i in range(6):
        post("registered-models/create", {"name": prompt_name(i), "tags": PROMPT_TAG})
        post("model-versions/create", {"name": prompt_name(i), "source": "prompt",
                                       "tags": [{"key": "mlflow.prompt.text", "value": "Hi"}]})
    elsewhere = admin_post(client, f"{API}/experiments/create", {"name": "exp-elsewhere"}, "team-b")["experiment_id"]
    reader, member, outsider = new_user(client, "reader"), new_user(client, "member"), new_user(client, "outsider")

    def grant_experiment(user, i, level):
        post("experiments/permissions/create", {"experiment_id": experiments[i], "username": user, "permission": level})

    def grant_model(user, name, level):
        post("registered-models/permissions/create", {"name": name, "username": user, "permission": level})

    for n, i in enumerate(EXPLICIT_EXPERIMENTS):
        grant_experiment(reader, i, LEVELS[n % 4])
    grant_experiment(reader, 2, "NO_PERMISSIONS")
    for n, i in enumerate(EXPLICIT_MODELS):
        grant_model(reader, model_name(i), LEVELS[n % 4])
    grant_model(reader, model_name(1), "NO_PERMISSIONS")
    for i in EXPLICIT_PROMPTS:
        grant_model(reader, prompt_name(i), "READ")
    grant_model(reader, prompt_name(2), "NO_PERMISSIONS")
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": elsewhere, "username": reader, "permission": "READ"}, "team-b")

    admin_post(client, f"{WS_API}/workspaces/{TEAM}/permissions", {"username": member, "permission": "READ"})
    for i in HIDDEN_EXPERIMENTS:
        grant_experiment(member, i, "NO_PERMISSIONS")
    grant_experiment(member, 1, "READ")  # explicit READ under workspace READ changes nothing
    for i in HIDDEN_MODELS:
        grant_model(member, model_name(i), "NO_PERMISSIONS")
    for i in HIDDEN_PROMPTS:
        grant_model(member, prompt_name(i), "NO_PERMISSIONS")
    admin_post(client, f"{WS_API}/workspaces/team-b/permissions", {"username": outsider, "permission": "NO_PERMISSIONS"})
    return client


def walk(fetch, key: str, name_of) -> tuple[list[str], list[int]]:
    """Every item of every page (in order) and the size of each page."""
    names, sizes, token = [], [], None
    for _ in range(30):
        page = fetch(token)
        assert page.status_code == 200, page.json
        items = page.json.get(key, [])
        names += [name_of(item) for item in items]
        sizes.append(len(items))
        token = page.json.get("next_page_token")
        if not token:
            return names, sizes
    raise AssertionError("the page tokens never end")


def full_pages(count: int, size: int = 3) -> list[int]:
    return [size] * (count // size) + ([count % size] if count % size else []) or [0]


def expected(kind: str, user: str) -> set[str]:
    everything = {
        "experiment": {experiment_name(i) for i in range(25)},
        "run": {run_name(i) for i in range(25)},
        "model": {model_name(i) for i in range(25)},
        "prompt": {prompt_name(i) for i in range(6)},
    }[kind]
    if user == "admin":
        return everything
    if user == "reader":
        return {
            "experiment": {experiment_name(i) for i in EXPLICIT_EXPERIMENTS},
            "run": {run_name(i) for i in EXPLICIT_EXPERIMENTS},
            "model": {model_name(i) for i in EXPLICIT_MODELS},
            "prompt": {prompt_name(i) for i in EXPLICIT_PROMPTS},
        }[kind]
    if user == "member":
        hidden = {
            "experiment": {experiment_name(i) for i in HIDDEN_EXPERIMENTS},
            "run": {run_name(i) for i in HIDDEN_EXPERIMENTS},
            "model": {model_name(i) for i in HIDDEN_MODELS},
            "prompt": {prompt_name(i) for i in HIDDEN_PROMPTS},
        }[kind]
        return everything - hidden
    return set()


def headers_of(user: str, workspace: str = TEAM) -> dict:
    return as_user(None if user == "admin" else user, workspace)


USERS = ["reader", "member", "outsider", "admin"]


def assert_walk(fetch, key, name_of, wanted: set[str]):
    names, sizes = walk(fetch, key, name_of)
    assert len(names) == len(set(names)), "an item came twice"
    assert set(names) == wanted
    assert sizes == full_pages(len(wanted)), sizes


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("how", ["POST search", "GET search", "GET list"])
def test_search_experiments(world, user, how):
    client = world
    path, method = {"POST search": ("experiments/search", "POST"), "GET search": ("experiments/search", "GET"),
                    "GET list": ("experiments/list", "GET")}[how]

    def fetch(token):
        query = {"max_results": 3, **({"page_token": token} if token else {})}
        if method == "GET":
            return client.get(f"{API}/{path}", query_string=query, headers=headers_of(user))
        return client.post(f"{API}/{path}", json=query, headers=headers_of(user))

    assert_walk(fetch, "experiments", lambda e: e["name"], expected("experiment", user))


@pytest.mark.parametrize("user", USERS)
def test_search_runs(world, user):
    client = world
    ids = [e["experiment_id"] for e in client.post(f"{API}/experiments/search", json={"max_results": 100},
                                                   headers=headers_of("admin")).json["experiments"]]
    assert len(ids) == 25

    def fetch(token):
        body = {"experiment_ids": ids, "max_results": 3, **({"page_token": token} if token else {})}
        return client.post(f"{API}/runs/search", json=body, headers=headers_of(user))

    assert_walk(fetch, "runs", lambda r: r["info"]["run_name"], expected("run", user))


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("kind, filter_string", [("model", NOT_PROMPT), ("prompt", IS_PROMPT)])
def test_search_registered_models_and_prompts(world, user, kind, filter_string):
    client = world

    def fetch(token):
        query = {"max_results": 3, "filter": filter_string, **({"page_token": token} if token else {})}
        return client.get(f"{API}/registered-models/search", query_string=query, headers=headers_of(user))

    assert_walk(fetch, "registered_models", lambda m: m["name"], expected(kind, user))


@pytest.mark.parametrize("user", USERS)
def test_search_model_versions(world, user):
    client = world

    def fetch(token):
        query = {"max_results": 3, **({"page_token": token} if token else {})}
        return client.get(f"{API}/model-versions/search", query_string=query, headers=headers_of(user))

    assert_walk(fetch, "model_versions", lambda v: v["name"], expected("model", user) | expected("prompt", user))


def test_filters_and_orders_still_apply_under_visibility(world):
    client = world
    found = client.post(f"{API}/experiments/search", headers=headers_of("reader"),
                        json={"filter": "name LIKE 'exp-1%'", "order_by": ["name DESC"], "max_results": 2})
    assert [e["name"] for e in found.json["experiments"]] == ["exp-19", "exp-13"]
    rest = client.post(f"{API}/experiments/search", headers=headers_of("reader"),
                       json={"filter": "name LIKE 'exp-1%'", "order_by": ["name DESC"], "max_results": 2,
                             "page_token": found.json["next_page_token"]})
    assert [e["name"] for e in rest.json["experiments"]] == ["exp-10"] and "next_page_token" not in rest.json
    versions = client.get(f"{API}/model-versions/search", headers=headers_of("member"),
                          query_string={"filter": "name = 'model-04'"})
    assert versions.json == {"model_versions": []}  # hidden from member by an explicit NO_PERMISSIONS


def test_lists_hold_the_request_workspace_only(world):
    client = world
    found = client.post(f"{API}/experiments/search", json={}, headers=headers_of("reader", "team-b")).json
    assert [e["name"] for e in found["experiments"]] == ["exp-elsewhere"]
    assert "exp-elsewhere" not in {e["name"] for e in client.post(
        f"{API}/experiments/search", json={"max_results": 100}, headers=headers_of("reader")).json["experiments"]}


@pytest.mark.parametrize("user, workspaces", [
    ("reader", []),              # explicit grants on resources do not list their workspace
    ("member", [TEAM]),
    ("outsider", []),            # a NO_PERMISSIONS row hides the workspace
    ("admin", ["default", TEAM, "team-b"]),
])
def test_list_workspaces_without_grant_default(world, user, workspaces):
    client = world
    listed = client.get(f"{WS_API}/workspaces", headers=headers_of(user, None)).json["workspaces"]
    assert [w["name"] for w in listed] == workspaces


def test_list_workspaces_with_grant_default_shows_default_to_everyone(make_auth_app):
    client = make_auth_app(default_permission="READ", grant_default="true").test_client()
    admin_post(client, f"{WS_API}/workspaces", {"name": TEAM})
    admin_post(client, f"{WS_API}/workspaces", {"name": "team-b"})
    plain, shut_out, member = new_user(client), new_user(client), new_user(client)
    admin_post(client, f"{WS_API}/workspaces/default/permissions", {"username": shut_out, "permission": "NO_PERMISSIONS"})
    admin_post(client, f"{WS_API}/workspaces/{TEAM}/permissions", {"username": member, "permission": "USE"})
    admin_post(client, f"{WS_API}/workspaces/team-b/permissions", {"username": member, "permission": "NO_PERMISSIONS"})
    for user, names in ((plain, ["default"]), (shut_out, ["default"]), (member, ["default", TEAM])):
        listed = client.get(f"{WS_API}/workspaces", headers=as_user(user)).json["workspaces"]
        assert [w["name"] for w in listed] == names, user
    # ... but the NO_PERMISSIONS row still decides inside 'default'
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"},
                      headers=as_user(plain)).status_code == 200
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"},
                      headers=as_user(shut_out)).status_code == 403
    assert client.post(f"{API}/experiments/search", json={}, headers=as_user(shut_out)).json == {"experiments": []}
    assert [e["name"] for e in client.post(f"{API}/experiments/search", json={},
                                           headers=as_user(plain)).json["experiments"]] == ["Default"]
    assert client.get(f"{WS_API}/workspaces", headers=admin_headers()).json["workspaces"][0]["name"] == "default"


@pytest.mark.parametrize("default_permission", ["READ", "NO_PERMISSIONS"])
def test_lists_without_workspaces_follow_default_permission_and_explicit_grants(make_auth_app, default_permission):
    client = make_auth_app(workspaces_enabled=False, default_permission=default_permission).test_client()
    for i in range(7):
        admin_post(client, f"{API}/experiments/create", {"name": experiment_name(i)})
        admin_post(client, f"{API}/registered-models/create", {"name": model_name(i)})
    ids = {e["name"]: e["experiment_id"] for e in client.post(
        f"{API}/experiments/search", json={}, headers=admin_headers()).json["experiments"]}
    user = new_user(client)
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": ids[experiment_name(1)], "username": user, "permission": "NO_PERMISSIONS"})
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": ids[experiment_name(2)], "username": user, "permission": "READ"})
    admin_post(client, f"{API}/registered-models/permissions/create",
               {"name": model_name(3), "username": user, "permission": "EDIT"})
    admin_post(client, f"{API}/registered-models/permissions/create",
               {"name": model_name(4), "username": user, "permission": "NO_PERMISSIONS"})
    own = client.post(f"{API}/experiments/create", json={"name": "own"}, headers=as_user(user))
    assert own.status_code == 200  # without workspaces anyone may create, and then manages it
    if default_permission == "READ":
        wanted_experiments = (set(ids) | {"own"}) - {experiment_name(1)}
        wanted_models = {model_name(i) for i in range(7)} - {model_name(4)}
    else:
        wanted_experiments, wanted_models = {experiment_name(2), "own"}, {model_name(3)}
    assert_walk(lambda token: client.post(f"{API}/experiments/search", headers=as_user(user),
                                          json={"max_results": 3, **({"page_token": token} if token else {})}),
                "experiments", lambda e: e["name"], wanted_experiments)
    assert_walk(lambda token: client.get(f"{API}/registered-models/search", headers=as_user(user),
                                         query_string={"max_results": 3, **({"page_token": token} if token else {})}),
                "registered_models", lambda m: m["name"], wanted_models)
