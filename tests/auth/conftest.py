"""Fixtures for the auth layer: a host app with `--app-name basic-auth` on a temporary
basic_auth.ini and auth database (of the same kind as the tracking database), users, and
Basic-auth headers."""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.conftest import DATABASE_KINDS, database_of_kind
from tracking.app import create_app
from tracking.server import prepare_databases
from tracking.settings import Settings

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


def as_user(username: str | None = None, workspace: str | None = None) -> dict[str, str]:
    """Credentials of a user (the admin when None), in a workspace when given."""
    headers = admin_headers() if username is None else basic_auth(username)
    if workspace:
        headers["X-MLFLOW-WORKSPACE"] = workspace
    return headers


def new_user(client, name: str | None = None, admin: bool = False) -> str:
    """A new user with password PASSWORD, created by the admin."""
    name = name or f"user-{uuid.uuid4().hex[:8]}"
    response = client.post("/api/2.0/mlflow/users/create", json={"username": name, "password": PASSWORD},
                           headers=admin_headers())
    assert response.status_code == 200, response.json
    if admin:
        response = client.patch("/api/2.0/mlflow/users/update-admin", json={"username": name, "is_admin": True},
                                headers=admin_headers())
        assert response.status_code == 200, response.json
    return name


def admin_post(client, path: str, body: dict, workspace: str | None = None, method: str = "post") -> dict:
    """An admin request that must succeed; its JSON."""
    response = client.open(path, method=method.upper(), json=body, headers=as_user(None, workspace))
    assert response.status_code in (200, 201, 204), (path, response.status_code, response.get_data(as_text=True))
    return response.json if response.status_code != 204 else {}


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
        return new_user(auth_client, name, admin)

    return create


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def module_database_uri(request, tmp_path_factory):
    """An empty database of each configured kind, shared by one test module."""
    with database_of_kind(request.param, tmp_path_factory.mktemp("db")) as uri:
        yield uri


@pytest.fixture(scope="module")
def make_module_auth_app(module_database_uri, tmp_path_factory):
    """make_module_auth_app(workspaces_enabled=True, **ini): like make_auth_app, but for apps a whole
    module shares (building an app costs half a second; a table of cases needs only one). Every
    app of the module uses the same database."""
    folder = tmp_path_factory.mktemp("auth")
    built = []

    def build(workspaces_enabled=True, default_permission="READ", grant_default="false", **extra):
        path = folder / f"basic_auth-{uuid.uuid4().hex[:6]}.ini"
        text = INI.format(default_permission=default_permission, database_uri=module_database_uri,
                          admin=ADMIN, admin_password=ADMIN_PASSWORD, grant_default=grant_default)
        path.write_text(text + "".join(f"{k} = {v}\n" for k, v in extra.items()))
        settings = Settings(backend_store_uri=module_database_uri, workspaces_enabled=workspaces_enabled,
                            artifacts_destination=str(folder / "mlartifacts"), app_name="basic-auth")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("MLFLOW_AUTH_CONFIG_PATH", str(path))
            prepare_databases(settings)
            app = create_app(settings)
        app.config["TESTING"] = True
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["wsauth"].database.dispose()
        app.extensions["wsauth.auth"].store.database.dispose()
