"""basic_auth.ini -> AuthConfig: every key, its default, and one clear line for every bad file."""

import dataclasses
import ipaddress
import os
import subprocess
import uuid

import pytest

from auth import authentication, config
from auth.config import AuthConfig, ConfigError, load
from auth.permissions import Permission
from tests.auth.conftest import PASSWORD, as_user
from tests.conftest import WSAUTH, free_port

REQUIRED = {"default_permission": "READ", "database_uri": "sqlite:///auth.db", "admin_username": "admin"}
VALID_LEVELS = "READ, USE, EDIT, MANAGE or NO_PERMISSIONS"


def write(tmp_path, text: str | None = None, **keys) -> str:
    """A basic_auth.ini holding `text`, or an [mlflow] section with these keys."""
    path = tmp_path / f"basic_auth-{uuid.uuid4().hex[:6]}.ini"
    if text is None:
        text = "[mlflow]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
    path.write_text(text)
    return str(path)


def load_keys(tmp_path, environ=None, **keys) -> AuthConfig:
    return load(write(tmp_path, **{**REQUIRED, **keys}), environ or {})


def refusal(tmp_path, environ=None, text=None, **keys) -> str:
    """The one-line message with which a file is refused."""
    path = write(tmp_path, text, **keys)
    with pytest.raises(ConfigError) as caught:
        load(path, environ or {})
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def test_every_key_is_read(tmp_path):
    settings = load_keys(
        tmp_path, default_permission="EDIT", database_uri="postgresql://db/auth", admin_username="root",
        admin_password="a-long-enough-secret", authorization_function="my.module:check",
        grant_default_workspace_access="true", workspace_cache_max_size="50", workspace_cache_ttl_seconds="0",
        auth_cache_max_size="0", auth_cache_ttl_seconds="60", login_max_failures="5", login_lockout_seconds="30",
        trusted_proxies="10.0.0.0/8, 192.0.2.1", audit_denied_per_minute="7",
    )
    assert dataclasses.asdict(settings) == {
        "path": settings.path, "default_permission": Permission.EDIT, "database_uri": "postgresql://db/auth",
        "admin_username": "root", "admin_password": "a-long-enough-secret",
        "authorization_function": "my.module:check", "grant_default_workspace_access": True,
        "workspace_cache_max_size": 50, "workspace_cache_ttl_seconds": 0,
        "auth_cache_max_size": 0, "auth_cache_ttl_seconds": 60, "login_max_failures": 5,
        "login_lockout_seconds": 30,
        "trusted_proxies": (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.0.2.1/32")),
        "audit_denied_per_minute": 7,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.default_permission = Permission.MANAGE


def test_optional_keys_have_safe_defaults(tmp_path):
    settings = load_keys(tmp_path)
    assert settings.admin_password is None  # none shipped: generated at first start
    assert settings.authorization_function == "mlflow.server.auth:authenticate_request_basic_auth"
    assert settings.grant_default_workspace_access is False
    assert (settings.workspace_cache_max_size, settings.workspace_cache_ttl_seconds) == (10000, 3600)
    assert (settings.auth_cache_max_size, settings.auth_cache_ttl_seconds) == (10000, 300)
    assert (settings.login_max_failures, settings.login_lockout_seconds) == (10, 900)
    assert settings.trusted_proxies == () and settings.audit_denied_per_minute == 60


def test_the_shipped_file_loads_with_safe_values():
    settings = load(config.REPOSITORY_FILE, {})
    assert settings.default_permission is Permission.READ
    assert settings.admin_password is None
    assert settings.grant_default_workspace_access is False
    assert settings.authorization_function == config.BUILTIN_AUTHENTICATION


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("false", False), ("yes", True), ("no", False), ("On", True), ("OFF", False), ("1", True),
    ("0", False),
])
def test_booleans_in_the_ini_spellings(tmp_path, text, expected):
    assert load_keys(tmp_path, grant_default_workspace_access=text).grant_default_workspace_access is expected


@pytest.mark.parametrize("level", ["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"])
def test_every_level_is_a_default_permission(tmp_path, level):
    assert load_keys(tmp_path, default_permission=level).default_permission is Permission[level]


