"""Experiments and their tags, always within one workspace."""

from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracking import search_syntax
from tracking.entities import ACTIVE, DELETED, Experiment, Page
from tracking.errors import AlreadyExists, InvalidParameter, NotFound
from tracking.hostapi import Visibility
from tracking.store import search
from tracking.store.db import Database
from tracking.store.models import ExperimentRow, ExperimentTagRow, RunRow
from tracking.store.upsert import upsert


def now_ms() -> int:
    """Milliseconds since the epoch, MLflow's time unit."""
    return int(time.time() * 1000)


def to_experiment(row: ExperimentRow) -> Experiment:
    """The plain value of an experiment row."""
    return Experiment(
        experiment_id=str(row.experiment_id), name=row.name, workspace=row.workspace,
        artifact_location=row.artifact_location, lifecycle_stage=row.lifecycle_stage,
        creation_time=row.creation_time, last_update_time=row.last_update_time,
        tags={tag.key: tag.value for tag in row.tags},
    )


def parse_id(experiment_id: str) -> int:
    """An experiment id as stored; a non-numeric id cannot exist."""
    if not search.is_experiment_id(experiment_id):
        raise NotFound(f"No experiment with id '{experiment_id[:40]}' exists.")
    return int(experiment_id)


class ExperimentStore:
    """Create, read, search and change experiments of a workspace."""

    def __init__(self, database: Database):
        self.database = database

    def create(
        self, workspace: str, name: str, tags: dict[str, str],
        location: Callable[[str], str], artifact_location: str | None = None,
    ) -> str:
        """Create an experiment; `location(id)` gives its artifact location unless one is given."""
        try:
            with self.database.session() as session:
                stamp = now_ms()
                row = ExperimentRow(
                    workspace=workspace, name=name, lifecycle_stage=ACTIVE,
                    creation_time=stamp, last_update_time=stamp,
                    tags=[ExperimentTagRow(key=k, value=v) for k, v in tags.items()],
                )
                session.add(row)
                session.flush()
                row.artifact_location = artifact_location or location(str(row.experiment_id))
                return str(row.experiment_id)
        except IntegrityError:
            raise self._name_taken(workspace, name) from None

    def _name_taken(self, workspace: str, name: str) -> AlreadyExists:
        existing = self.find_by_name(workspace, name)
        if existing is not None and existing.lifecycle_stage == DELETED:
            return AlreadyExists(
                f"Experiment '{name}' already exists in deleted state in workspace '{workspace}'. "
                "Restore it, or choose another name."
            )
        return AlreadyExists(f"Experiment '{name}' already exists in workspace '{workspace}'.")

    def get(self, workspace: str, experiment_id: str) -> Experiment:
        """The experiment; 404 when it does not exist in this workspace."""
        with self.database.session() as session:
            return to_experiment(self._row(session, workspace, experiment_id))

    def _row(self, session: Session, workspace: str, experiment_id: str, lock=False) -> ExperimentRow:
        query = select(ExperimentRow).where(
            ExperimentRow.experiment_id == parse_id(experiment_id),
            ExperimentRow.workspace == workspace,
        )
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFound(f"No experiment with id '{experiment_id}' exists in workspace '{workspace}'.")
        return row

    def find_by_name(self, workspace: str, name: str) -> Experiment | None:
        """The experiment of that name in the workspace, or None."""
        with self.database.session() as session:
            row = session.scalar(
                select(ExperimentRow).where(
                    ExperimentRow.workspace == workspace, ExperimentRow.name == name
                )
            )
            return to_experiment(row) if row else None

    def search(
        self, workspace: str, filter_string: str | None, order_by: list[str] | None,
        view_type: str, max_results: int, page_token: str | None, *, visible: Visibility,
    ) -> Page:
        """One page of the workspace's experiments matching a filter."""
        comparisons = _parse(search_syntax.parse_filter, filter_string)
        orders = _parse(search_syntax.parse_order_by, order_by)
        offset = search.decode_token(page_token)
        # Plain rows, not ORM objects: a page may hold a thousand experiments, and building an
        # object per experiment and per tag costs more than the queries themselves.
        columns = [ExperimentRow.experiment_id, ExperimentRow.name, ExperimentRow.workspace,
                   ExperimentRow.artifact_location, ExperimentRow.lifecycle_stage,
                   ExperimentRow.creation_time, ExperimentRow.last_update_time]
        query = select(*columns).where(ExperimentRow.workspace == workspace)
        query = query.where(*search.lifecycle_clause(ExperimentRow.lifecycle_stage, view_type))
        query = query.where(*search.experiment_clauses(comparisons))
        query = query.where(*search.visible_clause(ExperimentRow.experiment_id, visible, _as_id,
                                                   self.database.engine.dialect.name))
        query = query.order_by(*search.experiment_order(orders))
        with self.database.session() as session:
            rows = session.execute(query.offset(offset).limit(max_results + 1)).all()
            page = rows[:max_results]
            tags: dict[int, dict[str, str]] = {row.experiment_id: {} for row in page}
            if page:
                for experiment_id, key, value in session.execute(
                        select(ExperimentTagRow.experiment_id, ExperimentTagRow.key, ExperimentTagRow.value)
                        .where(ExperimentTagRow.experiment_id.in_(list(tags)))):
                    tags[experiment_id][key] = value
        items = [Experiment(experiment_id=str(row.experiment_id), name=row.name, workspace=row.workspace,
                            artifact_location=row.artifact_location, lifecycle_stage=row.lifecycle_stage,
                            creation_time=row.creation_time, last_update_time=row.last_update_time,
                            tags=tags[row.experiment_id]) for row in page]
        token = search.encode_token(offset + max_results) if len(rows) > max_results else None
        return Page(items, token)

    def rename(self, workspace: str, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new name, unique in its workspace."""
        try:
            with self.database.session() as session:
                row = self._row(session, workspace, experiment_id, lock=True)
                if row.lifecycle_stage != ACTIVE:
                    raise InvalidParameter(
                        f"Experiment {experiment_id} is deleted; restore it before renaming it."
                    )
                row.name, row.last_update_time = new_name, now_ms()
        except IntegrityError:
            raise self._name_taken(workspace, new_name) from None

    def set_lifecycle(self, workspace: str, experiment_id: str, stage: str) -> None:
        """Delete or restore an experiment with the runs that went with it."""
        with self.database.session() as session:
            row = self._row(session, workspace, experiment_id, lock=True)
            stamp = now_ms()
            runs = update(RunRow).where(RunRow.experiment_id == row.experiment_id)
            if stage == DELETED and row.lifecycle_stage == ACTIVE:
                session.execute(
                    runs.where(RunRow.lifecycle_stage == ACTIVE)
                    .values(lifecycle_stage=DELETED, deleted_time=stamp)
                )
                row.deleted_time = stamp
            elif stage == ACTIVE and row.lifecycle_stage == DELETED:
                # Restore only the runs deleted together with the experiment.
                session.execute(
                    runs.where(RunRow.deleted_time == row.deleted_time)
                    .values(lifecycle_stage=ACTIVE, deleted_time=None)
                )
                row.deleted_time = None
            row.lifecycle_stage, row.last_update_time = stage, stamp

    def set_tag(self, workspace: str, experiment_id: str, key: str, value: str) -> None:
        """Set (or overwrite) one experiment tag."""
        with self.database.session() as session:
            row = self._row(session, workspace, experiment_id)
            _require_active(row)
            upsert(session, ExperimentTagRow,
                   [{"experiment_id": row.experiment_id, "key": key, "value": value}])

    def delete_tag(self, workspace: str, experiment_id: str, key: str) -> None:
        """Remove one experiment tag; 404 when it is not set."""
        with self.database.session() as session:
            row = self._row(session, workspace, experiment_id)
            _require_active(row)
            tag = session.get(ExperimentTagRow, (row.experiment_id, key))
            if tag is None:
                raise NotFound(f"No tag with key '{key}' on experiment {experiment_id}.")
            session.delete(tag)

    def workspace_of(self, experiment_id: str) -> str | None:
        """The workspace of an experiment, whichever it is; None when there is none."""
        if not search.is_experiment_id(experiment_id):
            return None
        with self.database.session() as session:
            return session.scalar(select(ExperimentRow.workspace).where(
                ExperimentRow.experiment_id == int(experiment_id)))

    def owner_of_location(self, workspace: str, spellings: list[str]) -> tuple[str, str] | None:
        """(id, location) of the workspace's experiment whose stored location is one of
        `spellings`, the longest when several are; None when none is. An equality test on the
        stored column, so the database does the matching, not a loop over every experiment."""
        if not spellings:
            return None
        with self.database.session() as session:
            rows = session.execute(select(ExperimentRow.experiment_id, ExperimentRow.artifact_location).where(
                ExperimentRow.workspace == workspace, ExperimentRow.artifact_location.in_(spellings))).all()
        if not rows:
            return None
        best = max(rows, key=lambda row: (len(row.artifact_location), row.experiment_id))
        return str(best.experiment_id), best.artifact_location

    def locations_under(self, workspace: str, prefixes: list[str]) -> list[tuple[str, str]]:
        """(id, location) of the workspace's experiments whose stored location starts with one
        of `prefixes` (matched literally: '%' and '_' in a path are not wildcards)."""
        if not prefixes:
            return []
        clause = or_(*(ExperimentRow.artifact_location.startswith(p, autoescape=True) for p in prefixes))
        with self.database.session() as session:
            rows = session.execute(select(ExperimentRow.experiment_id, ExperimentRow.artifact_location)
                                   .where(ExperimentRow.workspace == workspace, clause)).all()
        return [(str(row.experiment_id), row.artifact_location) for row in rows]

    def count_in_workspace(self, workspace: str) -> tuple[int, list[str]]:
        """How many experiments (deleted ones included) a workspace holds, and a few names."""
        with self.database.session() as session:
            where = ExperimentRow.workspace == workspace
            count = session.scalar(select(func.count()).select_from(ExperimentRow).where(where))
            names = session.scalars(
                select(ExperimentRow.name).where(where).order_by(ExperimentRow.name).limit(5)
            )
            return count, list(names)

    def fill_missing_location(self, experiment_id: int, location: str) -> None:
        """Give an experiment created by a migration (id 0) its artifact location."""
        with self.database.session() as session:
            session.execute(
                update(ExperimentRow)
                .where(ExperimentRow.experiment_id == experiment_id,
                       ExperimentRow.artifact_location.is_(None))
                .values(artifact_location=location)
            )


def _as_id(key: str) -> int:
    return int(key) if search.is_experiment_id(key) else -1


def _require_active(row: ExperimentRow) -> None:
    if row.lifecycle_stage != ACTIVE:
        raise InvalidParameter(
            f"Experiment {row.experiment_id} is deleted; restore it before changing it."
        )


def _parse(parse, text):
    try:
        return parse(text, search_syntax.EXPERIMENT_SEARCH)
    except search_syntax.SearchSyntaxError as exc:
        raise InvalidParameter(str(exc)) from None
