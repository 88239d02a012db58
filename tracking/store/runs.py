"""Runs with their params, tags and metrics (full history), always within one workspace."""

from __future__ import annotations

import math
import sys
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from tracking import search_syntax
from tracking.artifacts import run_artifact_uri
from tracking.entities import ACTIVE, DELETED, Metric, Page, Run
from tracking.errors import InvalidParameter, NotFound
from tracking.hostapi import Visibility
from tracking.run_names import random_run_name
from tracking.store import search
from tracking.store.db import Database
from tracking.store.experiments import now_ms, parse_id
from tracking.store.models import (
    ExperimentRow, LatestMetricRow, MetricRow, ParamRow, RunRow, RunTagRow,
)
from tracking.store.upsert import insert_missing, upsert

RUN_NAME_TAG = "mlflow.runName"


@dataclass(frozen=True)
class NewRun:
    """What a client asks for when it creates a run."""

    experiment_id: str
    user_id: str | None
    start_time: int | None
    run_name: str | None
    tags: dict[str, str]


class RunStore:
    """Create, read, search and log to runs of a workspace."""

    def __init__(self, database: Database):
        self.database = database

    def create(self, workspace: str, new: NewRun) -> Run:
        """Start a run in an active experiment of the workspace."""
        name = _run_name(new.run_name, new.tags)
        run_id = uuid.uuid4().hex
        with self.database.session() as session:
            experiment = _experiment(session, workspace, new.experiment_id)
            session.add(RunRow(
                run_uuid=run_id, experiment_id=experiment.experiment_id, name=name,
                user_id=new.user_id, status="RUNNING", start_time=now_ms() if new.start_time is None else new.start_time,
                lifecycle_stage=ACTIVE,
                artifact_uri=run_artifact_uri(experiment.artifact_location or "", run_id),
            ))
            session.flush()
            tags = {**new.tags, RUN_NAME_TAG: name}
            upsert(session, RunTagRow, [{"run_uuid": run_id, "key": k, "value": v} for k, v in tags.items()])
            return _load_runs(session, [session.get(RunRow, run_id)])[0]

    def get(self, workspace: str, run_id: str) -> Run:
        """The run with its data; 404 when it does not exist in this workspace."""
        with self.database.session() as session:
            return _load_runs(session, [_run(session, workspace, run_id)])[0]

    def update(self, workspace: str, run_id: str, status: str | None, end_time: int | None,
               run_name: str | None) -> Run:
        """Change a run's status, end time and/or name."""
        with self.database.session() as session:
            row = _run(session, workspace, run_id, active=True, lock=True)
            if status is not None:
                row.status = status
            if end_time is not None:
                row.end_time = end_time
            if run_name:
                row.name = run_name
                upsert(session, RunTagRow, [{"run_uuid": run_id, "key": RUN_NAME_TAG, "value": run_name}])
            return _load_runs(session, [row])[0]

    def set_lifecycle(self, workspace: str, run_id: str, stage: str) -> None:
        """Delete or restore a run."""
        with self.database.session() as session:
            row = _run(session, workspace, run_id, lock=True)
            row.lifecycle_stage = stage
            row.deleted_time = now_ms() if stage == DELETED else None

    def log_batch(self, workspace: str, run_id: str, metrics: list[Metric],
                  params: dict[str, str], tags: dict[str, str]) -> None:
        """Log metrics, params and tags to an active run, all or nothing."""
        with self.database.session() as session:
            _run(session, workspace, run_id, active=True)
            _log_params(session, run_id, params)
            if tags:
                upsert(session, RunTagRow, [{"run_uuid": run_id, "key": k, "value": v} for k, v in tags.items()])
                if RUN_NAME_TAG in tags:
                    session.execute(update(RunRow).where(RunRow.run_uuid == run_id).values(name=tags[RUN_NAME_TAG]))
            _log_metrics(session, run_id, metrics)

    def delete_tag(self, workspace: str, run_id: str, key: str) -> None:
        """Remove one tag of an active run; 404 when it is not set."""
        with self.database.session() as session:
            _run(session, workspace, run_id, active=True)
            if session.execute(delete(RunTagRow).where(RunTagRow.run_uuid == run_id, RunTagRow.key == key)).rowcount == 0:
                raise NotFound(f"No tag with key '{key}' on run {run_id}.")

    def metric_history(self, workspace: str, run_id: str, key: str, max_results: int,
                       page_token: str | None) -> Page:
        """Every logged point of one metric, by step then timestamp."""
        offset = search.decode_token(page_token)
        with self.database.session() as session:
            _run(session, workspace, run_id)
            rows = session.scalars(
                select(MetricRow).where(MetricRow.run_uuid == run_id, MetricRow.key == key)
                .order_by(MetricRow.step, MetricRow.timestamp, MetricRow.id)
                .offset(offset).limit(max_results + 1)
            ).all()
        items = [_metric(row) for row in rows[:max_results]]
        token = search.encode_token(offset + max_results) if len(rows) > max_results else None
        return Page(items, token)

    def search(self, workspace: str, experiment_ids: list[str], filter_string: str | None,
               order_by: list[str] | None, view_type: str, max_results: int,
               page_token: str | None, *, visible: Visibility) -> Page:
        """One page of the runs of the given experiments (of this workspace) matching a filter."""
        comparisons = _parse(search_syntax.parse_filter, filter_string)
        orders = _parse(search_syntax.parse_order_by, order_by)
        offset = search.decode_token(page_token)
        ids = [int(i) for i in experiment_ids if search.is_experiment_id(i)]
        query = (
            select(RunRow).join(ExperimentRow, ExperimentRow.experiment_id == RunRow.experiment_id)
            .where(ExperimentRow.workspace == workspace, RunRow.experiment_id.in_(ids))
            .where(*search.lifecycle_clause(RunRow.lifecycle_stage, view_type))
            .where(*search.run_clauses(comparisons))
            .where(*search.visible_clause(RunRow.experiment_id, visible, int, self.database.engine.dialect.name))
        )
        query = search.run_order(query, orders).offset(offset).limit(max_results + 1)
        with self.database.session() as session:
            rows = list(session.scalars(query))
            items = _load_runs(session, rows[:max_results])
        token = search.encode_token(offset + max_results) if len(rows) > max_results else None
        return Page(items, token)

    def workspace_of(self, run_id: str) -> tuple[str, str] | None:
        """(workspace, experiment id) of a run, or None when there is no such run."""
        return workspace_of_run(self.database, run_id)


