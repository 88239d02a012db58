"""End to end through `wsauth server --app-name basic-auth --enable-workspaces` (issue 4, items 5, 7
and 11 and its "Done when"): the seed guide's Steps 1-4 with admin credentials, then a second team
whose member cannot see, read, change or guess the first team's things by any route.

One real server per database kind for the whole module, with its own basic_auth.ini (admin
credentials set; the auth database beside the tracking database, of the same kind). The
`team_a` fixture runs Steps 2-4 of ../shared/seeds/getting-started.mdx once per server and gives
team-a a model, a prompt and artifacts; every test uses its own users and names beyond that.

The real mlflow client signs in with MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD. mlflow
3.11.1 reads them from the environment on every request (the REST stores hold
`partial(get_default_host_creds, uri)`; AuthServiceClient and the http artifact repository call
`get_default_host_creds` per request), so switching users is a monkeypatch.setenv. The one client
cache that would lie to a test is the prompt cache (`mlflow.prompt.registry_utils.PromptCache`,
keyed by name and version only, not by user or workspace): it is reset, and prompts are loaded with
`cache_ttl_seconds=0`.

Deviation from the guide: Step 1's `--default-artifact-root s3://mlflow-artifacts` becomes the
server's own artifact proxy (`mlflow-artifacts:/`), and Step 2 leaves out its optional
`default_artifact_root="s3://team-a-artifacts"`, so that the tests talk only to 127.0.0.1 and the
artifact routes have files to protect.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.server.auth.client import AuthServiceClient
from sqlalchemy import create_engine, text

from tests.conftest import DATABASE_KINDS, ServerProcess, database_of_kind

pytestmark = pytest.mark.integration


class Account(NamedTuple):
    name: str
    password: str


ADMIN = Account("admin", "admin-Passw0rd-of-the-tests")
ALICE = Account("alice", "alice-Passw0rd-123")    # MANAGE on team-a (Step 3)
BOB = Account("bob", "bob-Passw0rd-12345")        # EDIT on team-b: the second team
CAROL = Account("carol", "carol-Passw0rd-123")    # READ on team-a
DAVE = Account("dave", "dave-Passw0rd-1234")      # EDIT on team-a
ERIN = Account("erin", "erin-Passw0rd-1234")      # no grant anywhere
WORKSPACE_HEADER = "X-MLFLOW-WORKSPACE"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
TEAM_A_DESCRIPTION = "Workspace for Team A machine learning projects"
SECRET_FILE = "model/weights.bin"
SECRET_BYTES = "team-a secret weights"


# servers ------------------------------------------------------------------------------------------

@contextlib.contextmanager
def auth_databases(kind: str, folder: Path):
    """(tracking URI, auth URI): two new, empty databases of one kind."""
    auth_folder = folder / "auth"
    auth_folder.mkdir(exist_ok=True)
    with database_of_kind(kind, folder) as tracking_uri, database_of_kind(kind, auth_folder) as auth_uri:
        yield tracking_uri, auth_uri


def write_ini(folder: Path, auth_uri: str, admin_password: str) -> Path:
    """A basic_auth.ini in folder (MLflow's keys) whose auth database is auth_uri."""
    path = folder / "basic_auth.ini"
    path.write_text(textwrap.dedent(f"""\
        [mlflow]
        default_permission = READ
        database_uri = {auth_uri}
        admin_username = {ADMIN.name}
        admin_password = {admin_password}
        authorization_function = mlflow.server.auth:authenticate_request_basic_auth
        grant_default_workspace_access = false
        """))
    return path


def launch(folder: Path, tracking_uri: str, ini: Path) -> ServerProcess:
    """Step 1 with `--app-name basic-auth`: one worker, artifacts proxied into folder/mlartifacts."""
    args = ["--backend-store-uri", tracking_uri, "--workers", "1", "--app-name", "basic-auth",
            "--enable-workspaces", "--default-artifact-root", "mlflow-artifacts:/",
            "--artifacts-destination", str(folder / "mlartifacts")]
    # Empty admin variables: the ini alone decides (config.load treats "" as unset).
    env = {"MLFLOW_AUTH_CONFIG_PATH": str(ini), "MLFLOW_AUTH_ADMIN_USERNAME": "",
           "MLFLOW_AUTH_ADMIN_PASSWORD": ""}
    server = ServerProcess(args, folder, env)
    server.folder, server.host = folder, "wsauth"
    return server


def launch_on_mlflow(folder: Path, tracking_uri: str, ini: Path):
    """Step 1 on MLflow's own server with wsauth's plugin (issue 12): the same ini, workspaces,
    one worker and proxied artifacts."""
    from tests.mlflow_host.conftest import MlflowServer, psycopg

    artifacts = ["--default-artifact-root", "mlflow-artifacts:/", "--artifacts-destination",
                 str(folder / "mlartifacts")]
    server = MlflowServer(folder, psycopg(tracking_uri), "", "--enable-workspaces", "--workers", "1", config=ini,
                          artifacts=artifacts, env={"MLFLOW_AUTH_ADMIN_USERNAME": "", "MLFLOW_AUTH_ADMIN_PASSWORD": ""})
    server.host = "mlflow"
    return server


@contextlib.contextmanager
def auth_server(kind: str, folder: Path, host: str = "wsauth"):
    """A running server with the auth layer whose admin is ADMIN (wsauth's own, or MLflow's with
    the plugin); stopped, then its databases dropped."""
    with auth_databases(kind, folder) as (tracking_uri, auth_uri):
        ini = write_ini(folder, auth_uri, ADMIN.password)
        server = launch(folder, tracking_uri, ini) if host == "wsauth" else launch_on_mlflow(folder, tracking_uri, ini)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module", params=[(kind, host) for host in ("wsauth", "mlflow") for kind in DATABASE_KINDS],
                ids=lambda param: "-".join(param))
