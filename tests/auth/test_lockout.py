"""Brute-force protection: failed sign-ins per username and client address, shared through the
auth database, 429 with Retry-After past the threshold (even for the right password), reset by a
success, lifted by an admin (REST and CLI), X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import ipaddress
import time

import pytest
from click.testing import CliRunner

from auth.lockout import client_address
from tests.auth.conftest import ADMIN, PASSWORD, admin_headers, basic_auth, new_user
from tracking.cli import cli

USERS = "/api/2.0/mlflow/users"
ATTACKER, VICTIM_HOME = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(login_max_failures=3, login_lockout_seconds=60)


@pytest.fixture
def client(app):
    return app.test_client()


def attempt(client, username, password, address=ATTACKER, **headers):
    return client.get(f"{USERS}/get", query_string={"username": username},
                      headers={**basic_auth(username, password), **headers},
                      environ_base={"REMOTE_ADDR": address})


def lock(client, username, address=ATTACKER, **headers):
    for _ in range(3):
        assert attempt(client, username, "wrong-password-123", address, **headers).status_code == 401


def assert_locked(response):
    assert response.status_code == 429, response.json
    assert response.json["error_code"] == "REQUEST_LIMIT_EXCEEDED" and "retry in" in response.json["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_past_the_threshold_even_the_right_password_gets_429(client):
    name = new_user(client)
    assert attempt(client, name, PASSWORD).status_code == 200  # remembered sign-in from this address
    lock(client, name)
    assert_locked(attempt(client, name, PASSWORD))
    assert_locked(attempt(client, name, "another-guess-1234"))


def test_one_address_cannot_lock_a_user_out_of_another(client):
    name = new_user(client)
    lock(client, name, ATTACKER)
    assert_locked(attempt(client, name, PASSWORD, ATTACKER))
    assert attempt(client, name, PASSWORD, VICTIM_HOME).status_code == 200


def test_a_success_resets_the_count(client):
    name = new_user(client)
    for _ in range(2):
        assert attempt(client, name, "wrong-password-123").status_code == 401
    assert attempt(client, name, PASSWORD).status_code == 200
    for _ in range(2):
        assert attempt(client, name, "wrong-password-123").status_code == 401
    assert attempt(client, name, PASSWORD).status_code == 200


def test_unknown_names_lock_like_real_ones(client):
    """A 429 must not tell an attacker which names exist."""
    lock(client, "no-such-user")
    assert_locked(attempt(client, "no-such-user", PASSWORD))


def test_the_lockout_ends_when_its_time_is_up(make_auth_app):
    client = make_auth_app(login_max_failures=2, login_lockout_seconds=1).test_client()
    name = new_user(client)
    for _ in range(2):
        assert attempt(client, name, "wrong-password-123").status_code == 401
    assert attempt(client, name, PASSWORD).status_code == 429
    time.sleep(1.2)
    assert attempt(client, name, PASSWORD).status_code == 200


def test_failures_are_shared_by_workers(app, make_auth_app):
    """Two apps on one auth database stand for two workers (or hosts): their counts add up."""
    name = new_user(app.test_client())
    other = make_auth_app(login_max_failures=3, login_lockout_seconds=60).test_client()
    assert attempt(app.test_client(), name, "wrong-password-123").status_code == 401
    assert attempt(other, name, "wrong-password-123").status_code == 401
    assert attempt(app.test_client(), name, "wrong-password-123").status_code == 401
    assert_locked(attempt(other, name, PASSWORD))


def test_an_admin_lists_and_clears_lockouts_through_rest(client):
    name = new_user(client)
    lock(client, name)
    locks = client.get(f"{USERS}/lockouts", headers=admin_headers()).json["lockouts"]
    assert [(l["username"], l["address"], l["failures"]) for l in locks] == [(name, ATTACKER, 3)]
    assert client.get(f"{USERS}/lockouts", headers=basic_auth(name), environ_base={"REMOTE_ADDR": VICTIM_HOME}
                      ).status_code == 403
    refused = client.delete(f"{USERS}/lockouts", json={"username": name}, headers=basic_auth(name),
                            environ_base={"REMOTE_ADDR": VICTIM_HOME})
    assert refused.status_code == 403
    assert_locked(attempt(client, name, PASSWORD))
    cleared = client.delete(f"{USERS}/lockouts", json={"username": name}, headers=admin_headers())
    assert cleared.status_code == 200 and cleared.json == {"cleared": 1}
    assert attempt(client, name, PASSWORD).status_code == 200
    assert client.get(f"{USERS}/lockouts", headers=admin_headers()).json["lockouts"] == []
    missing = client.delete(f"{USERS}/lockouts", json={}, headers=admin_headers())
    assert missing.status_code == 400 and "username" in missing.json["message"]


def test_an_admin_clears_a_lockout_with_the_cli(client, app):
    name = new_user(client)
    lock(client, name)
    config = app.extensions["wsauth.auth"].config.path
    result = CliRunner().invoke(cli, ["unlock", name, "--auth-config", config])
    assert result.exit_code == 0, result.output
    assert f"Cleared 1 lockout record(s) of user '{name}'" in result.output
    assert attempt(client, name, PASSWORD).status_code == 200


def test_forwarded_for_is_ignored_from_untrusted_peers(client):
    """Without trusted proxies, a forged X-Forwarded-For changes nothing: the lock stays on the peer."""
    name = new_user(client)
    lock(client, name, ATTACKER, **{"X-Forwarded-For": VICTIM_HOME})
    assert_locked(attempt(client, name, PASSWORD, ATTACKER, **{"X-Forwarded-For": "192.0.2.1"}))
    locks = client.get(f"{USERS}/lockouts", headers=admin_headers()).json["lockouts"]
    assert [l["address"] for l in locks] == [ATTACKER]


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(make_auth_app):
    proxy = "10.0.0.5"
    client = make_auth_app(login_max_failures=3, login_lockout_seconds=60, trusted_proxies="10.0.0.0/24").test_client()
    name = new_user(client)
    # The attacker forges a first hop; the proxy appends the address it saw.
    lock(client, name, proxy, **{"X-Forwarded-For": f"{VICTIM_HOME}, {ATTACKER}"})
    assert_locked(attempt(client, name, PASSWORD, proxy, **{"X-Forwarded-For": ATTACKER}))
    assert attempt(client, name, PASSWORD, proxy, **{"X-Forwarded-For": VICTIM_HOME}).status_code == 200
    locks = client.get(f"{USERS}/lockouts", headers=admin_headers()).json["lockouts"]
    assert [l["address"] for l in locks] == [ATTACKER]


def test_the_client_address_rules():
    trusted = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert client_address("203.0.113.1", "1.2.3.4", ()) == "203.0.113.1"
    assert client_address("203.0.113.1", "1.2.3.4", trusted) == "203.0.113.1"  # peer not a proxy
    assert client_address("10.1.1.1", "1.2.3.4", trusted) == "1.2.3.4"
    assert client_address("10.1.1.1", "6.6.6.6, 1.2.3.4, 10.2.2.2", trusted) == "1.2.3.4"
    assert client_address("10.1.1.1", "garbage", trusted) == "10.1.1.1"
    assert client_address("10.1.1.1", "", trusted) == "10.1.1.1"
    assert client_address("::1", "2001:db8::1", trusted) == "2001:db8::1"
    assert client_address(None, None, trusted) == "unknown"


def test_lockouts_can_be_switched_off(make_auth_app):
    client = make_auth_app(login_max_failures=0).test_client()
    name = new_user(client)
    for _ in range(12):
        assert attempt(client, name, "wrong-password-123").status_code == 401
    assert attempt(client, name, PASSWORD).status_code == 200


def test_the_admin_is_protected_too(client):
    lock(client, ADMIN)
    assert_locked(client.get(f"{USERS}/list", headers=admin_headers(), environ_base={"REMOTE_ADDR": ATTACKER}))
    assert client.get(f"{USERS}/list", headers=admin_headers()).status_code == 200