def _experiment(session: Session, workspace: str, experiment_id: str) -> ExperimentRow:
    row = session.scalar(select(ExperimentRow).where(
        ExperimentRow.experiment_id == parse_id(experiment_id), ExperimentRow.workspace == workspace,
    ))
    if row is None:
        hint = " Create one first, e.g. mlflow.set_experiment('my-experiment')." if experiment_id == "0" else ""
        raise NotFound(f"No experiment with id '{experiment_id}' exists in workspace '{workspace}'.{hint}")
    if row.lifecycle_stage != ACTIVE:
        raise InvalidParameter(f"Experiment {experiment_id} is deleted; restore it before adding runs.")
    return row


def _run(session: Session, workspace: str, run_id: str, active=False, lock=False) -> RunRow:
    query = (
        select(RunRow).join(ExperimentRow, ExperimentRow.experiment_id == RunRow.experiment_id)
        .where(RunRow.run_uuid == run_id, ExperimentRow.workspace == workspace)
    )
    row = session.scalar(query.with_for_update(of=RunRow) if lock else query)
    if row is None:
        raise NotFound(f"Run '{run_id[:40]}' not found in workspace '{workspace}'.")
    if active and row.lifecycle_stage != ACTIVE:
        raise InvalidParameter(
            f"Run '{run_id}' is deleted; restore it (runs/restore) before changing it."
        )
    return row


def _run_name(run_name: str | None, tags: dict[str, str]) -> str:
    tagged = tags.get(RUN_NAME_TAG)
    if run_name and tagged and run_name != tagged:
        raise InvalidParameter(
            f"run_name '{run_name}' and tag {RUN_NAME_TAG} '{tagged}' differ; send one of them."
        )
    return run_name or tagged or random_run_name()