def server(request, tmp_path_factory):
    """The module's server, one per database kind, on each host: the same tests, the same answers."""
    kind, host = request.param
    with auth_server(kind, tmp_path_factory.mktemp(f"auth-e2e-{kind}-{host}"), host) as process:
        yield process


# signing in ---------------------------------------------------------------------------------------

def sign_in(monkeypatch, account: Account) -> None:
    """Make the mlflow client (and AuthServiceClient) send this account's credentials."""
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", account.name)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", account.password)


def call(server, method: str, path: str, account: Account | None = None, workspace: str | None = None,
         **kwargs) -> requests.Response:
    """A raw request, as curl would send it."""
    headers = {WORKSPACE_HEADER: workspace} if workspace else {}
    auth = (account.name, account.password) if account else None
    return requests.request(method, server.url + path, auth=auth, headers=headers, timeout=30, **kwargs)


def refused(attempt, code: str = "PERMISSION_DENIED") -> MlflowException:
    """Run attempt(); it must raise MlflowException with that error code (never a 500)."""
    with pytest.raises(MlflowException) as caught:
        attempt()
    assert caught.value.error_code == code, f"{caught.value.error_code}: {caught.value.message}"
    return caught.value


def reset_prompt_cache() -> None:
    from mlflow.prompt.registry_utils import PromptCache

    PromptCache._reset_instance()


@pytest.fixture
def client_env(mlflow, monkeypatch, server):
    """The mlflow module aimed at the server, telemetry off, no prompt cache."""
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    reset_prompt_cache()
    mlflow.set_tracking_uri(server.url)
    yield mlflow
    reset_prompt_cache()


