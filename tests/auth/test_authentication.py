"""Authentication: HTTP Basic against argon2 hashes, one slow check per request at most, a
verified-sign-in cache that forgets changed users, the admin bootstrap and the password policy."""

import base64
import logging
import re

import pytest
from sqlalchemy import text

from auth import app as auth_app_module
from auth import passwords
from auth.authentication import MESSAGE
from auth.store import AuthStore
from tests.auth.conftest import ADMIN, ADMIN_PASSWORD, PASSWORD, admin_headers, admin_post, basic_auth, new_user
from tracking.hostkit import Database

API = "/api/2.0/mlflow"
WS_API = "/api/3.0/mlflow"
USERS = f"{API}/users"
UNAUTHENTICATED = {"error_code": "UNAUTHENTICATED", "message": MESSAGE}


@pytest.fixture(scope="module")
def app(make_module_auth_app):
    return make_module_auth_app()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture
def verifications(monkeypatch):
    """The stored hash (or None) of every password verification made from now on."""
    calls = []
    real = passwords.verify

    def counting(password, stored):
        calls.append(stored)
        return real(password, stored)

    monkeypatch.setattr(passwords, "verify", counting)
    return calls


def settle(app):
    """Let this worker's caches catch up with every change made so far, so that a later poll of
    the change counter cannot clear them in the middle of a measurement."""
    app.extensions["wsauth.auth"].watch.catch_up()


def raw_basic(payload: bytes) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(payload).decode()}


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="mlflow"'
    assert response.mimetype == "application/json"
    assert response.json == UNAUTHENTICATED


# 401 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": ""},
    {"Authorization": "Basic"},
    {"Authorization": "Basic !!!not-base64"},
    raw_basic(b"admin"),                                   # no colon
    raw_basic(b":" + ADMIN_PASSWORD.encode()),             # no user name
    raw_basic(b"\xff\xfe:\xff"),                            # not UTF-8
    raw_basic(b"adm\x00in:" + ADMIN_PASSWORD.encode()),    # NUL in the name (PostgreSQL refuses it)
    {"Authorization": "Bearer " + ADMIN_PASSWORD},
    {"Authorization": "Digest username=admin"},
    basic_auth("nobody-here", PASSWORD),                   # unknown user
    basic_auth(ADMIN, "wrong-password-1234"),              # wrong password
    basic_auth(ADMIN, ""),                                 # empty password
    basic_auth(ADMIN, ADMIN_PASSWORD + " "),
    basic_auth(ADMIN, "x" * 100_000),                      # past passlib's 4 KB limit
    basic_auth("nobody-here", "x" * 100_000),
], ids=lambda h: repr(h)[:40])
def test_missing_or_wrong_credentials_get_401(client, headers):
    assert_unauthenticated(client.get(f"{USERS}/list", headers=headers))


def test_the_basic_scheme_name_is_case_insensitive(client):
    token = base64.b64encode(f"{ADMIN}:{ADMIN_PASSWORD}".encode()).decode()
    assert client.get(f"{USERS}/list", headers={"Authorization": f"basic {token}"}).status_code == 200


