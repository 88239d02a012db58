"""The auth layer's caches and their staleness bounds.

A worker caches verified sign-ins, each user's grants and where resources live. A change made in
this worker drops what it makes stale at once; a change made by another worker (here: an
AuthStore on the same database that does not tell this worker) is noticed through the change
counters, read at most once a second (the interval is set to 0 to stand for "a second later")."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from auth import passwords
from auth.cache import ChangeWatch, CredentialCache, LockedCache
from auth.permissions import Permission
from auth.kinds import EXPERIMENT_GRANTS
from auth.store import CREATIONS, GRANTS, SIGN_INS, AuthStore
from tests.auth.conftest import PASSWORD, admin_post, as_user, new_user

API = "/api/2.0/mlflow"
WS = "/api/3.0/mlflow/workspaces"


@pytest.fixture
def world(make_auth_app):
    app = make_auth_app()
    client = app.test_client()
    admin_post(client, WS, {"name": "team-a"})
    alice = new_user(client, "alice")
    admin_post(client, f"{WS}/team-a/permissions", {"username": alice, "permission": "EDIT"})
    experiment = admin_post(client, f"{API}/experiments/create", {"name": "shared"}, "team-a")["experiment_id"]
    return app, client, experiment


def read(client, experiment, user="alice"):
    return client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment},
                      headers=as_user(user, "team-a")).status_code


def other_worker(app) -> AuthStore:
    """The auth store as another worker sees it: same database, and this worker is not told."""
    return AuthStore(app.extensions["wsauth.auth"].store.database)


def test_a_grant_changed_here_applies_to_the_next_request(world):
    app, client, experiment = world
    assert read(client, experiment) == 200  # alice's grants are now cached
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": experiment, "username": "alice", "permission": "NO_PERMISSIONS"}, "team-a")
    assert read(client, experiment) == 403
    admin_post(client, f"{API}/experiments/permissions/update",
               {"experiment_id": experiment, "username": "alice", "permission": "READ"}, "team-a", method="patch")
    assert read(client, experiment) == 200
    client.delete(f"{WS}/team-a/permissions", json={"username": "alice"}, headers=as_user(None, "team-a"))
    admin_post(client, f"{API}/experiments/permissions/delete",
               {"experiment_id": experiment, "username": "alice"}, "team-a", method="delete")
    assert read(client, experiment) == 403


def test_a_grant_changed_by_another_worker_applies_once_the_counter_is_read(world, monkeypatch):
    app, client, experiment = world
    layer = app.extensions["wsauth.auth"]
    layer.watch.catch_up()
    assert read(client, experiment) == 200
    other_worker(app).delete_workspace_grant("team-a", "alice")
    # Within the interval this worker still decides from its cache: the bounded staleness.
    assert read(client, experiment) == 200
    monkeypatch.setattr(layer.watch, "_interval", 0.0)  # a second later
    assert read(client, experiment) == 403
    other_worker(app).set_workspace_grant("team-a", "alice", Permission.READ)
    assert read(client, experiment) == 200


def test_grant_changes_keep_remembered_sign_ins(world, monkeypatch):
    """Grants and users have separate counters: granting costs nobody a new password check."""
    app, client, experiment = world
    layer = app.extensions["wsauth.auth"]
    monkeypatch.setattr(layer.watch, "_interval", 0.0)
    assert read(client, experiment) == 200
    verified = []
    real = layer.store.get_user
    monkeypatch.setattr(layer.store, "get_user", lambda name: verified.append(name) or real(name))
    other_worker(app).set_workspace_grant("team-a", "alice", Permission.MANAGE)
    assert read(client, experiment) == 200
    assert verified == []
    other_worker(app).update_user("alice", is_admin=False)
    assert read(client, experiment) == 200
    assert verified == ["alice"]


def test_a_workspace_deleted_by_another_worker_is_forgotten(world, monkeypatch):
    """Where resources live is cached too, and dropped when another worker deletes a workspace."""
    app, client, experiment = world
    layer = app.extensions["wsauth.auth"]
    assert read(client, experiment) == 200
    assert layer.places.get(("experiment", experiment)) == ("team-a", experiment)
    layer.places.put(("run", "r-elsewhere"), ("team-b", "42"))
    monkeypatch.setattr(layer.watch, "_interval", 0.0)
    other_worker(app).forget_workspace("team-b")
    assert read(client, experiment) == 200
    assert layer.places.get(("run", "r-elsewhere")) is None
    other_worker(app).forget_workspace("team-a")  # with it, alice's workspace grant
    assert read(client, experiment) == 403


@pytest.mark.parametrize("boot_clock", [0.0, 0.5, 3599.0, 10_000_000.0])
def test_the_change_counters_are_read_at_most_once_per_interval(boot_clock):
    # The clock is the machine's uptime: a host that booted minutes ago has a small one, and the
    # first check must read the counters all the same (issue 10).
    now = [boot_clock]
    reads, changes = [], []
    counters = {SIGN_INS: 0, GRANTS: 0}
    watch = ChangeWatch(lambda: reads.append(1) or dict(counters), changes.append,
                        interval=3600, clock=lambda: now[0])
    for _ in range(100):
        watch.poll()
    assert len(reads) == 1
    counters[GRANTS] += 1
    now[0] += 3599
    watch.poll()
    assert changes == []  # not read again within the interval
    now[0] += 1
    watch.poll()
    assert changes == [frozenset({GRANTS})] and len(reads) == 2
    counters[SIGN_INS] += 1
    watch.catch_up()
    assert changes[-1] == frozenset({SIGN_INS}) and len(reads) == 3


def test_a_change_made_here_is_not_taken_for_another_workers():
    """The worker that made a change has dealt with its caches: the counters' next read must not
    make it drop them again, but must still see another worker's change beside it."""
    counters, moved = {GRANTS: 0, CREATIONS: 0}, []
    watch = ChangeWatch(lambda: dict(counters), moved.append, interval=0)
    watch.poll()
    counters[CREATIONS] += 1
    watch.changed_here(CREATIONS)
    assert watch.poll() is False and moved == []
    counters[CREATIONS] += 2  # this worker's change, and another worker's
    watch.changed_here(CREATIONS)
    assert watch.poll() is True and moved == [frozenset({CREATIONS})]