@contextlib.contextmanager
def module_client(server):
    """The mlflow client for module-scoped setup: env, retries, idle connections closed after."""
    import mlflow
    from mlflow.utils import request_utils
    from mlflow.utils.workspace_context import set_workspace

    sessions = []
    cached = request_utils._cached_get_request_session

    def tracked(*args, **kwargs):
        session = cached(*args, **kwargs)
        sessions.append(session)
        return session

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(request_utils, "_cached_get_request_session", tracked)
        for name in ("MLFLOW_WORKSPACE", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        mlflow.set_tracking_uri(server.url)
        try:
            yield mlflow, monkeypatch
        finally:
            if mlflow.active_run():
                mlflow.end_run()
            set_workspace(None)
            mlflow.set_tracking_uri(None)
            reset_prompt_cache()
            for session in sessions:
                session.close()


# the first team: Steps 2-4 of the guide ---------------------------------------------------------

@pytest.fixture(scope="module")
def team_a(server):
    """Steps 2-4 as written (admin, then alice), then alice's model, prompt and artifacts, and
    team-b with bob (EDIT); carol gets READ and dave EDIT on team-a; erin nothing."""
    facts = SimpleNamespace()
    with module_client(server) as (mlflow, monkeypatch):
        auth = AuthServiceClient(server.url)
        printed = io.StringIO()
        sign_in(monkeypatch, ADMIN)
        for account in (ALICE, BOB, CAROL, DAVE, ERIN):
            auth.create_user(account.name, account.password)

        # Step 2: Create a Workspace (as the admin)
        with contextlib.redirect_stdout(printed):
            workspace = mlflow.create_workspace(
                name="team-a",
                description="Workspace for Team A machine learning projects",
            )
            print(f"Created workspace: {workspace.name}")

        # Step 3: Grant Workspace Permissions, the guide's curl with the admin's credentials ...
        facts.step3_rest = call(server, "POST", "/api/3.0/mlflow/workspaces/team-a/permissions", ADMIN,
                                json={"username": "alice", "permission": "MANAGE"})
        # ... and the same grant through AuthServiceClient (POST upserts).
        facts.step3_client = auth.set_workspace_permission("team-a", "alice", "MANAGE")
        auth.set_workspace_permission("team-a", CAROL.name, "READ")
        auth.set_workspace_permission("team-a", DAVE.name, "EDIT")

        # Step 4: Use Workspaces from Python Client (as alice)
        sign_in(monkeypatch, ALICE)
        with contextlib.redirect_stdout(printed):
            mlflow.set_tracking_uri(server.url)
            mlflow.set_workspace("team-a")
            experiment_id = mlflow.create_experiment("my-experiment")
            with mlflow.start_run(experiment_id=experiment_id) as run:
                mlflow.log_param("learning_rate", 0.01)
                mlflow.log_metric("accuracy", 0.95)
            # The guide's mlflow.get_workspace() needs the name in every mlflow release.
            print(f"Logged run in workspace: {mlflow.get_workspace('team-a')}")
        facts.printed = printed.getvalue()
        facts.experiment_id, facts.run_id = experiment_id, run.info.run_id

        # What else team-a owns: artifacts in the run, a registered model with an alias, a prompt.
        client = mlflow.MlflowClient()
        client.log_text(run.info.run_id, SECRET_BYTES, SECRET_FILE)
        client.create_registered_model("team-a-model", description="team-a's model")
        client.create_model_version("team-a-model", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
        client.set_registered_model_alias("team-a-model", "champion", "1")
        mlflow.genai.register_prompt(name="team-a-prompt", template="Team A says {{x}}")
        facts.artifact_path = (f"workspaces/team-a/{experiment_id}/{run.info.run_id}/artifacts/"
                               f"{SECRET_FILE}")
        # What the server stored (test_member_uploads_keep_their_bytes checks it is SECRET_BYTES);
        # the isolation tests check that outsiders neither read nor change it.
        facts.artifact_text = (server.folder / "mlartifacts" / facts.artifact_path).read_text()

        # The second team: team-b, where bob may edit; bob's own experiment proves he can work.
        mlflow.set_workspace(None)
        sign_in(monkeypatch, ADMIN)
        mlflow.create_workspace(name="team-b", description="Team B")
        auth.set_workspace_permission("team-b", BOB.name, "EDIT")
        sign_in(monkeypatch, BOB)
        mlflow.set_workspace("team-b")
        facts.bob_experiment_id = mlflow.create_experiment("bob-experiment")
    return facts


def test_seed_guide_steps_1_to_4_with_basic_auth(server, team_a, client_env, monkeypatch):
    mlflow = client_env
    # Steps 2 and 4 printed what the guide says they print.
    assert "Created workspace: team-a" in team_a.printed
    assert "Logged run in workspace: " in team_a.printed and "name='team-a'" in team_a.printed

    # Step 3: the curl answered with the grant; AuthServiceClient upserted the same one.
    assert team_a.step3_rest.status_code == 200, team_a.step3_rest.text
    assert team_a.step3_rest.json()["permission"] | {"user_id": None} == {
        "workspace": "team-a", "user_id": None, "username": "alice", "permission": "MANAGE", "can_use": True}
    assert (team_a.step3_client.workspace, team_a.step3_client.permission) == ("team-a", "MANAGE")
    sign_in(monkeypatch, ADMIN)
    grants = {(p.user_id, p.permission) for p in AuthServiceClient(server.url).list_workspace_permissions("team-a")}
    assert (team_a.step3_client.user_id, "MANAGE") in grants and len(grants) == 3  # alice, carol, dave

    # Without the admin's credentials the guide's curl calls are refused, before anything else.
    anonymous = call(server, "POST", "/api/3.0/mlflow/workspaces", json={"name": "team-z"})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == 'Basic realm="mlflow"'
    assert anonymous.json()["error_code"] == "UNAUTHENTICATED"
    anonymous_grant = call(server, "POST", "/api/3.0/mlflow/workspaces/team-a/permissions",
                           json={"username": "erin", "permission": "MANAGE"})
    assert anonymous_grant.status_code == 401
    # Creating workspaces stays with the admin: alice manages team-a but cannot create one.
    sign_in(monkeypatch, ALICE)
    refused(lambda: mlflow.create_workspace(name=f"alice-{uuid.uuid4().hex[:6]}"))

    # Alice reads back what Step 4 logged.
    mlflow.set_workspace("team-a")
    experiment = mlflow.get_experiment_by_name("my-experiment")
    assert experiment.experiment_id == team_a.experiment_id
    assert experiment.artifact_location == f"mlflow-artifacts:/workspaces/team-a/{team_a.experiment_id}"
    runs = mlflow.search_runs([team_a.experiment_id])
    assert list(runs["run_id"]) == [team_a.run_id]
    assert runs.loc[0, "params.learning_rate"] == "0.01"
    assert runs.loc[0, "metrics.accuracy"] == pytest.approx(0.95)
    run = mlflow.get_run(team_a.run_id)
    assert run.data.params == {"learning_rate": "0.01"} and run.data.metrics == {"accuracy": pytest.approx(0.95)}
    assert [e.experiment_id for e in mlflow.search_experiments(filter_string="name = 'my-experiment'")] == [
        team_a.experiment_id]
    assert [w.name for w in mlflow.list_workspaces()] == ["team-a"]


# the second team ----------------------------------------------------------------------------------

def _outsider_attempts(mlflow, facts, tmp_path, header):
    """Every route family with the mlflow client, aimed at team-a's things:
    (capability needed, name) -> attempt."""
    client = mlflow.MlflowClient()
    run_id, experiment_id = facts.run_id, facts.experiment_id
    attempts = {
        ("read", "get_experiment"): lambda: client.get_experiment(experiment_id),
        ("read", "get_run"): lambda: client.get_run(run_id),
        ("read", "get_metric_history"): lambda: client.get_metric_history(run_id, "accuracy"),
        ("read", "list_artifacts"): lambda: client.list_artifacts(run_id),
        ("read", "download_artifacts"): lambda: mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="model", dst_path=str(tmp_path / "stolen")),
        ("read", "get_registered_model"): lambda: client.get_registered_model("team-a-model"),
        ("read", "get_model_version"): lambda: client.get_model_version("team-a-model", "1"),
        ("read", "get_model_version_by_alias"): lambda: client.get_model_version_by_alias("team-a-model", "champion"),
        ("read", "get_model_version_download_uri"): lambda: client.get_model_version_download_uri("team-a-model", "1"),
        ("read", "load_prompt"): lambda: mlflow.genai.load_prompt("prompts:/team-a-prompt/1", cache_ttl_seconds=0),
        ("update", "log_metric"): lambda: client.log_metric(run_id, "accuracy", 0.01),
        ("update", "log_param"): lambda: client.log_param(run_id, "stolen", "yes"),
        ("update", "set_tag"): lambda: client.set_tag(run_id, "owner", "bob"),
        ("update", "rename_experiment"): lambda: client.rename_experiment(experiment_id, "renamed-by-bob"),
        ("update", "set_experiment_tag"): lambda: client.set_experiment_tag(experiment_id, "owner", "bob"),
        ("update", "create_run"): lambda: client.create_run(experiment_id),
        ("update", "rename_registered_model"): lambda: client.rename_registered_model("team-a-model", "bobs-model"),
        ("update", "update_registered_model"): lambda: client.update_registered_model("team-a-model", "bob was here"),
        ("update", "set_registered_model_alias"): lambda: client.set_registered_model_alias("team-a-model", "bob", "1"),
        ("update", "create_model_version"): lambda: client.create_model_version("team-a-model", "runs:/x/model"),
        ("delete", "delete_run"): lambda: client.delete_run(run_id),
        ("delete", "delete_experiment"): lambda: client.delete_experiment(experiment_id),
        ("delete", "delete_model_version"): lambda: client.delete_model_version("team-a-model", "1"),
        ("delete", "delete_registered_model"): lambda: client.delete_registered_model("team-a-model"),
        ("delete", "delete_prompt"): lambda: client.delete_registered_model("team-a-prompt"),
    }
    if header == "team-a":  # in team-b this would rightly create bob's own prompt of that name
        attempts["update", "register_prompt_version"] = lambda: mlflow.genai.register_prompt(
            name="team-a-prompt", template="bob")
    return attempts


def outcome(attempt) -> str:
    """The error code attempt() raised, or ALLOWED."""
    try:
        attempt()
    except MlflowException as exc:
        return exc.error_code
    return "ALLOWED"


def _team_a_is_untouched(server, mlflow, monkeypatch, facts):
    """Alice still finds everything exactly as she left it."""
    sign_in(monkeypatch, ALICE)
    mlflow.set_workspace("team-a")
    client = mlflow.MlflowClient()
    run = client.get_run(facts.run_id)
    assert run.info.lifecycle_stage == "active"
    assert run.data.params == {"learning_rate": "0.01"}
    assert run.data.metrics == {"accuracy": pytest.approx(0.95)}
    assert not any(key == "owner" for key in run.data.tags)
    assert [m.value for m in client.get_metric_history(facts.run_id, "accuracy")] == [pytest.approx(0.95)]
    experiment = client.get_experiment(facts.experiment_id)
    assert (experiment.name, experiment.lifecycle_stage) == ("my-experiment", "active")
    assert "owner" not in experiment.tags
    assert [r.info.run_id for r in client.search_runs([facts.experiment_id])] == [facts.run_id]
    model = client.get_registered_model("team-a-model")
    assert (model.description, model.aliases) == ("team-a's model", {"champion": "1"})
    assert [v.version for v in client.search_model_versions("name='team-a-model'")] == ["1"]
    assert mlflow.genai.load_prompt("prompts:/team-a-prompt/1", cache_ttl_seconds=0).template == "Team A says {{x}}"
    on_disk = server.folder / "mlartifacts" / facts.artifact_path
    assert on_disk.read_text() == facts.artifact_text


DENIED, MISSING = {"PERMISSION_DENIED"}, {"RESOURCE_DOES_NOT_EXIST"}


@pytest.mark.parametrize("header, expected", [
    # bob names team-a: he holds nothing there
    ("team-a", {"read": DENIED, "update": DENIED, "delete": DENIED}),
    # bob's own workspace, where he may read and edit: team-a's things are not in it; deleting
    # needs more than EDIT, so a delete may be refused before or after the look-up
    ("team-b", {"read": MISSING, "update": MISSING, "delete": DENIED | MISSING}),
])
def test_second_team_cannot_see_read_change_or_guess_team_a(server, team_a, client_env, monkeypatch, tmp_path,
                                                              header, expected):
    mlflow = client_env
    sign_in(monkeypatch, BOB)
    mlflow.set_workspace(header)
    client = mlflow.MlflowClient()

    # Searches and lists show nothing of team-a, even when asked for its experiment by id; in
    # team-b bob sees his own experiment (so he is signed in and the search works).
    assert [e.name for e in client.search_experiments()] == ([] if header == "team-a" else ["bob-experiment"])
    assert client.search_runs([team_a.experiment_id]) == []
    assert mlflow.search_runs([team_a.experiment_id], output_format="list") == []
    assert client.search_registered_models() == []
    assert client.search_model_versions() == []
    assert mlflow.genai.search_prompts() == []
    if header == "team-a":
        refused(lambda: client.get_experiment_by_name("my-experiment"))
    else:
        assert client.get_experiment_by_name("my-experiment") is None

    # Every read and write on team-a's things is refused, none of them with a 500.
    attempts = _outsider_attempts(mlflow, team_a, tmp_path, header)
    got = {(capability, name): outcome(attempt) for (capability, name), attempt in attempts.items()}
    assert {name: code for (capability, name), code in got.items() if code not in expected[capability]} == {}
    assert not [f for f in tmp_path.rglob("*") if f.is_file()]  # nothing was downloaded

    _team_a_is_untouched(server, mlflow, monkeypatch, team_a)


def test_second_team_cannot_grant_itself_a_way_in(server, team_a, client_env, monkeypatch):
    mlflow = client_env
    sign_in(monkeypatch, BOB)
    mlflow.set_workspace("team-a")
    auth = AuthServiceClient(server.url)
    attempts = {
        "set_workspace_permission": lambda: auth.set_workspace_permission("team-a", BOB.name, "READ"),
        "list_workspace_permissions": lambda: auth.list_workspace_permissions("team-a"),
        "create_experiment_permission": lambda: auth.create_experiment_permission(
            team_a.experiment_id, BOB.name, "READ"),
        "create_registered_model_permission": lambda: auth.create_registered_model_permission(
            "team-a-model", BOB.name, "READ"),
        "update_user_admin": lambda: auth.update_user_admin(BOB.name, True),
        "get_other_user": lambda: auth.get_user(ALICE.name),
        "list_user_workspace_permissions": lambda: auth.list_user_workspace_permissions(ALICE.name),
    }
    assert {name: outcome(attempt) for name, attempt in attempts.items()} == dict.fromkeys(
        attempts, "PERMISSION_DENIED")
    # still nothing: no grant was written
    refused(lambda: mlflow.MlflowClient().get_experiment(team_a.experiment_id))
    mine = auth.get_user(BOB.name)  # a user may read their own record
    assert team_a.experiment_id not in [p.experiment_id for p in mine.experiment_permissions]
    assert "team-a" not in [p.workspace for p in mine.registered_model_permissions]
    sign_in(monkeypatch, ADMIN)
    assert [p.workspace for p in auth.list_user_workspace_permissions(BOB.name)] == ["team-b"]
    assert auth.get_user(BOB.name).is_admin is False


def test_raw_lists_show_nothing_of_team_a(server, team_a):
    v2 = "/api/2.0/mlflow"
    secrets = ("my-experiment", "team-a-model", "team-a-prompt", team_a.run_id)
    for workspace in ("team-a", "team-b"):
        answers = {
            # (MLflow 3's server has no experiments/list any more; wsauth's keeps it)
            **({"experiments/list": call(server, "GET", f"{v2}/experiments/list", BOB, workspace)}
               if server.host == "wsauth" else {}),
            "experiments/search": call(server, "POST", f"{v2}/experiments/search", BOB, workspace,
                                       json={"max_results": 100}),
            "runs/search": call(server, "POST", f"{v2}/runs/search", BOB, workspace,
                                json={"experiment_ids": [team_a.experiment_id]}),
            "registered-models/search": call(server, "GET", f"{v2}/registered-models/search", BOB, workspace),
            "model-versions/search": call(server, "GET", f"{v2}/model-versions/search", BOB, workspace,
                                          params={"filter": "name='team-a-model'"}),
            "prompts": call(server, "GET", f"{v2}/registered-models/search", BOB, workspace,
                            params={"filter": "tags.`mlflow.prompt.is_prompt` = 'true'"}),
            "ajax runs/search": call(server, "POST", f"/ajax-api/2.0/mlflow/runs/search", BOB, workspace,
                                     json={"experiment_ids": [team_a.experiment_id]}),
        }
        for name, response in answers.items():
            assert response.status_code == 200, (workspace, name, response.text)
            assert not any(secret in response.text for secret in secrets), (workspace, name, response.text)
    # the ajax-api prefix is guarded like the api one
    stolen = call(server, "GET", "/ajax-api/2.0/mlflow/runs/get", BOB, "team-a", params={"run_id": team_a.run_id})
    assert stolen.status_code == 403 and stolen.json()["error_code"] == "PERMISSION_DENIED"
    # control: the same lists show team-a's things to alice
    mine = call(server, "POST", f"{v2}/runs/search", ALICE, "team-a", json={"experiment_ids": [team_a.experiment_id]})
    assert [r["info"]["run_id"] for r in mine.json()["runs"]] == [team_a.run_id]


def _existing_and_missing(facts):
    """(method, existing-resource request, missing-resource request) in team-a; a request is
    (path, requests keyword arguments). Also the missing keys -> the existing ones, to compare
    answers that echo the request's own path."""
    run, experiment = facts.run_id, facts.experiment_id
    missing_run, missing_experiment = uuid.uuid4().hex, "987654321"
    missing_path = facts.artifact_path.replace(run, missing_run)

    def params(route, /, **values):
        return route, {"params": values}

    def body(route, /, **values):
        return route, {"json": values}

    metric = {"key": "accuracy", "value": 0.1, "timestamp": 1, "step": 0}
    v2 = "/api/2.0/mlflow"
    return [
        ("GET", params(f"{v2}/experiments/get", experiment_id=experiment),
         params(f"{v2}/experiments/get", experiment_id=missing_experiment)),
        ("GET", params(f"{v2}/experiments/get-by-name", experiment_name="my-experiment"),
         params(f"{v2}/experiments/get-by-name", experiment_name="no-such-experiment")),
        ("POST", body(f"{v2}/experiments/delete", experiment_id=experiment),
         body(f"{v2}/experiments/delete", experiment_id=missing_experiment)),
        ("GET", params(f"{v2}/runs/get", run_id=run), params(f"{v2}/runs/get", run_id=missing_run)),
        ("GET", params(f"{v2}/metrics/get-history", run_id=run, metric_key="accuracy"),
         params(f"{v2}/metrics/get-history", run_id=missing_run, metric_key="accuracy")),
        ("POST", body(f"{v2}/runs/log-metric", run_id=run, **metric),
         body(f"{v2}/runs/log-metric", run_id=missing_run, **metric)),
        ("GET", params(f"{v2}/registered-models/get", name="team-a-model"),
         params(f"{v2}/registered-models/get", name="no-such-model")),
        ("GET", params(f"{v2}/model-versions/get", name="team-a-model", version="1"),
         params(f"{v2}/model-versions/get", name="no-such-model", version="1")),
        ("GET", params(f"{v2}/registered-models/alias", name="team-a-model", alias="champion"),
         params(f"{v2}/registered-models/alias", name="no-such-model", alias="champion")),
        ("POST", body(f"{v2}/registered-models/rename", name="team-a-model", new_name="bobs"),
         body(f"{v2}/registered-models/rename", name="no-such-model", new_name="bobs")),
        ("GET", params(f"{v2}/registered-models/get", name="team-a-prompt"),
         params(f"{v2}/registered-models/get", name="no-such-prompt")),
        ("GET", (f"{PROXY}/{facts.artifact_path}", {}), (f"{PROXY}/{missing_path}", {})),
        ("GET", params(PROXY, path=facts.artifact_path.rsplit("/", 1)[0]),
         params(PROXY, path=missing_path.rsplit("/", 1)[0])),
        ("GET", ("/api/3.0/mlflow/workspaces/team-a", {}), ("/api/3.0/mlflow/workspaces/no-such-team", {})),
    ], {missing_run: run, "no-such-team": "team-a"}


def test_existing_and_missing_resources_in_team_a_get_the_identical_403(server, team_a):
    rows, same_as_existing = _existing_and_missing(team_a)
    for method, existing, missing in rows:
        answers = []
        for path, kwargs in (existing, missing):
            response = call(server, method, path, BOB, workspace="team-a", **kwargs)
            body = response.text
            for missing_key, existing_key in same_as_existing.items():
                body = body.replace(missing_key, existing_key)
            answers.append((response.status_code, response.headers.get("Content-Type"), body))
        assert answers[0] == answers[1], f"{method} {existing[0]}: existing {answers[0]} != missing {answers[1]}"
        assert answers[0][0] == 403 and '"PERMISSION_DENIED"' in answers[0][2], (method, existing[0], answers[0])


def test_a_workspace_header_does_not_tell_which_workspaces_exist(server, team_a):
    """GET /workspaces/<name> answers bob the same 403 for team-a and for a workspace that does
    not exist (see the test above); naming the workspace in the header must not tell them apart
    either, or any route becomes an oracle for the other teams' workspace names. (MLflow's
    server answers a missing workspace itself, before any plugin runs; the plugin takes that
    answer back: mlflow_host/missing_workspace.py.)"""
    v2 = "/api/2.0/mlflow"
    requests_ = [
        ("GET", f"{v2}/experiments/get", {"params": {"experiment_id": team_a.experiment_id}}),
        ("GET", f"{v2}/experiments/get-by-name", {"params": {"experiment_name": "my-experiment"}}),
        ("GET", f"{v2}/registered-models/get", {"params": {"name": "team-a-model"}}),
        ("POST", f"{v2}/experiments/create", {"json": {"name": "probe"}}),
        ("GET", f"{v2}/experiments/search", {}),
    ]
    for method, path, kwargs in requests_:
        answers = []
        for workspace in ("team-a", "no-such-team"):
            response = call(server, method, path, BOB, workspace, **kwargs)
            answers.append((response.status_code, response.text.replace("no-such-team", "team-a")))
        assert answers[0] == answers[1], (method, path, answers)


def test_artifact_proxy_refuses_another_team(server, team_a):
    folder = team_a.artifact_path.rsplit("/", 1)[0]
    on_disk = server.folder / "mlartifacts" / team_a.artifact_path
    planted = server.folder / "mlartifacts" / folder / "planted.txt"
    everything = dict.fromkeys(("download", "list", "upload", "overwrite", "delete"), 403)
    for workspace, statuses in (("team-a", everything), (None, everything),
                                ("team-b", {**dict.fromkeys(everything, 400), "delete": 403})):
        # team-a: bob holds nothing there; no header: 'default', where bob holds nothing either;
        # team-b: bob may edit there, but the host confines him to workspaces/team-b/ (400),
        # and EDIT does not allow deleting (403).
        attempts = {
            "download": call(server, "GET", f"{PROXY}/{team_a.artifact_path}", BOB, workspace),
            "list": call(server, "GET", PROXY, BOB, workspace, params={"path": folder}),
            "upload": call(server, "PUT", f"{PROXY}/{folder}/planted.txt", BOB, workspace, data=b"bob"),
            "overwrite": call(server, "PUT", f"{PROXY}/{team_a.artifact_path}", BOB, workspace, data=b"bob"),
            "delete": call(server, "DELETE", f"{PROXY}/{team_a.artifact_path}", BOB, workspace),
        }
        for name, response in attempts.items():
            assert response.status_code == statuses[name], (workspace, name, response.status_code, response.text)
            assert SECRET_BYTES not in response.text
        assert on_disk.read_text() == team_a.artifact_text
        assert not planted.exists()
    # Control: the same requests work for alice.
    assert call(server, "GET", f"{PROXY}/{team_a.artifact_path}", ALICE, "team-a").text == team_a.artifact_text
    assert call(server, "GET", PROXY, ALICE, "team-a", params={"path": folder}).json() == {
        "files": [{"path": "weights.bin", "is_dir": False, "file_size": len(team_a.artifact_text)}]}


def test_member_uploads_keep_their_bytes(server, team_a, client_env, monkeypatch, tmp_path, unique):
    """What a workspace member (not an admin) logs through the artifact proxy is stored whole."""
    mlflow = client_env
    sign_in(monkeypatch, ALICE)
    mlflow.set_workspace("team-a")
    client = mlflow.MlflowClient()
    run = client.create_run(client.create_experiment(unique("uploads")))
    content = f"alice's notes {uuid.uuid4().hex}"
    client.log_text(run.info.run_id, content, "notes/alice.txt")
    folder = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    assert (server.folder / "mlartifacts" / folder / "notes" / "alice.txt").read_text() == content
    local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes/alice.txt",
                                                dst_path=str(tmp_path))
    assert Path(local).read_text() == content
    # the same with a raw PUT, and for the file the team_a fixture logged
    put = call(server, "PUT", f"{PROXY}/{folder}/notes/raw.txt", ALICE, "team-a", data=content.encode())
    assert put.status_code == 200, put.text
    assert call(server, "GET", f"{PROXY}/{folder}/notes/raw.txt", ALICE, "team-a").text == content
    assert team_a.artifact_text == SECRET_BYTES


