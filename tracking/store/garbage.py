"""Permanently removing deleted experiments and runs (`wsauth gc`).

Deleted experiments still hold their names and block deleting their workspace; purging them is
the operator's explicit, final step. Artifacts are not touched: their locations are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select

from tracking.entities import DELETED
from tracking.store.db import Database
from tracking.store.models import ExperimentRow, RunRow


@dataclass
class Purge:
    """What a purge removed (or, in a dry run, would remove)."""

    experiments: list[str] = field(default_factory=list)
    experiment_ids: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    artifact_locations: list[str] = field(default_factory=list)


def purge_deleted(database: Database, deleted_before: int, workspace: str | None = None,
                  dry_run: bool = False) -> Purge:
    """Remove experiments and runs deleted before a time (ms), in one transaction."""
    report = Purge()
    with database.session() as session:
        experiments = select(ExperimentRow).where(
            ExperimentRow.lifecycle_stage == DELETED,
            or_(ExperimentRow.deleted_time.is_(None), ExperimentRow.deleted_time <= deleted_before),
        )
        if workspace:
            experiments = experiments.where(ExperimentRow.workspace == workspace)
        doomed = list(session.scalars(experiments))
        runs = select(RunRow).join(ExperimentRow).where(
            or_(
                ExperimentRow.experiment_id.in_([e.experiment_id for e in doomed]),
                (RunRow.lifecycle_stage == DELETED) & (RunRow.deleted_time <= deleted_before),
            )
        )
        if workspace:
            runs = runs.where(ExperimentRow.workspace == workspace)
        doomed_runs = list(session.scalars(runs))
        report.experiments = [f"{e.workspace}/{e.experiment_id} ({e.name})" for e in doomed]
        report.experiment_ids = [str(e.experiment_id) for e in doomed]
        report.runs = [r.run_uuid for r in doomed_runs]
        report.artifact_locations = [e.artifact_location for e in doomed if e.artifact_location] + [
            r.artifact_uri for r in doomed_runs
            if r.artifact_uri and r.experiment_id not in {e.experiment_id for e in doomed}
        ]
        if not dry_run:
            session.execute(delete(RunRow).where(RunRow.run_uuid.in_(report.runs)))
            session.execute(delete(ExperimentRow).where(
                ExperimentRow.experiment_id.in_([e.experiment_id for e in doomed])))
    return report
