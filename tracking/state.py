"""What one running app holds: settings, database, workspace provider and stores.

It lives in ``app.extensions["wsauth"]``; nothing is created at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from tracking import workspaces
from tracking.settings import Settings
from tracking.store.db import Database
from tracking.store.experiments import ExperimentStore
from tracking.store.registry import RegistryStore
from tracking.store.runs import RunStore

EXTENSION = "wsauth"


@dataclass
class HostState:
    settings: Settings
    database: Database
    provider: object
    experiments: ExperimentStore
    runs: RunStore
    registry: RegistryStore

    @classmethod
    def open(cls, settings: Settings) -> "HostState":
        """Connect to the databases named by the settings."""
        database = Database(settings.backend_store_uri)
        provider = workspaces.load_provider(settings.catalog_uri, database)
        return cls(settings, database, provider, ExperimentStore(database), RunStore(database),
                   RegistryStore(database))


def host() -> HostState:
    """The state of the app serving this request."""
    return current_app.extensions[EXTENSION]


def current_workspace() -> str:
    """The workspace of this request (resolved once, on first use)."""
    state = host()
    return workspaces.resolve_request_workspace(state.provider, state.settings.workspaces_enabled)