def test_read_member_reads_but_cannot_write(server, team_a, client_env, monkeypatch, tmp_path):
    mlflow = client_env
    sign_in(monkeypatch, CAROL)
    mlflow.set_workspace("team-a")
    client = mlflow.MlflowClient()

    # Reads: everything of team-a.
    assert team_a.experiment_id in [e.experiment_id for e in client.search_experiments()]
    assert client.get_experiment_by_name("my-experiment").experiment_id == team_a.experiment_id
    assert client.get_run(team_a.run_id).data.params == {"learning_rate": "0.01"}
    assert [r.info.run_id for r in client.search_runs([team_a.experiment_id])] == [team_a.run_id]
    assert [m.value for m in client.get_metric_history(team_a.run_id, "accuracy")] == [pytest.approx(0.95)]
    assert [f.path for f in client.list_artifacts(team_a.run_id, "model")] == [SECRET_FILE]
    local = mlflow.artifacts.download_artifacts(run_id=team_a.run_id, artifact_path=SECRET_FILE,
                                                dst_path=str(tmp_path / "read"))
    assert Path(local).read_text() == team_a.artifact_text
    assert "team-a-model" in [m.name for m in client.search_registered_models()]
    assert client.get_model_version_by_alias("team-a-model", "champion").version == "1"
    assert "team-a-prompt" in [p.name for p in mlflow.genai.search_prompts()]
    assert mlflow.genai.load_prompt("prompts:/team-a-prompt/1", cache_ttl_seconds=0).template == "Team A says {{x}}"

    # Writes: each refused for want of a permission.
    writes = {
        "create_experiment": lambda: client.create_experiment(f"carol-{uuid.uuid4().hex[:6]}"),
        "create_run": lambda: client.create_run(team_a.experiment_id),
        "log_metric": lambda: client.log_metric(team_a.run_id, "accuracy", 0.01),
        "set_tag": lambda: client.set_tag(team_a.run_id, "owner", "carol"),
        "delete_run": lambda: client.delete_run(team_a.run_id),
        "rename_experiment": lambda: client.rename_experiment(team_a.experiment_id, "carols"),
        "create_registered_model": lambda: client.create_registered_model(f"carol-{uuid.uuid4().hex[:6]}"),
        "rename_registered_model": lambda: client.rename_registered_model("team-a-model", "carols"),
        "set_registered_model_alias": lambda: client.set_registered_model_alias("team-a-model", "carol", "1"),
        "delete_registered_model": lambda: client.delete_registered_model("team-a-model"),
        "register_prompt": lambda: mlflow.genai.register_prompt(name="team-a-prompt", template="carol"),
    }
    for name, attempt in writes.items():
        with pytest.raises(MlflowException) as caught:
            attempt()
        assert caught.value.error_code == "PERMISSION_DENIED", f"{name}: {caught.value.message}"
        assert "READ" in caught.value.message, f"{name}: {caught.value.message}"
    upload = call(server, "PUT", f"{PROXY}/{team_a.artifact_path}", CAROL, "team-a", data=b"carol")
    assert upload.status_code == 403 and upload.json()["error_code"] == "PERMISSION_DENIED"

    _team_a_is_untouched(server, mlflow, monkeypatch, team_a)