@contextmanager
def auth_statements(app):
    """The SQL the auth layer sends while inside (change-counter reads excepted)."""
    statements = []
    engine = app.extensions["wsauth.auth"].store.database.engine

    def record(conn, cursor, statement, *args):
        if "auth_changes" not in statement:
            statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_creators_grant_goes_into_the_cache_of_the_worker_that_made_it(world):
    """Creating an experiment grants its creator MANAGE (issue 11): this worker puts the grant
    into its cache instead of emptying the cache, so nobody's next request reloads grants."""
    app, client, experiment = world
    layer = app.extensions["wsauth.auth"]
    bob = new_user(client, "bob")
    admin_post(client, f"{WS}/team-a/permissions", {"username": bob, "permission": "READ"})
    assert read(client, experiment) == 200 and read(client, experiment, bob) == 200  # both cached
    created = client.post(f"{API}/experiments/create", json={"name": "alices"}, headers=as_user("alice", "team-a"))
    assert created.status_code == 200
    mine = created.json["experiment_id"]
    alice = layer.store.get_user("alice").id
    with auth_statements(app) as statements:
        assert read(client, experiment, bob) == 200
        assert read(client, mine) == 200
        assert layer.grants.resource(alice, EXPERIMENT_GRANTS, mine, "team-a") is Permission.MANAGE
    assert statements == []
    # and the grant is the database's too: a grant of alice's on her experiment exists
    assert layer.store.resource_grant(alice, EXPERIMENT_GRANTS, mine, "team-a") is Permission.MANAGE


def test_a_creators_grant_made_by_another_worker_drops_only_resource_grants(world, monkeypatch):
    """Another worker's creation moves CREATIONS: this worker reloads the users' grants on
    resources (the creator must be able to manage the new experiment here too), but keeps
    remembered sign-ins and grants on workspaces."""
    app, client, experiment = world
    layer = app.extensions["wsauth.auth"]
    monkeypatch.setattr(layer.watch, "_interval", 0.0)
    assert read(client, experiment) == 200
    theirs = "424242"  # what the other worker just created (no grant has its key yet)
    alice = layer.store.get_user("alice").id
    assert read(client, experiment) == 200
    verified = []
    real = layer.store.get_user
    monkeypatch.setattr(layer.store, "get_user", lambda name: verified.append(name) or real(name))
    other_worker(app).grant_creator(EXPERIMENT_GRANTS, theirs, None, alice, Permission.MANAGE)
    with auth_statements(app) as statements:
        assert read(client, experiment) == 200
    assert verified == []
    assert len(statements) == 1 and "experiment_permissions" in statements[0]  # no workspace grants
    assert layer.grants.resource(alice, EXPERIMENT_GRANTS, theirs, "team-a") is Permission.MANAGE


