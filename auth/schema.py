"""The auth database's schema: migrated at start-up, once, under a lock, before workers start."""

from __future__ import annotations

from pathlib import Path

from auth.models import AuthBase
from tracking.hostapi import Database, Migrations, register, upgrade

AUTH = Migrations(Path(__file__).resolve().parent / "migrations", "alembic_version_auth",
                  0x77736176, "wsauth server --app-name basic-auth (it upgrades the auth database)")
register(AUTH, set(AuthBase.metadata.tables))


def migrate(database: Database) -> tuple[str | None, str]:
    """Bring the auth database to the newest revision (it is wsauth's own: always safe)."""
    return upgrade(database.engine, AUTH)