def test_every_protected_route_asks_for_credentials_first(app, client):
    """Nothing about workspaces or resources answers an anonymous caller (not even 404 for an
    unknown workspace header)."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("home", "health", "ready", "version", "serverInfo", "openApiDocument", "static"):
            continue
        path = rule.rule.replace("<workspace_name>", "team-x").replace("<path:artifact_path>", "a/b")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, {"X-MLFLOW-WORKSPACE": "no-such-workspace"}, {"X-MLFLOW-WORKSPACE": "BAD NAME"}):
                response = client.open(path, method=method, headers=headers, json={"name": "x"})
                assert response.status_code == 401, (method, path, response.json)
                assert response.json == UNAUTHENTICATED
                checked += 1
    assert checked > 150


@pytest.mark.parametrize("path", ["/", "/health", "/ready", "/version", "/api/3.0/mlflow/server-info",
                                  "/ajax-api/3.0/mlflow/server-info"])
def test_public_routes_need_no_credentials(client, path):
    for headers in ({}, basic_auth(ADMIN, "wrong-password-1234"), {"X-MLFLOW-WORKSPACE": "no-such-workspace"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, headers)
    if "server-info" in path:
        assert response.json == {"store_type": "SqlStore", "workspaces_enabled": True}


def test_a_missing_static_file_is_a_plain_404(client):
    assert client.get("/static/nothing.js").status_code == 404


# how passwords are stored -------------------------------------------------------------------------

def _stored_hashes(app) -> dict[str, str]:
    database = app.extensions["wsauth.auth"].store.database
    with database.session() as session:
        return dict(session.execute(text("SELECT username, password_hash FROM users")).all())


def test_only_salted_argon2_hashes_are_stored(app, client):
    first, second = new_user(client), new_user(client)
    hashes = _stored_hashes(app)
    for name in (ADMIN, first, second):
        assert hashes[name].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert PASSWORD not in hashes[name] and ADMIN_PASSWORD not in hashes[name]
    assert hashes[first] != hashes[second]  # same password, different salt


def test_an_old_hash_is_upgraded_at_sign_in(app, client):
    name = new_user(client)
    old = passwords.CONTEXT.handler("pbkdf2_sha256").hash(PASSWORD)
    app.extensions["wsauth.auth"].store.update_user(name, password_hash=old)
    settle(app)
    assert client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)).status_code == 200
    assert _stored_hashes(app)[name].startswith("$argon2id$")


# one slow check per request at most --------------------------------------------------------------

def test_a_sign_in_is_verified_once_then_remembered(app, client, verifications):
    name = new_user(client)
    settle(app)
    verifications.clear()
    for _ in range(3):
        response = client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name))
        assert response.status_code == 200
    assert len(verifications) == 1 and verifications[0].startswith("$argon2id$")


def test_a_busy_request_still_verifies_at_most_once(app, client, verifications):
    name = new_user(client)
    client.post("/api/3.0/mlflow/workspaces/default/permissions", json={"username": name, "permission": "EDIT"},
                headers=admin_headers())
    settle(app)
    verifications.clear()
    # create (a grant for the creator afterwards), then a filtered search: one check in all
    created = client.post("/api/2.0/mlflow/experiments/create", json={"name": f"busy-{name}"}, headers=basic_auth(name))
    assert created.status_code == 200
    assert len(verifications) == 1
    found = client.post("/api/2.0/mlflow/experiments/search", json={"filter": f"name = 'busy-{name}'"},
                        headers=basic_auth(name))
    assert [e["name"] for e in found.json["experiments"]] == [f"busy-{name}"]
    assert len(verifications) == 1  # the creator's new grant does not flush remembered sign-ins


def test_only_user_changes_flush_remembered_sign_ins(app, client, verifications, monkeypatch):
    """Every worker polls the auth database's change counters (here: on every request). Grants
    have their own counter, so granting must not cost every user a new slow verification; a user
    changed by another worker must be noticed."""
    layer = app.extensions["wsauth.auth"]
    monkeypatch.setattr(layer.watch, "_interval", 0.0)
    name = new_user(client)
    settle(app)
    ask = lambda: client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name))
    assert ask().status_code == 200
    assert client.get(f"{USERS}/list", headers=admin_headers()).status_code == 200  # the admin's sign-in, too
    verifications.clear()
    admin_post(client, f"{WS_API}/workspaces/default/permissions", {"username": name, "permission": "READ"})
    admin_post(client, f"{API}/experiments/permissions/create", {"experiment_id": "0", "username": name,
                                                                 "permission": "EDIT"})
    assert ask().status_code == 200
    assert verifications == []
    # As another worker would (a store that does not tell this worker): heard through the counter.
    AuthStore(layer.store.database).update_user(name, is_admin=True)
    assert ask().status_code == 200
    assert len(verifications) == 1
    assert client.get(f"{USERS}/list", headers=basic_auth(name)).status_code == 200


def test_wrong_passwords_are_verified_every_time(app, client, verifications):
    name = new_user(client)
    settle(app)
    verifications.clear()
    for _ in range(2):
        assert_unauthenticated(client.get(f"{USERS}/list", headers=basic_auth(name, "not-the-password-1")))
    assert len(verifications) == 2 and all(stored.startswith("$argon2id$") for stored in verifications)


def test_an_unknown_user_costs_a_verification_too(client, verifications):
    assert_unauthenticated(client.get(f"{USERS}/list", headers=basic_auth("never-created", PASSWORD)))
    assert verifications == [None]


def test_a_wrong_password_does_not_evict_the_right_one(app, client, verifications):
    name = new_user(client)
    settle(app)
    assert client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)).status_code == 200
    verifications.clear()
    assert client.get(f"{USERS}/get", query_string={"username": name},
                      headers=basic_auth(name, "guessing-a-password")).status_code == 401
    assert client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)).status_code == 200
    assert len(verifications) == 1  # only the guess


@pytest.mark.parametrize("changed_by_self", [True, False])
def test_a_password_change_ends_the_remembered_sign_in(app, client, changed_by_self, verifications):
    name = new_user(client)
    assert client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)).status_code == 200
    new_password = "a-brand-new-password-9"
    response = client.patch(f"{USERS}/update-password", json={"username": name, "password": new_password},
                            headers=basic_auth(name) if changed_by_self else admin_headers())
    assert response.status_code == 200 and response.json == {}
    verifications.clear()
    assert_unauthenticated(client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)))
    assert len(verifications) == 1  # the old password was checked again, not remembered
    ok = client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name, new_password))
    assert ok.status_code == 200


def test_a_deleted_user_is_forgotten_at_once(client):
    name = new_user(client)
    assert client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)).status_code == 200
    assert client.delete(f"{USERS}/delete", json={"username": name}, headers=admin_headers()).status_code == 200
    assert_unauthenticated(client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)))


def test_a_demoted_admin_loses_admin_rights_at_once(client):
    name = new_user(client, admin=True)
    assert client.get(f"{USERS}/list", headers=basic_auth(name)).status_code == 200
    client.patch(f"{USERS}/update-admin", json={"username": name, "is_admin": False}, headers=admin_headers())
    assert client.get(f"{USERS}/list", headers=basic_auth(name)).status_code == 403


# the password policy -----------------------------------------------------------------------------

POLICY = "Password must be a string of at least 12 characters."


@pytest.mark.parametrize("password, message", [
    ("eleven-char", POLICY),
    ("", POLICY),
    (123456789012345, POLICY),
    (["a-good-password-123"], POLICY),
    ("x" * 1001, "Password must be at most 1000 characters long."),
])
def test_users_create_enforces_the_policy(client, password, message):
    response = client.post(f"{USERS}/create", json={"username": "policy-user", "password": password},
                           headers=admin_headers())
    assert (response.status_code, response.json) == (400, {"error_code": "INVALID_PARAMETER_VALUE", "message": message})
    assert client.get(f"{USERS}/get", query_string={"username": "policy-user"}, headers=admin_headers()).status_code == 404


def test_users_create_without_a_password_is_refused(client):
    response = client.post(f"{USERS}/create", json={"username": "no-password"}, headers=admin_headers())
    assert response.status_code == 400
    assert response.json["message"] == "Missing value for required parameter 'password'."


def test_twelve_characters_are_enough(client):
    response = client.post(f"{USERS}/create", json={"username": "twelve-chars", "password": "x" * 12},
                           headers=admin_headers())
    assert response.status_code == 200
    assert client.get(f"{USERS}/get", query_string={"username": "twelve-chars"},
                      headers=basic_auth("twelve-chars", "x" * 12)).status_code == 200


@pytest.mark.parametrize("by_self", [True, False])
def test_update_password_enforces_the_policy(client, by_self):
    name = new_user(client)
    headers = basic_auth(name) if by_self else admin_headers()
    for bad in ("short-pw", 12345678901234, None):
        response = client.patch(f"{USERS}/update-password", json={"username": name, "password": bad}, headers=headers)
        assert response.status_code == 400 and response.json["error_code"] == "INVALID_PARAMETER_VALUE"
        assert str(bad) not in response.json["message"] or bad is None
    # the old password still works
    assert client.get(f"{USERS}/get", query_string={"username": name}, headers=basic_auth(name)).status_code == 200


# credentials stay out of errors and logs ---------------------------------------------------------

def test_credentials_never_appear_in_errors_or_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    name = new_user(client)
    secrets = ["wrong-secret-AAA-111", "ghost-secret-BBB-222", "weak-CCC", "987654321098765",
               "duplicate-secret-DDD-333", "other-secret-EEE-444", "ghost-user-FFF"]
    bodies = [
        client.get(f"{USERS}/list", headers=basic_auth(name, secrets[0])),
        client.get(f"{USERS}/list", headers=basic_auth(secrets[6], secrets[1])),
        client.post(f"{USERS}/create", json={"username": "leaky", "password": secrets[2]}, headers=admin_headers()),
        client.post(f"{USERS}/create", json={"username": "leaky", "password": int(secrets[3])}, headers=admin_headers()),
        client.post(f"{USERS}/create", json={"username": name, "password": secrets[4]}, headers=admin_headers()),
        client.patch(f"{USERS}/update-password", json={"username": ADMIN, "password": secrets[5]},
                     headers=basic_auth(name)),
        client.get(f"{USERS}/list", headers=basic_auth(name)),
    ]
    assert [b.status_code for b in bodies] == [401, 401, 400, 400, 400, 403, 403]
    shown = [b.get_data(as_text=True) for b in bodies] + [r.getMessage() for r in caplog.records]
    for secret in secrets + [PASSWORD, ADMIN_PASSWORD, "$argon2", base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()]:
        assert not any(secret in line for line in shown), secret
    assert bodies[4].json == {"error_code": "RESOURCE_ALREADY_EXISTS", "message": f"User (username={name}) already exists."}


def test_user_responses_hold_no_hash(client):
    name = new_user(client)
    for response in (client.get(f"{USERS}/get", query_string={"username": name}, headers=admin_headers()),
                     client.get(f"{USERS}/list", headers=admin_headers())):
        assert response.status_code == 200
        assert "password" not in response.get_data(as_text=True) and "$argon2" not in response.get_data(as_text=True)


# the admin bootstrap -----------------------------------------------------------------------------

def _ini(tmp_path, monkeypatch, database_uri, admin_password=""):
    path = tmp_path / "basic_auth.ini"
    path.write_text(f"[mlflow]\ndefault_permission = READ\ndatabase_uri = {database_uri}\n"
                    f"admin_username = {ADMIN}\nadmin_password = {admin_password}\n")
    monkeypatch.setenv("MLFLOW_AUTH_CONFIG_PATH", str(path))
    return path


def _admin(database_uri, username=ADMIN):
    database = Database(database_uri)
    try:
        return AuthStore(database).get_user(username)
    finally:
        database.dispose()


GENERATED = re.compile(r"wsauth: created admin user 'admin' with the generated password (\S+) "
                       r"\(shown once; only its hash is stored\)\n")


def test_without_a_configured_password_one_is_generated_and_printed_once(tmp_path, monkeypatch, database_uri,
                                                                         capsys, make_app):
    _ini(tmp_path, monkeypatch, database_uri)
    auth_app_module.prepare()
    printed = capsys.readouterr()
    match = GENERATED.fullmatch(printed.err)
    assert match and printed.out == "", printed
    generated = match.group(1)
    assert len(generated) >= 24
    admin = _admin(database_uri)
    assert admin.is_admin and admin.password_hash.startswith("$argon2id$") and generated not in admin.password_hash
    # the next start neither prints nor changes it
    auth_app_module.prepare()
    assert capsys.readouterr().err == ""
    assert _admin(database_uri).password_hash == admin.password_hash
    client = make_app(app_name="basic-auth").test_client()
    assert client.get(f"{USERS}/list", headers=basic_auth(ADMIN, generated)).status_code == 200
    assert capsys.readouterr().err == ""


def test_a_configured_password_is_applied_at_every_start(tmp_path, monkeypatch, database_uri, capsys):
    _ini(tmp_path, monkeypatch, database_uri, "the-first-password")
    auth_app_module.prepare()
    assert passwords.verify("the-first-password", _admin(database_uri).password_hash)[0]
    _ini(tmp_path, monkeypatch, database_uri, "the-rotated-password")
    auth_app_module.prepare()
    stored = _admin(database_uri).password_hash
    assert passwords.verify("the-rotated-password", stored)[0]
    assert not passwords.verify("the-first-password", stored)[0]
    assert capsys.readouterr().err == ""  # nothing printed when the password is configured


def test_the_admin_flag_is_reasserted_at_start(tmp_path, monkeypatch, database_uri):
    _ini(tmp_path, monkeypatch, database_uri, ADMIN_PASSWORD)
    auth_app_module.prepare()
    database = Database(database_uri)
    try:
        AuthStore(database).update_user(ADMIN, is_admin=False)
    finally:
        database.dispose()
    auth_app_module.prepare()
    assert _admin(database_uri).is_admin


def test_the_environment_names_the_admin(tmp_path, monkeypatch, database_uri):
    _ini(tmp_path, monkeypatch, database_uri)
    monkeypatch.setenv("MLFLOW_AUTH_ADMIN_USERNAME", "root")
    monkeypatch.setenv("MLFLOW_AUTH_ADMIN_PASSWORD", "root-password-from-env")
    auth_app_module.prepare()
    root = _admin(database_uri, "root")
    assert root.is_admin and passwords.verify("root-password-from-env", root.password_hash)[0]
    assert _admin(database_uri) is None
