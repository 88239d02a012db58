"""Two `wsauth server` processes on different ports sharing one PostgreSQL database (tracking and
auth) behave as one server (issue 6, item 1)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, text

from tests.conftest import postgres_database
from tests.reliability.conftest import (
    ADMIN_AUTH, API, PASSWORD, auth_server, basic, needs_postgres, stop_now, write_ini,
)
from tracking.store.db import normalise_uri

pytestmark = needs_postgres


def call(server, method: str, path: str, auth: dict, **kwargs) -> requests.Response:
    return requests.request(method, f"{server.url}{API}/{path}", headers=auth, timeout=30, **kwargs)


def test_two_servers_on_one_database_act_as_one(tmp_path):
    with postgres_database() as uri:
        ini = write_ini(tmp_path, uri)
        # Both start at once on the empty database: the migrations run once, under a lock.
        with ThreadPoolExecutor(2) as pool:
            one, two = pool.map(lambda _: auth_server(tmp_path, uri, uri, workers=1, ini=ini), range(2))
        try:
            _check_one_schema_version(uri)
            _check_acting_as_one(one, two)
        finally:
            stop_now(one, two)


def _check_one_schema_version(uri: str) -> None:
    engine = create_engine(normalise_uri(uri))
    with engine.connect() as connection:
        for table in ("alembic_version", "alembic_version_auth"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 1  # one admin
    engine.dispose()


def _check_acting_as_one(one, two) -> None:
    assert call(one, "POST", "users/create", ADMIN_AUTH, json={"username": "carol", "password": PASSWORD}).status_code == 200
    created = call(one, "POST", "experiments/create", ADMIN_AUTH, json={"name": "shared-exp"})
    experiment = created.json()["experiment_id"]
    read = {"params": {"experiment_id": experiment}}
    grant = {"experiment_id": experiment, "username": "carol"}
    # The user made on one signs in on two; the experiment is there, and not hers yet.
    assert call(two, "GET", "experiments/get-by-name", ADMIN_AUTH, params={"experiment_name": "shared-exp"}).json()[
        "experiment"]["experiment_id"] == experiment
    assert call(two, "GET", "experiments/get", basic("carol"), **read).status_code == 403
    assert call(one, "POST", "experiments/permissions/create", ADMIN_AUTH, json={**grant, "permission": "READ"}).status_code == 200
    time.sleep(1.1)
    assert call(two, "GET", "experiments/get", basic("carol"), **read).status_code == 200
    # Revoked on two: one denies within a second.
    assert call(one, "GET", "experiments/get", basic("carol"), **read).status_code == 200
    assert call(two, "DELETE", "experiments/permissions/delete", ADMIN_AUTH, json=grant).status_code == 200
    time.sleep(1.1)
    assert call(one, "GET", "experiments/get", basic("carol"), **read).status_code == 403
    # A password changed on one stops the old one on two within a second.
    assert call(two, "GET", "users/get", basic("carol"), params={"username": "carol"}).status_code == 200
    changed = call(one, "PATCH", "users/update-password", ADMIN_AUTH, json={"username": "carol", "password": "another-password-456"})
    assert changed.status_code == 200
    time.sleep(1.1)
    assert call(two, "GET", "users/get", basic("carol"), params={"username": "carol"}).status_code == 401
    assert call(two, "GET", "users/get", basic("carol", "another-password-456"), params={"username": "carol"}).status_code == 200