def test_an_unknown_key_stops_start_up(tmp_path):
    message = refusal(tmp_path, **REQUIRED, workspace_cache_size="5")
    assert message.startswith(f"{tmp_path}")
    assert "[mlflow] has unknown key 'workspace_cache_size'; fix its spelling or remove it" in message
    assert "(known keys: default_permission, database_uri," in message and "workspace_cache_max_size" in message


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_a_missing_required_key_stops_start_up(tmp_path, missing):
    keys = {k: v for k, v in REQUIRED.items() if k != missing}
    message = refusal(tmp_path, **keys)
    assert f"[mlflow] {missing} is missing; set it to {config.KEYS[missing].help}" in message
    assert message.startswith(str(tmp_path))


@pytest.mark.parametrize("key, value, reason, fix", [
    ("default_permission", "WRITE", "Invalid permission 'WRITE'. Valid permissions are: NO_PERMISSIONS, READ, USE, "
     "EDIT, MANAGE", VALID_LEVELS),
    ("default_permission", "read", "Invalid permission 'read'", VALID_LEVELS),  # names are case-sensitive
    ("workspace_cache_max_size", "ten", "'ten' is not a whole number", "a whole number >= 1"),
    ("workspace_cache_max_size", "0", "0 is below the minimum of 1", "a whole number >= 1"),
    ("workspace_cache_ttl_seconds", "1.5", "'1.5' is not a whole number", "seconds, a whole number >= 0"),
    ("auth_cache_ttl_seconds", "-1", "-1 is below the minimum of 0", "seconds, a whole number >= 0"),
    ("grant_default_workspace_access", "maybe", "'maybe' is not a boolean", "true or false"),
    ("authorization_function", "no_colon_here", "'no_colon_here' is not of the form module:function", "module:function"),
    ("authorization_function", "module:", "'module:' is not of the form module:function", "module:function"),
    ("admin_password", "short", "Password must be a string of at least 12 characters",
     "the admin's password (12+ characters)"),
    ("admin_username", " ", "it is empty", "name of the admin account"),
    ("trusted_proxies", "10.0.0.0/8, proxy.local", "'proxy.local' is not an IP address or network",
     "comma-separated addresses or networks"),
    ("login_lockout_seconds", "0", "0 is below the minimum of 1", "seconds, a whole number >= 1"),
])
def test_a_bad_value_names_file_key_and_fix(tmp_path, key, value, reason, fix):
    message = refusal(tmp_path, **{**REQUIRED, key: value})
    assert message.startswith(f"{tmp_path}"), message
    assert f"[mlflow] {key}: {reason}" in message
    assert f"; set it to {fix}" in message


def test_a_missing_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "nowhere.ini", {})
    assert str(caught.value) == f"{tmp_path / 'nowhere.ini'}: no such file; set MLFLOW_AUTH_CONFIG_PATH to your basic_auth.ini"


def test_a_file_without_the_section_is_refused(tmp_path):
    message = refusal(tmp_path, text="[auth]\ndefault_permission = READ\n")
    assert message.endswith("no [mlflow] section; put the settings under [mlflow]")


@pytest.mark.parametrize("text", ["default_permission = READ\n", "[mlflow\nx", "[mlflow]\nkey = 1\nkey = 2\n"])
def test_a_file_that_is_not_ini_is_refused(tmp_path, text):
    message = refusal(tmp_path, text=text)
    assert message.startswith(str(tmp_path)) and "not a UTF-8 ini file" in message
    assert message.endswith("write [mlflow] followed by key = value lines")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.ini"
    path.write_bytes(b"[mlflow]\ndefault_permission = R\xc9AD\n")
    with pytest.raises(ConfigError, match="not a UTF-8 ini file"):
        load(path, {})


def test_the_environment_overrides_the_admin(tmp_path):
    environ = {"MLFLOW_AUTH_ADMIN_USERNAME": "root", "MLFLOW_AUTH_ADMIN_PASSWORD": "from-the-environment"}
    settings = load_keys(tmp_path, environ, admin_password="from-the-ini-file")
    assert (settings.admin_username, settings.admin_password) == ("root", "from-the-environment")
    # an empty variable does not count
    settings = load_keys(tmp_path, {"MLFLOW_AUTH_ADMIN_PASSWORD": ""}, admin_password="from-the-ini-file")
    assert settings.admin_password == "from-the-ini-file"


def test_a_weak_password_from_the_environment_names_the_variable(tmp_path):
    message = refusal(tmp_path, {"MLFLOW_AUTH_ADMIN_PASSWORD": "short"}, **REQUIRED,
                      admin_password="a-fine-password-in-the-file")
    assert message.startswith("MLFLOW_AUTH_ADMIN_PASSWORD (it overrides [mlflow] admin_password of ")
    assert "Password must be a string of at least 12 characters" in message and "short" not in message


