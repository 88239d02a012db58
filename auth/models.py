"""SQLAlchemy 2 typed models of the auth database (its own database, its own migrations).

Grants name tracking resources by key (experiment id; workspace and model name; workspace), not
by foreign key: the auth database may live apart from the tracking database. Deleting a user
deletes their grants (ON DELETE CASCADE).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tracking.hostkit import NAMING_CONVENTION


class AuthBase(DeclarativeBase):
    """Declarative base of every auth table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(AuthBase):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default="0")


def _user_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class ExperimentGrantRow(AuthBase):
    __tablename__ = "experiment_permissions"
    __table_args__ = (UniqueConstraint("experiment_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = _user_fk()
    permission: Mapped[str] = mapped_column(String(32))


class ModelGrantRow(AuthBase):
    """A grant on a registered model or prompt, by workspace and name."""

    __tablename__ = "registered_model_permissions"
    __table_args__ = (UniqueConstraint("workspace", "name", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(63), server_default="default")
    name: Mapped[str] = mapped_column(String(256))
    user_id: Mapped[int] = _user_fk()
    permission: Mapped[str] = mapped_column(String(32))


class WorkspaceGrantRow(AuthBase):
    __tablename__ = "workspace_permissions"

    workspace: Mapped[str] = mapped_column(String(63), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    permission: Mapped[str] = mapped_column(String(32))


class ChangeCounterRow(AuthBase):
    """One row counting changes to users and grants, so every worker can tell its caches are stale."""

    __tablename__ = "auth_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    counter: Mapped[int] = mapped_column(BigInteger, server_default="0")


class LoginFailureRow(AuthBase):
    """Failed sign-ins of one username from one client address, within the current window."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[int] = mapped_column(BigInteger, index=True)  # ms since the epoch
    locked_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pending: Mapped[int] = mapped_column(Integer, server_default="0")  # password checks in flight
    pending_since: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the latest one's start


class AuditEventRow(AuthBase):
    """One security event; rows are only ever added."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_actor_id", "actor", "id"), Index("ix_audit_events_action_id", "action", "id"),
                      Index("ix_audit_events_target_id", "target", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, index=True)  # ms since the epoch
    actor: Mapped[str | None] = mapped_column(String(255), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512))
    outcome: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON
