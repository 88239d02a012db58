"""The audit trail: who did what, from where, with what outcome -- never a password; read by
admins through REST (filtered, paginated) and `wsauth audit`; floods of denied requests are
rate-limited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from auth.models import AuditEventRow
from tests.auth.conftest import ADMIN, ADMIN_PASSWORD, PASSWORD, admin_headers, admin_post, as_user, basic_auth, new_user
from tracking.cli import cli

API = "/api/2.0/mlflow"
EVENTS = "/api/3.0/mlflow/audit-events"
WS = "/api/3.0/mlflow/workspaces"
NEW_PASSWORD = "a-rotated-password-77"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(audit_denied_per_minute=5, login_max_failures=3)


@pytest.fixture
def client(app):
    return app.test_client()


def events(client, **filters):
    response = client.get(EVENTS, query_string={"max_results": 1000, **filters}, headers=admin_headers())
    assert response.status_code == 200, response.json
    return response.json["events"]


def all_rows(app) -> list[AuditEventRow]:
    with app.extensions["wsauth.auth"].store.database.session() as session:
        return list(session.scalars(select(AuditEventRow)))


def test_user_changes_are_recorded_without_passwords(app, client):
    name = new_user(client, "audited-user")
    client.patch(f"{API}/users/update-password", json={"username": name, "password": NEW_PASSWORD},
                 headers=admin_headers())
    client.patch(f"{API}/users/update-admin", json={"username": name, "is_admin": True}, headers=admin_headers())
    client.delete(f"{API}/users/delete", json={"username": name}, headers=admin_headers())
    seen = events(client, target=f"user {name}")
    assert [e["action"] for e in seen] == ["user.deleted", "user.admin_changed", "user.password_changed",
                                           "user.created"]
    assert all(e["actor"] == ADMIN and e["address"] == "127.0.0.1" and e["outcome"] == "success" for e in seen)
    assert seen[1]["details"] == {"before": False, "after": True}
    for row in all_rows(app):
        text = json.dumps([row.actor, row.target, row.details])
        assert PASSWORD not in text and NEW_PASSWORD not in text and ADMIN_PASSWORD not in text
        assert "$argon2" not in text


def test_grant_changes_record_before_and_after(client):
    admin_post(client, WS, {"name": "team-a"})
    name = new_user(client)
    experiment = admin_post(client, f"{API}/experiments/create", {"name": "audited"}, "team-a")["experiment_id"]
    body = {"experiment_id": experiment, "username": name}
    admin_post(client, f"{API}/experiments/permissions/create", {**body, "permission": "READ"}, "team-a")
    admin_post(client, f"{API}/experiments/permissions/update", {**body, "permission": "EDIT"}, "team-a", method="patch")
    admin_post(client, f"{API}/experiments/permissions/delete", body, "team-a", method="delete")
    admin_post(client, f"{WS}/team-a/permissions", {"username": name, "permission": "USE"})
    admin_post(client, f"{WS}/team-a/permissions", {"username": name, "permission": "MANAGE"})
    changes = [(e["action"], e["details"].get("before"), e["details"].get("after"))
               for e in reversed(events(client, target=f"experiment {experiment}"))]
    assert changes == [("permission.created", None, "MANAGE"),  # the admin, as its creator
                       ("permission.created", None, "READ"), ("permission.updated", "READ", "EDIT"),
                       ("permission.deleted", "EDIT", None)]
    on_workspace = [(e["action"], e["details"]["before"], e["details"]["after"], e["details"]["username"])
                    for e in reversed(events(client, target="workspace team-a")) if e["action"].startswith("permission")]
    assert on_workspace == [("permission.created", None, "USE", name), ("permission.updated", "USE", "MANAGE", name)]


def test_workspace_changes_are_recorded(client):
    admin_post(client, WS, {"name": "team-w", "description": "first"})
    admin_post(client, f"{WS}/team-w", {"description": "second"}, method="patch")
    admin_post(client, f"{WS}/team-w", {}, method="delete")
    seen = [(e["action"], e["details"].get("description")) for e in reversed(events(client, target="workspace team-w"))]
    assert seen[0] == ("workspace.created", "first") and seen[1] == ("workspace.updated", "second")
    assert ("workspace.deleted", None) in seen
    # a refused change is not a change
    assert client.post(WS, json={"name": "default"}, headers=admin_headers()).status_code == 400
    assert events(client, target="workspace default", action="workspace.created") == []


def test_failed_sign_ins_and_lockouts_are_recorded(client):
    name = new_user(client)
    for _ in range(3):
        client.get(f"{API}/users/get", query_string={"username": name}, headers=basic_auth(name, "guess-guess-guess"),
                   environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert client.get(f"{API}/users/get", query_string={"username": name}, headers=basic_auth(name),
                      environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 429
    seen = events(client, target=f"user {name}")
    actions = [e["action"] for e in reversed(seen)]
    assert actions == ["user.created", "login.failed", "login.failed", "login.failed", "login.locked", "login.refused"]
    failed = [e for e in seen if e["action"] == "login.failed"]
    assert all(e["actor"] == name and e["address"] == "203.0.113.9" and e["outcome"] == "failure" for e in failed)


def test_denied_requests_are_recorded_but_a_flood_is_capped(app, client):
    admin_post(client, WS, {"name": "team-d"})
    name = new_user(client)
    for _ in range(20):
        response = client.post(f"{API}/experiments/create", json={"name": "nope"}, headers=as_user(name, "team-d"))
        assert response.status_code == 403
    denied = events(client, action="request.denied", actor=name)
    assert len(denied) == 5  # audit_denied_per_minute
    assert denied[0]["target"] == "POST /api/2.0/mlflow/experiments/create" and denied[0]["outcome"] == "denied"
    assert "needs 'create'" in denied[0]["details"]["reason"] or "Permission denied" in denied[0]["details"]["reason"]


def test_filters_and_pages(client):
    for index in range(7):
        new_user(client, f"paged-{index}")
    seen, token = [], None
    while True:
        query = {"action": "user.created", "max_results": 3, **({"page_token": token} if token else {})}
        response = client.get(EVENTS, query_string=query, headers=admin_headers()).json
        seen += [e["target"] for e in response["events"]]
        token = response.get("next_page_token")
        if not token:
            break
    created = [f"user paged-{index}" for index in reversed(range(7))]
    assert [t for t in seen if t.startswith("user paged-")] == created
    assert len(seen) == len(set(seen))
    newest = events(client, action="user.created")[0]
    assert events(client, since=newest["timestamp"], action="user.created")[0]["id"] == newest["id"]
    assert all(e["id"] != newest["id"] for e in events(client, until=newest["timestamp"]))
    assert events(client, actor="nobody-at-all") == []


@pytest.mark.parametrize("query", [{"page_token": "not-a-token"}, {"max_results": 0}, {"max_results": 5000},
                                   {"since": "yesterday"}])
def test_bad_queries_are_400(client, query):
    response = client.get(EVENTS, query_string=query, headers=admin_headers())
    assert response.status_code == 400 and response.json["error_code"] == "INVALID_PARAMETER_VALUE"


def test_only_admins_read_the_trail_and_nobody_edits_it(app, client):
    name = new_user(client)
    assert client.get(EVENTS, headers=basic_auth(name)).status_code == 403
    assert client.get(EVENTS).status_code == 401
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        assert client.open(EVENTS, method=method, headers=admin_headers()).status_code == 405
    methods = {m for rule in app.url_map.iter_rules() if "audit-events" in rule.rule for m in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}


def test_wsauth_audit_prints_the_trail(app, client):
    new_user(client, "cli-seen")
    config = app.extensions["wsauth.auth"].config.path
    result = CliRunner().invoke(cli, ["audit", "--auth-config", config, "--action", "user.created", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0]["target"] == "user cli-seen" and lines[0]["actor"] == ADMIN
    text = CliRunner().invoke(cli, ["audit", "--auth-config", config, "--target", "user cli-seen"])
    assert text.exit_code == 0 and "user.created" in text.output and "admin@127.0.0.1" in text.output
    bad = CliRunner().invoke(cli, ["audit", "--auth-config", config, "--since", "last tuesday"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_refusals_of_handlers_are_recorded_too(client):
    """Not only the hook's: a manager who may not grant MANAGE is refused by the handler."""
    admin_post(client, WS, {"name": "team-m"})
    manager, other = new_user(client), new_user(client)
    admin_post(client, f"{WS}/team-m/permissions", {"username": manager, "permission": "MANAGE"})
    refused = client.post(f"{WS}/team-m/permissions", json={"username": other, "permission": "MANAGE"},
                          headers=basic_auth(manager))
    assert refused.status_code == 403
    (event,) = events(client, action="request.denied", actor=manager)
    assert event["target"] == "POST /api/3.0/mlflow/workspaces/team-m/permissions"
    assert event["details"]["reason"] == refused.json["message"]


