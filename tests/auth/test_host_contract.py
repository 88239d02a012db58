"""The seam is a declared contract (issue 11): wsauth's tracking server implements the Host
protocol member for member, and the auth layer needs nothing of its host beyond it: installed on
a host object that offers only the protocol's members, it still authenticates, decides, filters
lists and follows new resources."""

from __future__ import annotations

import inspect

from auth import app as auth_app
from tests.auth.conftest import PASSWORD, admin_headers, basic_auth, new_user
from tracking.hostapi import AppPlugin, Host, as_plugin
from tracking.hosting import HOST, TrackingHost

MEMBERS = {name for name in vars(Host) if not name.startswith("_")} | set(Host.__annotations__)
API = "/api/2.0/mlflow"


def test_the_protocol_declares_what_the_layer_needs():
    assert {"workspace_of", "restrict", "current_workspace", "workspace_as_seen_by_outsiders",
            "add_ready_database", "resource_created", "workspace_deleted"} <= MEMBERS


def test_the_tracking_server_implements_every_member_with_the_declared_parameters():
    assert isinstance(HOST, Host)
    for name in MEMBERS:
        declared, offered = getattr(Host, name, None), getattr(TrackingHost, name)
        if callable(declared):
            assert list(inspect.signature(offered).parameters) == list(inspect.signature(declared).parameters), name


class OnlyTheContract:
    """A host that offers the tracking server's answers through the protocol's members only."""

    def __init__(self):
        self.used: set[str] = set()

    def __getattr__(self, name):
        if name not in MEMBERS:
            raise AttributeError(f"'{name}' is not a member of the Host protocol")
        self.used.add(name)
        return getattr(HOST, name)


def test_the_layer_works_on_a_host_that_offers_only_the_protocol(make_app, write_ini):
    write_ini(default_permission="NO_PERMISSIONS")
    app = make_app()  # the host alone; the plugin goes on below, on the narrow host
    auth_app.prepare()
    host = OnlyTheContract()
    app = auth_app.PLUGIN.install(app, host)
    assert app.extensions["wsauth.auth"].host is host
    client = app.test_client()
    admin = {**admin_headers(), "X-MLFLOW-WORKSPACE": "default"}
    alice, bob = new_user(client), new_user(client)
    as_alice = {**basic_auth(alice, PASSWORD), "X-MLFLOW-WORKSPACE": "default"}
    as_bob = {**basic_auth(bob, PASSWORD), "X-MLFLOW-WORKSPACE": "default"}
    assert client.post(f"{API}/experiments/create", json={"name": "by-admin"}, headers=admin).status_code == 200
    # workspace grant (through the workspace check), then creation: the creator's MANAGE follows
    response = client.post("/api/3.0/mlflow/workspaces/default/permissions",
                           json={"username": alice, "permission": "EDIT"}, headers=admin)
    assert response.status_code in (200, 201), response.json
    created = client.post(f"{API}/experiments/create", json={"name": "alices"}, headers=as_alice)
    assert created.status_code == 200, created.json
    experiment_id = created.json["experiment_id"]
    # a decision on a resource located through the host; bob holds nothing
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment_id},
                      headers=as_bob).status_code == 403
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment_id},
                      headers=as_alice).status_code == 200
    # a list restricted through the host
    names = [e["name"] for e in client.post(f"{API}/experiments/search", json={}, headers=as_bob).json.get("experiments", [])]
    assert names == []
    assert client.get("/ready").status_code == 200
    assert {"workspace_of", "restrict", "workspaces_enabled", "resource_created", "add_ready_database"} <= host.used


def test_a_bare_create_app_function_is_a_plugin_that_only_installs_itself():
    calls = []
    plugin = as_plugin(lambda app: calls.append(app) or app, "hello")
    assert isinstance(plugin, AppPlugin) and plugin.prepare is None and plugin.commands == ()
    assert plugin.install("the-app", HOST) == "the-app" and calls == ["the-app"]
    assert as_plugin(auth_app.PLUGIN, "basic-auth") is auth_app.PLUGIN
