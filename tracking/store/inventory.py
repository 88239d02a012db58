"""What lives where: per-workspace counts and artifact locations, for start-up checks and the
migrate-to-default-workspace command."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracking.store.models import ExperimentRow, ModelVersionRow, RegisteredModelRow, RunRow

DEFAULT = "default"
# The tables whose rows carry a workspace; children (runs, versions, tags, aliases) follow them.
SCOPED_TABLES = {"experiments": ExperimentRow, "registered_models": RegisteredModelRow}


@dataclass(frozen=True)
class Conflict:
    """Two rows that would share a name in 'default'."""

    table: str
    name: str
    workspace: str
    row_id: int

    def __str__(self) -> str:
        key = "experiment_id" if self.table == "experiments" else "id"
        return f"{self.table}: name='{self.name}', workspace='{self.workspace}', {key}={self.row_id}"


def outside_default(session: Session) -> dict[str, int]:
    """Rows per scoped table that are not in 'default'."""
    return {
        table: session.scalar(select(func.count()).select_from(model).where(model.workspace != DEFAULT))
        for table, model in SCOPED_TABLES.items()
    }


def children_outside_default(session: Session) -> dict[str, int]:
    """Runs and model versions that move with their parents."""
    runs = select(func.count()).select_from(RunRow).join(ExperimentRow).where(ExperimentRow.workspace != DEFAULT)
    versions = (select(func.count()).select_from(ModelVersionRow).join(RegisteredModelRow)
                .where(RegisteredModelRow.workspace != DEFAULT))
    return {"runs": session.scalar(runs), "model_versions": session.scalar(versions)}


def merge_conflicts(session: Session) -> list[Conflict]:
    """Names that more than one workspace uses, per scoped table (all such rows)."""
    conflicts = []
    for table, model in SCOPED_TABLES.items():
        key = model.experiment_id if table == "experiments" else model.id
        shared = select(model.name).group_by(model.name).having(func.count() > 1)
        rows = session.execute(
            select(model.name, model.workspace, key).where(model.name.in_(shared))
            .order_by(model.name, model.workspace)
        )
        conflicts += [Conflict(table, name, workspace, row_id) for name, workspace, row_id in rows]
    return conflicts


def artifact_locations(session: Session) -> list[tuple[str, str, str]]:
    """(experiment id, workspace, artifact location) of every experiment."""
    rows = session.execute(select(ExperimentRow.experiment_id, ExperimentRow.workspace,
                                  ExperimentRow.artifact_location))
    return [(str(i), ws, location or "") for i, ws, location in rows]
