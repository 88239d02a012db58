"""The `basic-auth` app plugin: create_app(app) wraps the host app with the auth layer, and
prepare() runs once in the server's master process before any worker starts."""

from __future__ import annotations

import logging
import sys

from flask import Flask, current_app, g

from auth import api, authentication, cli, config, hook, maintenance, passwords
from auth.audit import AuditLog
from auth.cache import ChangeWatch, CredentialCache, LockedCache
from auth.grants import CachedGrants
from auth.lockout import LoginGuard
from auth.schema import migrate
from auth.store import GRANTS, PLACES, SIGN_INS, AuthStore
from tracking import hostapi

EXTENSION = "wsauth.auth"
log = logging.getLogger(__name__)


class AuthLayer:
    """What one worker's auth layer holds: config, store, caches."""

    def __init__(self, settings: config.AuthConfig):
        self.config = settings
        self.watch = ChangeWatch(self._change_counts, self._forget)
        self.store = AuthStore(hostapi.Database(settings.database_uri), on_change=self.watch.changed_here)
        self.credentials = CredentialCache(settings.auth_cache_max_size, settings.auth_cache_ttl_seconds)
        self.grants = CachedGrants(self.store, settings.auth_cache_max_size, settings.auth_cache_ttl_seconds)
        self.places = LockedCache(settings.workspace_cache_max_size, settings.workspace_cache_ttl_seconds)
        self.guard = LoginGuard(self.store.database, settings.login_max_failures, settings.login_lockout_seconds)
        self.audit = AuditLog(self.store.database, settings.audit_denied_per_minute)
        self._custom = authentication.load_function(settings.authorization_function)

    def authenticate(self):
        """The calling user (401 otherwise), after noticing other workers' changes."""
        g.auth_counters_read = self.watch.poll() is not None
        if self._custom is not None:
            return authentication.custom(self, self._custom)
        return authentication.basic(self)

    def locate(self, kind: str, key: str) -> tuple[str, str] | None:
        """(workspace, experiment id) of an experiment or run, cached once found."""
        return self.places.get_or_load((kind, key), lambda: hostapi.workspace_of(kind, key))

    def caught_up(self) -> bool:
        """Before a denial: whether grants changed since this worker last looked (its caches
        are then dropped, and the decision is worth taking again). A grant must widen access at
        once on every worker; only revocations wait for the counters' one-second bound
        (issue 10). Read at most once per request, and not when this request already read."""
        if g.get("auth_counters_read"):
            return False
        g.auth_counters_read = True
        return self.watch.catch_up()

    def forget_workspace(self, workspace: str) -> None:
        """Drop cached places in a deleted workspace."""
        self.places.drop_where(lambda key, place: place[0] == workspace)

    def locked_out(self, username: str) -> None:
        """Sign-ins of a user were just locked from some address: remembered sign-ins of that user
        go here at once, elsewhere within a second, so that the lockout holds even for the
        right password."""
        self.credentials.forget_user(username)
        self.store.touch(SIGN_INS)

    def _change_counts(self) -> dict[int, int]:
        return self.store.change_counts()

    def _forget(self, scopes: frozenset[int]) -> None:
        """Drop what changes of these scopes make stale (here at once, elsewhere within a second)."""
        if SIGN_INS in scopes:
            self.credentials.clear()
        if scopes & {SIGN_INS, GRANTS}:
            self.grants.clear()
        if PLACES in scopes:
            self.places.clear()


def current_layer() -> AuthLayer:
    """The auth layer of the app serving this request."""
    return current_app.extensions[EXTENSION]


def create_app(app: Flask) -> Flask:
    """Install the auth layer on the host app."""
    layer = AuthLayer(config.load())
    app.extensions[EXTENSION] = layer
    app.before_request_funcs.setdefault(None, []).insert(0, hook.before_request)
    app.after_request(hook.after_request)
    api.register_routes(app)
    hook.follow_resources(app, layer)
    hostapi.add_ready_database(app, "auth", layer.store.database)
    return app


def prepare() -> None:
    """Once, before workers start: check the config, migrate the auth database, ensure the admin."""
    settings = config.load()
    authentication.load_function(settings.authorization_function)
    database = hostapi.Database(settings.database_uri)
    try:
        migrate(database)
        _ensure_admin(AuthStore(database), settings)
    finally:
        database.dispose()


def _ensure_admin(store: AuthStore, settings: config.AuthConfig) -> None:
    """Create the admin (generating a password when none is configured); re-apply a configured one
    (config.load checked it against the password policy)."""
    configured = settings.admin_password
    user = store.get_user(settings.admin_username)
    if user is None:
        password = configured or passwords.generate_password()
        try:
            store.create_user(settings.admin_username, passwords.hash_password(password), is_admin=True)
        except hostapi.AlreadyExists:  # another server starting on this database made it first
            user = store.get_user(settings.admin_username)
        else:
            if configured is None:
                print(f"wsauth: created admin user '{settings.admin_username}' with the generated password "
                      f"{password} (shown once; only its hash is stored)", file=sys.stderr, flush=True)
            return
    changes = {"is_admin": True}
    if configured is not None and not passwords.verify(configured, user.password_hash)[0]:
        changes["password_hash"] = passwords.hash_password(configured)
    store.update_user(settings.admin_username, **changes)


create_app.prepare = prepare
# Used by `wsauth db migrate-to-default-workspace --auth-config`.
create_app.merge_plan = maintenance.plan
create_app.merge_apply = maintenance.apply
# Used by `wsauth gc --auth-config`.
create_app.forget_experiments = maintenance.forget_experiments
# Further `wsauth` commands: `wsauth audit`, `wsauth unlock`.
create_app.commands = cli.COMMANDS
