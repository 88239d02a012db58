"""The host's toolkit, which an app plugin may use but a second host need not provide: the
API errors and their JSON bodies, the request field readers, the database helpers (engine,
naming convention, alembic migrations, upsert).

What a host must offer a plugin is declared separately, in tracking.hostapi. A plugin running
on another host (MLflow's own server) still uses these: they depend on Flask and SQLAlchemy,
not on wsauth's tracking server.
"""

from __future__ import annotations

from tracking.api.params import Field, body, read
from tracking.errors import (
    AlreadyExists, ApiError, EndpointNotFound, InvalidParameter, InvalidState, MalformedRequest,
    NotFound, PermissionDenied, Unauthenticated, Unavailable, error_body, register_error_handlers,
    register_plugin_error_handlers,
)
from tracking.store.db import NAMING_CONVENTION, Database
from tracking.store.schema import Migrations, SchemaError, register, upgrade
from tracking.store.schema import prepare as prepare_schema
from tracking.store.upsert import upsert

__all__ = [
    "ApiError", "AlreadyExists", "EndpointNotFound", "InvalidParameter", "InvalidState", "MalformedRequest",
    "NotFound", "PermissionDenied", "Unauthenticated", "Unavailable", "error_body", "register_error_handlers",
    "register_plugin_error_handlers",
    "Field", "body", "read",
    "Database", "NAMING_CONVENTION", "Migrations", "SchemaError", "register", "upgrade", "prepare_schema",
    "upsert",
]