def test_a_failed_counter_read_fails_the_request_and_is_retried():
    attempts = []

    def read():
        attempts.append(1)
        if len(attempts) == 2:
            raise ConnectionError("auth database down")
        return {SIGN_INS: 0, GRANTS: 0}

    watch = ChangeWatch(read, lambda scopes: None, interval=0)
    watch.poll()
    with pytest.raises(ConnectionError):
        watch.poll()
    watch.poll()
    assert len(attempts) == 3


def test_a_load_racing_a_drop_is_not_remembered():
    cache = LockedCache(10, 60)
    loading, dropped = threading.Event(), threading.Event()

    def slow_load():
        loading.set()
        dropped.wait(5)
        return "stale"

    worker = threading.Thread(target=lambda: cache.get_or_load("k", slow_load))
    worker.start()
    loading.wait(5)
    cache.clear()  # a change committed while the value was being read
    dropped.set()
    worker.join(5)
    assert cache.get("k") is None
    assert cache.get_or_load("k", lambda: "fresh") == "fresh" and cache.get("k") == "fresh"


def test_the_caches_are_bounded_in_size():
    cache = LockedCache(2, 60)
    for key in "abc":
        cache.put(key, key)
    assert [cache.get(k) for k in "abc"] == [None, "b", "c"]
    off = LockedCache(0, 60)
    off.put("a", 1)
    assert off.get("a") is None and off.get_or_load("a", lambda: 2) == 2 and off.get("a") is None


def test_credentials_are_keyed_by_an_hmac_never_the_password():
    one, two = CredentialCache(10, 60), CredentialCache(10, 60)
    one.put("alice", PASSWORD, "10.0.0.1", "alice-user")
    assert one.get("alice", PASSWORD, "10.0.0.1") == "alice-user"
    assert one.get("alice", PASSWORD + "x", "10.0.0.1") is None
    assert one.get("alice", PASSWORD, "10.0.0.2") is None  # per address: lockouts are per address
    (key,) = list(one._cache._cache.keys())
    assert key[0] == "alice" and PASSWORD.encode() not in key[1] and len(key[1]) == 32
    two.put("alice", PASSWORD, "10.0.0.1", "alice-user")
    assert list(two._cache._cache.keys())[0][1] != key[1]  # a per-process random key
    one.forget_user("alice")
    assert one.get("alice", PASSWORD, "10.0.0.1") is None


def test_the_ini_keys_bound_the_caches(make_auth_app, monkeypatch):
    app = make_auth_app(auth_cache_max_size=0, auth_cache_ttl_seconds=300)
    client = app.test_client()
    new_user(client, "carol")
    verified = []
    real = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda password, stored: verified.append(1) or real(password, stored))
    for _ in range(3):
        assert client.get(f"{API}/users/get", query_string={"username": "carol"},
                          headers=as_user("carol")).status_code == 200
    assert len(verified) == 3  # size 0 turns the sign-in cache off: every request verifies


def test_remembered_sign_ins_expire_after_the_ttl(make_auth_app, monkeypatch):
    app = make_auth_app(auth_cache_ttl_seconds=1)
    client = app.test_client()
    new_user(client, "dave")
    app.extensions["wsauth.auth"].watch.catch_up()
    verified = []
    real = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda password, stored: verified.append(1) or real(password, stored))
    ask = lambda: client.get(f"{API}/users/get", query_string={"username": "dave"}, headers=as_user("dave"))
    assert ask().status_code == 200 and ask().status_code == 200
    assert len(verified) == 1
    time.sleep(1.2)
    assert ask().status_code == 200
    assert len(verified) == 2


def test_grant_changes_keep_where_resources_live(world, monkeypatch):
    """Creating an experiment grants its creator MANAGE: that must not drop every worker's
    resource->workspace cache, which only deleted workspaces and purges make stale."""
    app, client, experiment = world
    layer = app.extensions["wsauth.auth"]
    assert read(client, experiment) == 200
    layer.places.put(("run", "r-sentinel"), ("team-a", "42"))
    monkeypatch.setattr(layer.watch, "_interval", 0.0)
    other_worker(app).set_workspace_grant("team-a", "alice", Permission.MANAGE)
    assert read(client, experiment) == 200
    assert layer.places.get(("run", "r-sentinel")) == ("team-a", "42")
    assert layer.grants.workspace(layer.store.get_user("alice").id, "team-a") is Permission.MANAGE