def test_explicit_grants_beat_an_edit_workspace_grant(server, team_a, client_env, monkeypatch, unique):
    """NO_PERMISSIONS on one experiment hides it from an EDIT member; READ on another narrows it."""
    mlflow = client_env
    sign_in(monkeypatch, ALICE)
    mlflow.set_workspace("team-a")
    client = mlflow.MlflowClient()
    names = {role: unique(role) for role in ("hidden", "narrowed", "open")}
    ids, runs = {}, {}
    for role, name in names.items():
        ids[role] = client.create_experiment(name)
        runs[role] = client.create_run(ids[role]).info.run_id
    # Alice manages what she created and delegates from there (a workspace manager, not an admin).
    auth = AuthServiceClient(server.url)
    auth.create_experiment_permission(ids["hidden"], DAVE.name, "NO_PERMISSIONS")
    auth.create_experiment_permission(ids["narrowed"], DAVE.name, "READ")

    sign_in(monkeypatch, DAVE)
    # search: the hidden experiment and its run are gone, the rest is there
    seen = {e.experiment_id for e in client.search_experiments()}
    assert ids["hidden"] not in seen and {ids["narrowed"], ids["open"], team_a.experiment_id} <= seen
    found = {r.info.run_id for r in client.search_runs(list(ids.values()))}
    assert found == {runs["narrowed"], runs["open"]}
    assert client.search_runs([ids["hidden"]]) == []
    # get: refused, by id, by name and through its run
    refused(lambda: client.get_experiment(ids["hidden"]))
    refused(lambda: client.get_experiment_by_name(names["hidden"]))
    refused(lambda: client.get_run(runs["hidden"]))
    refused(lambda: client.log_metric(runs["hidden"], "m", 1.0))
    # READ on the resource narrows the EDIT workspace grant
    assert client.get_run(runs["narrowed"]).info.run_id == runs["narrowed"]
    refused(lambda: client.log_metric(runs["narrowed"], "m", 1.0))
    # control: EDIT from the workspace still applies elsewhere
    client.log_metric(runs["open"], "m", 1.0)
    assert client.get_run(runs["open"]).data.metrics == {"m": 1.0}


