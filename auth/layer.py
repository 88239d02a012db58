"""One worker's auth layer: its config, the host it serves (tracking.hostapi.Host), store,
caches, sign-in guard and audit trail, and the Flask-side lookup of it (`current_layer`). The
composition root (auth.app) builds it; the hook and the REST endpoints only look it up, so no
module of the layer imports the root."""

from __future__ import annotations

from flask import current_app, g

from auth import authentication, config
from auth.audit import AuditLog
from auth.cache import ChangeWatch, CredentialCache, LockedCache
from auth.grants import CachedGrants
from auth.lockout import LoginGuard
from auth.kinds import GrantKind
from auth.permissions import Permission
from auth.store import CREATIONS, GRANTS, PLACES, SIGN_INS, Actor, AuthStore
from tracking import hostkit
from tracking.hostapi import Host

EXTENSION = "wsauth.auth"


class AuthLayer:
    """What one worker's auth layer holds: config, host, store, caches."""

    def __init__(self, settings: config.AuthConfig, host: Host):
        self.config, self.host = settings, host
        self.watch = ChangeWatch(self._change_counts, self._forget)
        self.store = AuthStore(hostkit.Database(settings.database_uri), on_change=self._changed_here)
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
        return self.places.get_or_load((kind, key), lambda: self.host.workspace_of(kind, key))

    def caught_up(self) -> bool:
        """Before a denial: whether grants changed since this worker last looked (its caches
        are then dropped, and the decision is worth taking again). A grant must widen access at
        once on every worker; only revocations wait for the counters' one-second bound
        (issue 10). Read at most once per request, and not when this request already read."""
        if g.get("auth_counters_read"):
            return False
        g.auth_counters_read = True
        return self.watch.catch_up()

    def grant_creator(self, kind: GrantKind, key: str, workspace: str, user_id: int, by: Actor) -> None:
        """The creator of a new resource gets MANAGE on it: recorded, and put into this worker's
        cache (other workers drop their resource grants when they see CREATIONS move)."""
        self.store.grant_creator(kind, key, workspace, user_id, Permission.MANAGE, by=by)
        self.grants.add(user_id, kind, key, workspace, Permission.MANAGE)

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

    def _changed_here(self, scope: int) -> None:
        """This worker committed a change: its caches follow at once (a creator's grant is put
        in by grant_creator), and the counters' next read does not count it again."""
        self.watch.changed_here(scope)
        if scope != CREATIONS:
            self._forget(frozenset({scope}))

    def _forget(self, scopes: frozenset[int]) -> None:
        """Drop what changes of these scopes make stale (here at once, elsewhere within a second)."""
        if SIGN_INS in scopes:
            self.credentials.clear()
        if scopes & {SIGN_INS, GRANTS}:
            self.grants.clear()
        elif CREATIONS in scopes:
            self.grants.forget_resource_grants()
        if PLACES in scopes:
            self.places.clear()


def current_layer() -> AuthLayer:
    """The auth layer of the app serving this request."""
    return current_app.extensions[EXTENSION]