def test_a_grant_made_by_another_worker_widens_access_at_once(world, monkeypatch):
    """A 403 decided from cached grants is confirmed against the change counters first: a new
    grant works on the user's very next request, on any worker (issue 10); revocations keep
    their bound."""
    app, client, experiment = world
    layer = app.extensions["wsauth.auth"]
    bob = new_user(client, "bob")
    layer.watch.catch_up()
    monkeypatch.setattr(layer.watch, "_interval", 3600.0)  # no periodic read during this test
    assert read(client, experiment, bob) == 403  # bob's (empty) grants are now cached
    reads = []
    real = layer.store.change_counts
    monkeypatch.setattr(layer.store, "change_counts", lambda: reads.append(1) or real())
    other_worker(app).set_workspace_grant("team-a", bob, Permission.READ)
    assert read(client, experiment, bob) == 200
    assert len(reads) == 1  # the denial was confirmed once, found stale, and decided again
    assert read(client, experiment, bob) == 200 and len(reads) == 1  # allowed: no extra read
    other_worker(app).delete_workspace_grant("team-a", bob)
    assert read(client, experiment, bob) == 200  # a revocation waits for the next counter read
    monkeypatch.setattr(layer.watch, "_interval", 0.0)  # a second later
    assert read(client, experiment, bob) == 403 and len(reads) == 2
    assert read(client, experiment, bob) == 403 and len(reads) == 3  # read once by this request


def test_a_new_grant_on_a_workspace_makes_it_visible_at_once(world, monkeypatch):
    app, client, _ = world
    layer = app.extensions["wsauth.auth"]
    carol = new_user(client, "carol")
    layer.watch.catch_up()
    monkeypatch.setattr(layer.watch, "_interval", 3600.0)
    path = f"{WS}/team-a"
    assert client.get(path, headers=as_user(carol)).status_code == 403
    other_worker(app).set_workspace_grant("team-a", carol, Permission.READ)
    assert client.get(path, headers=as_user(carol)).status_code == 200


def test_a_creators_grant_made_by_another_worker_works_at_once(world, monkeypatch):
    """A creator's next request may reach a worker that has not read the counters yet: its
    denial is confirmed against them, CREATIONS has moved, and the decision is taken again."""
    app, client, _ = world
    layer = app.extensions["wsauth.auth"]
    bob = new_user(client, "bob")
    theirs = admin_post(client, f"{API}/experiments/create", {"name": "theirs"}, "team-a")["experiment_id"]
    layer.watch.catch_up()
    monkeypatch.setattr(layer.watch, "_interval", 3600.0)  # no periodic read during this test

    def share():  # needs MANAGE on the experiment; alice's EDIT on the workspace is not enough
        return client.post(f"{API}/experiments/permissions/create", headers=as_user("alice", "team-a"),
                           json={"experiment_id": theirs, "username": bob, "permission": "READ"}).status_code

    assert share() == 403  # alice's grants are cached without it
    other_worker(app).grant_creator(EXPERIMENT_GRANTS, theirs, None, layer.store.get_user("alice").id,
                                    Permission.MANAGE)
    assert share() == 200


def test_a_new_resource_starts_without_the_grants_of_an_earlier_one_with_its_key(world, monkeypatch):
    """A host may reuse the id of a purged experiment (SQLite does, for the newest row), and a
    model may be recreated under an old name: grants left on that key must not carry over to
    the new resource, here or on other workers."""
    app, client, _ = world
    layer = app.extensions["wsauth.auth"]
    monkeypatch.setattr(layer.watch, "_interval", 0.0)
    bob = layer.store.get_user(new_user(client, "bob"))
    alice = layer.store.get_user("alice")
    reused = "987654"  # no experiment has it yet
    other_worker(app).create_grant(EXPERIMENT_GRANTS, reused, None, bob.username, Permission.MANAGE)
    assert layer.grants.resource(bob.id, EXPERIMENT_GRANTS, reused, "team-a") is Permission.MANAGE  # cached
    other_worker(app).grant_creator(EXPERIMENT_GRANTS, reused, None, alice.id, Permission.MANAGE)
    assert read(client, "1") in (200, 403, 404)  # any request: this worker reads the counters
    assert layer.grants.resource(bob.id, EXPERIMENT_GRANTS, reused, "team-a") is None
    assert layer.store.resource_grant(bob.id, EXPERIMENT_GRANTS, reused, "team-a") is None
    assert layer.store.resource_grant(alice.id, EXPERIMENT_GRANTS, reused, "team-a") is Permission.MANAGE