def test_the_path_comes_from_the_environment_then_the_working_directory(tmp_path, monkeypatch):
    assert config.config_path({"MLFLOW_AUTH_CONFIG_PATH": "/etc/wsauth.ini"}) == config.Path("/etc/wsauth.ini")
    monkeypatch.chdir(tmp_path)
    assert config.config_path({}) == config.REPOSITORY_FILE
    (tmp_path / "basic_auth.ini").write_text("[mlflow]\n")
    assert config.config_path({}) == config.Path("basic_auth.ini")


def test_the_mlflow_name_is_the_built_in_basic_auth():
    assert authentication.load_function("mlflow.server.auth:authenticate_request_basic_auth") is None


def test_a_function_that_cannot_be_imported_is_refused():
    with pytest.raises(ValueError, match="authorization_function no_such_module_x:f cannot be loaded"):
        authentication.load_function("no_such_module_x:f")
    with pytest.raises(ValueError, match="cannot be loaded"):
        authentication.load_function("os:no_such_function")


CUSTOM = '''
from flask import Response, request


def by_header():
    """Trust a header set by a front proxy (a test stand-in for single sign-on)."""
    name = request.headers.get("X-Remote-User")
    if name == "teapot":
        return Response("short and stout", status=418)
    return name or None
'''


def test_a_custom_function_authenticates(tmp_path, monkeypatch, make_app, database_uri):
    module = f"custom_auth_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(CUSTOM)
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write(tmp_path, **{**REQUIRED, "database_uri": database_uri, "admin_password": "admin-password-1234",
                               "authorization_function": f"{module}:by_header"})
    monkeypatch.setenv("MLFLOW_AUTH_CONFIG_PATH", path)
    client = make_app(app_name="basic-auth").test_client()

    # Basic credentials mean nothing now; the header decides, and the user must exist
    assert client.get("/api/2.0/mlflow/users/list", headers=as_user(None)).status_code == 401
    admin = {"X-Remote-User": "admin"}
    assert client.get("/api/2.0/mlflow/users/list", headers=admin).status_code == 200
    ghost = client.get("/api/2.0/mlflow/users/list", headers={"X-Remote-User": "ghost"})
    assert ghost.status_code == 401 and ghost.json["error_code"] == "UNAUTHENTICATED"
    assert client.post("/api/2.0/mlflow/users/create", json={"username": "bob", "password": PASSWORD},
                       headers=admin).status_code == 200
    bob = client.get("/api/2.0/mlflow/users/get", query_string={"username": "bob"}, headers={"X-Remote-User": "bob"})
    assert bob.status_code == 200 and bob.json["user"]["username"] == "bob"
    assert client.get("/api/2.0/mlflow/users/list", headers={"X-Remote-User": "bob"}).status_code == 403
    # the function may answer the request itself
    teapot = client.get("/api/2.0/mlflow/users/list", headers={"X-Remote-User": "teapot"})
    assert (teapot.status_code, teapot.get_data(as_text=True)) == (418, "short and stout")
    assert client.get("/health").status_code == 200


def _start(tmp_path, ini_path: str, **environ) -> subprocess.CompletedProcess:
    command = [WSAUTH, "server", "--backend-store-uri", f"sqlite:///{tmp_path / 'mlflow.db'}", "--app-name",
               "basic-auth", "--host", "127.0.0.1", "--port", str(free_port()), "--workers", "1"]
    env = {**os.environ, "MLFLOW_AUTH_CONFIG_PATH": ini_path, **environ}
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("keys, expected", [
    ({"default_permission": "WRITE"}, "[mlflow] default_permission: Invalid permission 'WRITE'"),
    ({"admin_password": "too-short"}, "[mlflow] admin_password: Password must be a string of at least 12 characters"),
])
def test_the_server_refuses_to_start_with_a_bad_file(tmp_path, keys, expected):
    path = write(tmp_path, **{**REQUIRED, "database_uri": f"sqlite:///{tmp_path / 'auth.db'}", **keys})
    result = _start(tmp_path, path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"wsauth: error: app plugin 'basic-auth': {path}: {expected}")
    assert "too-short" not in result.stderr  # the refused password is not echoed
