"""Fixtures for the auth layer: a host app with `--app-name basic-auth` on a temporary
basic_auth.ini and auth database (of the same kind as the tracking database), users, and
Basic-auth headers."""

from __future__ import annotations

import base64
import uuid

import pytest

ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1234"
PASSWORD = "a-good-password-123"

INI = """[mlflow]
default_permission = {default_permission}
database_uri = {database_uri}
admin_username = {admin}
admin_password = {admin_password}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
grant_default_workspace_access = {grant_default}
workspace_cache_max_size = 100
workspace_cache_ttl_seconds = 3600
"""


def basic_auth(username: str, password: str = PASSWORD) -> dict[str, str]:
    """An Authorization header with HTTP Basic credentials."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def admin_headers(**extra) -> dict[str, str]:
    """The admin's credentials (plus any other headers)."""
    return {**basic_auth(ADMIN, ADMIN_PASSWORD), **extra}


@pytest.fixture
def write_ini(tmp_path, database_uri, monkeypatch):
    """write_ini(**keys) -> path of a basic_auth.ini, set as MLFLOW_AUTH_CONFIG_PATH.

    The auth tables live in the tracking database (the schemas share it), so every database kind
    under test is used for both."""

    def write(default_permission="READ", grant_default="false", **extra) -> str:
        path = tmp_path / f"basic_auth-{uuid.uuid4().hex[:6]}.ini"
        text = INI.format(default_permission=default_permission, database_uri=database_uri,
                          admin=ADMIN, admin_password=ADMIN_PASSWORD, grant_default=grant_default)
        path.write_text(text + "".join(f"{k} = {v}\n" for k, v in extra.items()))
        monkeypatch.setenv("MLFLOW_AUTH_CONFIG_PATH", str(path))
        return str(path)

    return write


@pytest.fixture
def make_auth_app(make_app, write_ini):
    """make_auth_app(workspaces_enabled=True, default_permission="READ", grant_default="false")."""

    def build(workspaces_enabled=True, **ini):
        write_ini(**ini)
        return make_app(app_name="basic-auth", workspaces_enabled=workspaces_enabled)

    return build


@pytest.fixture
def auth_app(make_auth_app):
    """A host app with the basic-auth layer and workspaces enabled."""
    return make_auth_app()


@pytest.fixture
def auth_client(auth_app):
    """A test client of `auth_app`."""
    return auth_app.test_client()


@pytest.fixture
def make_user(auth_client):
    """make_user(name=None, admin=False) -> username of a new user with password PASSWORD."""

    def create(name: str | None = None, admin: bool = False) -> str:
        name = name or f"user-{uuid.uuid4().hex[:8]}"
        response = auth_client.post("/api/2.0/mlflow/users/create", json={"username": name, "password": PASSWORD},
                                    headers=admin_headers())
        assert response.status_code == 200, response.json
        if admin:
            auth_client.patch("/api/2.0/mlflow/users/update-admin", json={"username": name, "is_admin": True},
                              headers=admin_headers())
        return name

    return create
