"""Initial schema: workspaces, experiments, runs, params, tags, metrics; the default workspace and
the Default experiment (id 0) in it.

Revision ID: 0001
Revises:
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("default_artifact_root", sa.Text()),
        sa.PrimaryKeyConstraint("name", name="pk_workspaces"),
    )
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace", sa.String(63), server_default="default", nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("artifact_location", sa.Text()),
        sa.Column("lifecycle_stage", sa.String(32), server_default="active", nullable=False),
        sa.Column("creation_time", sa.BigInteger()),
        sa.Column("last_update_time", sa.BigInteger()),
        sa.Column("deleted_time", sa.BigInteger()),
        sa.PrimaryKeyConstraint("experiment_id", name="pk_experiments"),
        sa.UniqueConstraint("workspace", "name", name="uq_experiments_workspace_name"),
        sqlite_autoincrement=True,  # never reuse a purged experiment's id
    )
    op.create_index("ix_experiments_workspace", "experiments", ["workspace"])
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text()),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"],
            name="fk_experiment_tags_experiment_id_experiments", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(250)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger()),
        sa.Column("end_time", sa.BigInteger()),
        sa.Column("lifecycle_stage", sa.String(32), server_default="active", nullable=False),
        sa.Column("artifact_uri", sa.Text()),
        sa.Column("deleted_time", sa.BigInteger()),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"],
            name="fk_runs_experiment_id_experiments", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_uuid", name="pk_runs"),
    )
    op.create_index("ix_runs_experiment_id_start_time", "runs", ["experiment_id", "start_time"])
    for table in ("params", "tags"):
        op.create_table(
            table,
            sa.Column("run_uuid", sa.String(32), nullable=False),
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", sa.Text(), nullable=table == "tags"),
            sa.ForeignKeyConstraint(
                ["run_uuid"], ["runs.run_uuid"], name=f"fk_{table}_run_uuid_runs", ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("run_uuid", "key", name=f"pk_{table}"),
        )
    op.create_table(
        "metrics",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        *_metric_columns("metrics"),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
    )
    op.create_index(
        "ix_metrics_run_uuid_key_step_timestamp", "metrics", ["run_uuid", "key", "step", "timestamp"]
    )
    op.create_table(
        "latest_metrics",
        *_metric_columns("latest_metrics"),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_latest_metrics"),
    )
    _insert_defaults()


def _metric_columns(table: str) -> list:
    return [
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"], ["runs.run_uuid"], name=f"fk_{table}_run_uuid_runs", ondelete="CASCADE"
        ),
    ]


def _insert_defaults() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "mysql":
        # MySQL would otherwise turn an explicit 0 into the next auto-increment value.
        bind.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
    now = int(time.time() * 1000)
    workspaces = sa.table("workspaces", sa.column("name"), sa.column("description"))
    op.bulk_insert(workspaces, [{"name": "default", "description": "Default workspace for legacy resources"}])
    experiments = sa.table(
        "experiments",
        sa.column("experiment_id", sa.Integer), sa.column("workspace"), sa.column("name"),
        sa.column("lifecycle_stage"), sa.column("creation_time", sa.BigInteger),
        sa.column("last_update_time", sa.BigInteger),
    )
    op.bulk_insert(experiments, [{
        "experiment_id": 0, "workspace": "default", "name": "Default", "lifecycle_stage": "active",
        "creation_time": now, "last_update_time": now,
    }])


def downgrade() -> None:
    for table in ("latest_metrics", "metrics", "tags", "params", "runs", "experiment_tags",
                  "experiments", "workspaces"):
        op.drop_table(table)