def test_list_workspaces_shows_each_user_only_their_workspaces(server, team_a, client_env, monkeypatch):
    mlflow = client_env
    expected = {ALICE: ["team-a"], CAROL: ["team-a"], DAVE: ["team-a"], BOB: ["team-b"], ERIN: []}
    for account, names in expected.items():
        sign_in(monkeypatch, account)
        assert sorted(w.name for w in mlflow.list_workspaces()) == names, account.name
        listed = call(server, "GET", "/api/3.0/mlflow/workspaces", account).json()
        assert sorted(w["name"] for w in listed.get("workspaces", [])) == names, account.name
    # get_workspace follows the list
    sign_in(monkeypatch, BOB)
    assert mlflow.get_workspace("team-b").name == "team-b"
    refused(lambda: mlflow.get_workspace("team-a"))
    # the admin sees them all
    sign_in(monkeypatch, ADMIN)
    assert {"default", "team-a", "team-b"} <= {w.name for w in mlflow.list_workspaces()}


# the admin's first start ---------------------------------------------------------------------------

GENERATED = re.compile(r"created admin user 'admin' with the generated password (\S+) ")


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_generated_admin_password_is_printed_once_and_signs_in(kind, tmp_path):
    with auth_databases(kind, tmp_path) as (tracking_uri, auth_uri):
        ini = write_ini(tmp_path, auth_uri, admin_password="")
        first = launch(tmp_path, tracking_uri, ini)
        try:
            log = first.log.read_text()
            [password] = GENERATED.findall(log)
            assert len(password) >= 12 and log.count(password) == 1
            signed_in = call(first, "GET", "/api/2.0/mlflow/users/list", Account("admin", password))
            assert signed_in.status_code == 200, signed_in.text
            assert [u["username"] for u in signed_in.json()["users"]] == ["admin"]
            assert signed_in.json()["users"][0]["is_admin"] is True
            wrong = call(first, "GET", "/api/2.0/mlflow/users/list", Account("admin", password + "x"))
            assert wrong.status_code == 401
        finally:
            first.stop()
        # only a salted slow hash is stored
        engine = create_engine(auth_uri.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as connection:
                stored = connection.execute(text("SELECT password_hash FROM users WHERE username = 'admin'")).scalar_one()
        finally:
            engine.dispose()
        assert stored.startswith("$argon2id$") and password not in stored

        # a second start keeps the password and prints nothing about it
        second = launch(tmp_path, tracking_uri, ini)
        try:
            log = second.log.read_text()
            assert "generated password" not in log and password not in log
            again = call(second, "GET", "/api/2.0/mlflow/users/list", Account("admin", password))
            assert again.status_code == 200, again.text
        finally:
            second.stop()
