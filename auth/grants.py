"""Each user's grants, cached per worker: a warm request is decided without touching the auth
database. Entries are loaded one query at a time (a user's workspace grants; their experiment
grants; their grants on one workspace's models), bounded in number and age by the auth cache
keys of basic_auth.ini, and dropped whenever grants change (see auth.cache.ChangeWatch). A
creator's grant on a new resource is put into the creator's entry instead."""

from __future__ import annotations

from auth.cache import LockedCache
from auth.kinds import GrantKind
from auth.permissions import Permission
from auth.store import AuthStore


class CachedGrants:
    """The grant lookups of authorization, answered from the cache when warm."""

    def __init__(self, store: AuthStore, max_size: int, ttl_seconds: int):
        self._store = store
        self._cache = LockedCache(max_size, ttl_seconds)

    def of_kind(self, user_id: int, kind: GrantKind, workspace: str) -> dict[str, Permission]:
        """The user's explicit grants of a kind: all of them, or the workspace's for a kind
        keyed per workspace."""
        return self._cache.get_or_load(_key(user_id, kind, workspace),
                                       lambda: self._store.readable_grants(user_id, kind, workspace))

    def add(self, user_id: int, kind: GrantKind, key: str, workspace: str, permission: Permission) -> None:
        """A grant just made (a creator's): into the user's cached grants of its kind, if cached."""
        self._cache.update(_key(user_id, kind, workspace), lambda grants: {**grants, key: permission})

    def resource(self, user_id: int, kind: GrantKind, key: str, workspace: str) -> Permission | None:
        """The user's explicit grant on one resource, or None."""
        return self.of_kind(user_id, kind, workspace).get(key)

    def workspaces(self, user_id: int) -> dict[str, Permission]:
        """The user's grants on workspaces."""
        return self._cache.get_or_load((user_id, WORKSPACE), lambda: self._store.workspace_grants_of_user(user_id))

    def workspace(self, user_id: int, workspace: str) -> Permission | None:
        """The user's grant on one workspace, or None."""
        return self.workspaces(user_id).get(workspace)

    def forget_resource_grants(self) -> None:
        """Forget every cached grant on resources, keeping the grants on workspaces (another
        worker gave a creator its grant)."""
        self._cache.drop_where(lambda key, grants: key[1] != WORKSPACE)

    def clear(self) -> None:
        """Forget every cached grant."""
        self._cache.clear()


WORKSPACE = "workspace"  # the cache key's kind for a user's grants on workspaces


def _key(user_id: int, kind: GrantKind, workspace: str) -> tuple:
    return (user_id, kind.name, workspace) if kind.per_workspace else (user_id, kind.name)