def test_the_cli_refuses_a_database_without_auth_tables(tmp_path):
    ini = tmp_path / "basic_auth.ini"
    ini.write_text("[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///" + str(tmp_path / "elsewhere.db")
                   + "\nadmin_username = admin\n")
    for args in (["audit"], ["unlock", "alice"]):
        result = CliRunner().invoke(cli, [*args, "--auth-config", str(ini)])
        assert result.exit_code != 0 and "no auth database" in result.output, result.output
    assert not (tmp_path / "elsewhere.db").exists()  # and none was created on the way


def test_the_cli_finds_basic_auth_ini_as_the_server_does(app, client, tmp_path, monkeypatch):
    """No --auth-config and no MLFLOW_AUTH_CONFIG_PATH: ./basic_auth.ini, as `wsauth server`."""
    new_user(client, "found-by-cwd")
    config = app.extensions["wsauth.auth"].config.path
    (tmp_path / "basic_auth.ini").write_text(Path(config).read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_AUTH_CONFIG_PATH", raising=False)
    result = CliRunner().invoke(cli, ["audit", "--target", "user found-by-cwd"])
    assert result.exit_code == 0 and "user.created" in result.output, result.output
    unlocked = CliRunner().invoke(cli, ["unlock", "found-by-cwd"])
    assert unlocked.exit_code == 0, unlocked.output