def _log_params(session: Session, run_id: str, params: dict[str, str]) -> None:
    # Insert-if-absent, then compare: two clients logging the same param at once cannot clash.
    if not params:
        return
    insert_missing(session, ParamRow, [{"run_uuid": run_id, "key": k, "value": v} for k, v in params.items()])
    stored = dict(session.execute(
        select(ParamRow.key, ParamRow.value).where(ParamRow.run_uuid == run_id, ParamRow.key.in_(params))
    ).all())
    for key, value in params.items():
        if stored[key] != value:
            raise InvalidParameter(
                f"Param '{key}' of run {run_id} was already logged with value "
                f"'{stored[key][:100]}'; a param cannot change (attempted '{value[:100]}'). "
                "Log it under another key, or use a tag or metric for values that change."
            )


def _stored_value(value: float, dialect: str) -> tuple[float, bool]:
    if math.isnan(value):
        return 0.0, True
    if math.isinf(value) and dialect == "mysql":  # MySQL's DOUBLE has no infinity: the largest double
        return math.copysign(sys.float_info.max, value), False
    return value, False


def _log_metrics(session: Session, run_id: str, metrics: list[Metric]) -> None:
    if not metrics:
        return
    rows = []
    for m in metrics:
        value, is_nan = _stored_value(m.value, session.get_bind().dialect.name)
        rows.append({"run_uuid": run_id, "key": m.key, "value": value,
                     "timestamp": m.timestamp, "step": m.step, "is_nan": is_nan})
    session.execute(MetricRow.__table__.insert(), rows)
    latest = {}
    for row in rows:  # the latest point per key: highest (step, timestamp, value)
        best = latest.get(row["key"])
        if best is None or _rank(row) > _rank(best):
            latest[row["key"]] = row
    upsert(session, LatestMetricRow, list(latest.values()), where=_newer)


def _rank(row: dict) -> tuple:
    return (row["step"], row["timestamp"], row["value"])


def _newer(table, incoming):
    columns = table.c
    return tuple_(incoming.step, incoming.timestamp, incoming.value) > tuple_(
        columns.step, columns.timestamp, columns.value
    )


def _metric(row) -> Metric:
    value = math.nan if row.is_nan else row.value
    if abs(value) == sys.float_info.max:  # how MySQL keeps an infinity (see _stored_value)
        value = math.copysign(math.inf, value)
    return Metric(row.key, value, row.timestamp, row.step)


def _load_runs(session: Session, rows: list[RunRow]) -> list[Run]:
    """Runs with their params, tags and latest metrics: three queries for the whole page."""
    ids = [row.run_uuid for row in rows]
    params, tags, metrics = {i: {} for i in ids}, {i: {} for i in ids}, {i: [] for i in ids}
    if ids:
        for p in session.scalars(select(ParamRow).where(ParamRow.run_uuid.in_(ids))):
            params[p.run_uuid][p.key] = p.value
        for t in session.scalars(select(RunTagRow).where(RunTagRow.run_uuid.in_(ids))):
            tags[t.run_uuid][t.key] = t.value
        for m in session.scalars(select(LatestMetricRow).where(LatestMetricRow.run_uuid.in_(ids)).order_by(LatestMetricRow.key)):
            metrics[m.run_uuid].append(_metric(m))
    return [
        Run(run_id=r.run_uuid, experiment_id=str(r.experiment_id), run_name=r.name,
            user_id=r.user_id, status=r.status, start_time=r.start_time, end_time=r.end_time,
            artifact_uri=r.artifact_uri, lifecycle_stage=r.lifecycle_stage,
            params=params[r.run_uuid], tags=tags[r.run_uuid], metrics=tuple(metrics[r.run_uuid]))
        for r in rows
    ]


def _parse(parse, text):
    try:
        return parse(text, search_syntax.RUN_SEARCH)
    except search_syntax.SearchSyntaxError as exc:
        raise InvalidParameter(str(exc)) from None


def workspace_of_run(database: Database, run_id: str) -> tuple[str, str] | None:
    """(workspace, experiment id) of a run, or None when there is no such run."""
    with database.session() as session:
        row = session.execute(
            select(ExperimentRow.workspace, ExperimentRow.experiment_id)
            .join(RunRow, RunRow.experiment_id == ExperimentRow.experiment_id)
            .where(RunRow.run_uuid == run_id)
        ).first()
        return (row[0], str(row[1])) if row else None
