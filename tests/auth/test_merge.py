"""migrate-to-default-workspace --auth-config: model grants move with their models, a clash aborts."""

import subprocess

from sqlalchemy import text

from auth.permissions import Permission
from tests.auth.conftest import admin_headers
from tests.conftest import WSAUTH
from tracking.store.db import Database


def _migrate(database_uri, ini, *args):
    return subprocess.run([WSAUTH, "db", "migrate-to-default-workspace", database_uri, "--auth-config", ini, *args],
                          capture_output=True, text=True, timeout=60)


def _grants(database_uri):
    database = Database(database_uri)
    try:
        with database.session() as s:
            return sorted(s.execute(text("SELECT workspace, name FROM registered_model_permissions")).all())
    finally:
        database.dispose()


def _team_with_model(client, team, model):
    assert client.post("/api/3.0/mlflow/workspaces", json={"name": team}, headers=admin_headers()).status_code == 201
    response = client.post("/api/2.0/mlflow/registered-models/create", json={"name": model},
                           headers=admin_headers(**{"X-MLFLOW-WORKSPACE": team}))
    assert response.status_code == 200


def test_model_grants_move_with_their_models(auth_app, auth_client, database_uri, write_ini):
    ini = write_ini()
    _team_with_model(auth_client, "team-a", "model-a")
    _team_with_model(auth_client, "team-b", "model-b")
    assert _grants(database_uri) == [("team-a", "model-a"), ("team-b", "model-b")]  # creators' MANAGE

    dry = _migrate(database_uri, ini, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "auth database registered_model_permissions: 2" in dry.stdout and "Total rows: 4" in dry.stdout
    done = _migrate(database_uri, ini, "-y")
    assert done.returncode == 0, done.stderr
    assert "Moved 2 registered-model grants in the auth database." in done.stdout
    assert _grants(database_uri) == [("default", "model-a"), ("default", "model-b")]


def test_a_clashing_grant_aborts_the_whole_move(auth_app, auth_client, database_uri, write_ini):
    ini = write_ini()
    _team_with_model(auth_client, "team-a", "model-a")
    # a grant in 'default' for the same name and user (its model is long gone)
    store = auth_app.extensions["wsauth.auth"].store
    store.grant_creator("registered_model", "model-a", "default", store.get_user("admin").id, Permission.READ)
    result = _migrate(database_uri, ini, "-y")
    assert result.returncode == 1
    assert "registered_model_permissions: name='model-a', workspace='default', username='admin'" in result.stderr
    assert ("team-a", "model-a") in _grants(database_uri)
    database = Database(database_uri)
    try:
        with database.session() as s:
            assert s.execute(text("SELECT workspace FROM registered_models WHERE name = 'model-a'")).scalar() == "team-a"
    finally:
        database.dispose()


def test_gc_drops_the_grants_of_purged_experiments(auth_app, auth_client, database_uri, write_ini, make_user):
    ini = write_ini()
    headers = admin_headers()
    experiment_id = auth_client.post("/api/2.0/mlflow/experiments/create", json={"name": "old"},
                                     headers=headers).json["experiment_id"]
    bob = make_user()
    auth_client.post("/api/2.0/mlflow/experiments/permissions/create",
                     json={"experiment_id": experiment_id, "username": bob, "permission": "EDIT"}, headers=headers)
    auth_client.post("/api/2.0/mlflow/experiments/delete", json={"experiment_id": experiment_id}, headers=headers)
    result = subprocess.run([WSAUTH, "gc", "--backend-store-uri", database_uri, "--auth-config", ini, "-y"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Dropped 2 grants on purged experiments." in result.stdout  # the creator's and bob's
    new_id = auth_client.post("/api/2.0/mlflow/experiments/create", json={"name": "new"},
                              headers=headers).json["experiment_id"]
    assert int(new_id) > int(experiment_id)
    user = auth_client.get("/api/2.0/mlflow/users/get", query_string={"username": bob}, headers=headers).json["user"]
    assert user["experiment_permissions"] == []
