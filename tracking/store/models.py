"""SQLAlchemy 2 typed models of the tracking database.

Every top-level resource carries its workspace; children (runs, params, metrics, tags) reach it
through their experiment. There is no foreign key to ``workspaces``: the workspace catalog may live
in another database (``--workspace-store-uri``), so the stores check workspaces themselves.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracking.store.db import Base

NAME_MAX = 256
KEY_MAX = 250
WORKSPACE_MAX = 63

# SQLite only auto-increments an INTEGER PRIMARY KEY, not a BIGINT one.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(WORKSPACE_MAX), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    default_artifact_root: Mapped[str | None] = mapped_column(Text)


class ExperimentRow(Base):
    __tablename__ = "experiments"
    # AUTOINCREMENT: SQLite must never hand a purged experiment's id to a new one (old grants).
    # The listing index serves a workspace's searches, newest first, without sorting them all.
    __table_args__ = (UniqueConstraint("workspace", "name"),
                      Index("ix_experiments_listing", "workspace", "lifecycle_stage", "creation_time", "experiment_id"),
                      {"sqlite_autoincrement": True})

    experiment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(WORKSPACE_MAX), index=True, server_default="default")
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    artifact_location: Mapped[str | None] = mapped_column(Text)
    lifecycle_stage: Mapped[str] = mapped_column(String(32), server_default="active")
    creation_time: Mapped[int | None] = mapped_column(BigInteger)
    last_update_time: Mapped[int | None] = mapped_column(BigInteger)
    deleted_time: Mapped[int | None] = mapped_column(BigInteger)

    tags: Mapped[list[ExperimentTagRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class ExperimentTagRow(Base):
    __tablename__ = "experiment_tags"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (Index(None, "experiment_id", "start_time"),)

    run_uuid: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="CASCADE")
    )
    name: Mapped[str | None] = mapped_column(String(KEY_MAX))
    user_id: Mapped[str | None] = mapped_column(String(NAME_MAX))
    status: Mapped[str] = mapped_column(String(20))
    start_time: Mapped[int | None] = mapped_column(BigInteger)
    end_time: Mapped[int | None] = mapped_column(BigInteger)
    lifecycle_stage: Mapped[str] = mapped_column(String(32), server_default="active")
    artifact_uri: Mapped[str | None] = mapped_column(Text)
    deleted_time: Mapped[int | None] = mapped_column(BigInteger)


class ParamRow(Base):
    __tablename__ = "params"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunTagRow(Base):
    __tablename__ = "tags"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class MetricRow(Base):
    """One logged point of a metric's full history."""

    __tablename__ = "metrics"
    __table_args__ = (Index(None, "run_uuid", "key", "step", "timestamp"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    run_uuid: Mapped[str] = mapped_column(ForeignKey("runs.run_uuid", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    value: Mapped[float] = mapped_column(Double)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    is_nan: Mapped[bool] = mapped_column(Boolean, server_default="0")


class LatestMetricRow(Base):
    """The latest point of each metric of a run (highest step, then timestamp, then value)."""

    __tablename__ = "latest_metrics"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[float] = mapped_column(Double)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    is_nan: Mapped[bool] = mapped_column(Boolean, server_default="0")


class RegisteredModelRow(Base):
    """A registered model or a prompt (a model tagged mlflow.prompt.is_prompt)."""

    __tablename__ = "registered_models"
    __table_args__ = (UniqueConstraint("workspace", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(WORKSPACE_MAX), index=True, server_default="default")
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text)
    # Version numbers are never reused, even after a version is deleted.
    last_version: Mapped[int] = mapped_column(Integer, server_default="0")


class RegisteredModelTagRow(Base):
    __tablename__ = "registered_model_tags"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class ModelVersionRow(Base):
    __tablename__ = "model_versions"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str | None] = mapped_column(String(NAME_MAX))
    current_stage: Mapped[str] = mapped_column(String(20), server_default="None")
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(32))
    run_link: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default="READY")
    storage_location: Mapped[str] = mapped_column(Text)


class ModelVersionTagRow(Base):
    __tablename__ = "model_version_tags"
    __table_args__ = (
        ForeignKeyConstraint(
            ["model_id", "version"], ["model_versions.model_id", "model_versions.version"],
            ondelete="CASCADE",
        ),
    )

    model_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class ModelAliasRow(Base):
    __tablename__ = "registered_model_aliases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["model_id", "version"], ["model_versions.model_id", "model_versions.version"],
            ondelete="CASCADE",
        ),
    )

    model_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
