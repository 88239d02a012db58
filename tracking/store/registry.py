"""The model registry: registered models (prompts included), versions, tags and aliases,
always within one workspace. Names are unique per workspace."""

from __future__ import annotations

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracking import search_syntax
from tracking.entities import STAGES, ModelVersion, Page, RegisteredModel
from tracking.errors import AlreadyExists, InvalidParameter, NotFound
from tracking.hostapi import Visibility
from tracking.store import registry_search as rsearch
from tracking.store import search
from tracking.store.db import Database
from tracking.store.experiments import now_ms
from tracking.store.models import (
    ModelAliasRow, ModelVersionRow, ModelVersionTagRow, RegisteredModelRow, RegisteredModelTagRow,
)
from tracking.store.upsert import upsert

PROMPT_TAG = "mlflow.prompt.is_prompt"


def parse_version(version: str) -> int:
    """A version number as stored."""
    if not (str(version).isascii() and str(version).isdigit()) or len(str(version)) > 9:
        raise InvalidParameter(f"Model version must be a positive integer, got '{str(version)[:40]}'.")
    return int(version)


def is_prompt_tag_value(value: str | None) -> bool:
    """Whether a mlflow.prompt.is_prompt tag value marks a prompt (MLflow: 'true', any case)."""
    return (value or "").lower() == "true"


class RegistryStore:
    """Registered models and their versions, per workspace."""

    def __init__(self, database: Database):
        self.database = database

    # registered models ------------------------------------------------------------------------

    def create_model(self, workspace: str, name: str, description: str | None,
                     tags: dict[str, str]) -> RegisteredModel:
        """Register a new model name in the workspace."""
        try:
            with self.database.session() as session:
                stamp = now_ms()
                row = RegisteredModelRow(workspace=workspace, name=name, creation_time=stamp,
                                         last_updated_time=stamp, description=description, last_version=0)
                session.add(row)
                session.flush()
                _set_tags(session, RegisteredModelTagRow, {"model_id": row.id}, tags)
                return _load_models(session, [row])[0]
        except IntegrityError:
            raise AlreadyExists(f"Registered Model (name={name}) already exists in workspace '{workspace}'.") from None

    def get_model(self, workspace: str, name: str) -> RegisteredModel:
        """The model with its tags, aliases and latest version per stage."""
        with self.database.session() as session:
            return _load_models(session, [_model(session, workspace, name)])[0]

    def is_prompt(self, workspace: str, name: str) -> bool | None:
        """Whether the named model is a prompt (None when there is no such model)."""
        with self.database.session() as session:
            row = session.scalar(select(RegisteredModelRow).where(
                RegisteredModelRow.workspace == workspace, RegisteredModelRow.name == name))
            if row is None:
                return None
            tag = session.get(RegisteredModelTagRow, (row.id, PROMPT_TAG))
            return tag is not None and is_prompt_tag_value(tag.value)

    def rename_model(self, workspace: str, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions, tags and aliases follow."""
        try:
            with self.database.session() as session:
                row = _model(session, workspace, name, lock=True)
                row.name, row.last_updated_time = new_name, now_ms()
                session.flush()
                return _load_models(session, [row])[0]
        except IntegrityError:
            raise AlreadyExists(f"Registered Model (name={new_name}) already exists in workspace '{workspace}'.") from None

    def update_model(self, workspace: str, name: str, description: str | None) -> RegisteredModel:
        """Change a model's description."""
        with self.database.session() as session:
            row = _model(session, workspace, name, lock=True)
            row.description, row.last_updated_time = description, now_ms()
            return _load_models(session, [row])[0]

    def delete_model(self, workspace: str, name: str) -> None:
        """Delete a model with all its versions, tags and aliases."""
        with self.database.session() as session:
            session.delete(_model(session, workspace, name, lock=True))

    def search_models(self, workspace: str, filter_string: str | None, order_by: list[str] | None,
                      max_results: int, page_token: str | None, *, visible: Visibility) -> Page:
        """One page of the workspace's registered models matching a filter."""
        comparisons = _parse(search_syntax.parse_filter, filter_string, search_syntax.REGISTERED_MODEL_SEARCH)
        orders = _parse(search_syntax.parse_order_by, order_by, search_syntax.REGISTERED_MODEL_SEARCH)
        offset = search.decode_token(page_token)
        query = (select(RegisteredModelRow).where(RegisteredModelRow.workspace == workspace)
                 .where(*rsearch.model_clauses(comparisons)).order_by(*rsearch.model_order(orders))
                 .where(*search.visible_clause(RegisteredModelRow.name, visible, str, self.database.engine.dialect.name)))
        with self.database.session() as session:
            rows = list(session.scalars(query.offset(offset).limit(max_results + 1)))
            items = _load_models(session, rows[:max_results])
        return Page(items, search.encode_token(offset + max_results) if len(rows) > max_results else None)

    def set_model_tag(self, workspace: str, name: str, key: str, value: str) -> None:
        """Set one tag of a model."""
        with self.database.session() as session:
            row = _model(session, workspace, name)
            _set_tags(session, RegisteredModelTagRow, {"model_id": row.id}, {key: value})

    def delete_model_tag(self, workspace: str, name: str, key: str) -> None:
        """Remove one tag of a model; 404 when it is not set."""
        with self.database.session() as session:
            row = _model(session, workspace, name)
            _delete_tag(session, RegisteredModelTagRow, (RegisteredModelTagRow.model_id == row.id), key, name)

    def latest_versions(self, workspace: str, name: str, stages: list[str] | None) -> list[ModelVersion]:
        """The newest version in each requested stage (every stage when none is named)."""
        with self.database.session() as session:
            model = _model(session, workspace, name)
            latest = _latest(session, [model.id]).get(model.id, [])
            wanted = {s.lower() for s in stages} if stages else None
            chosen = [v for v in latest if wanted is None or v.current_stage.lower() in wanted]
            return _load_versions(session, {model.id: name}, chosen)

    def count_in_workspace(self, workspace: str) -> tuple[int, int, list[str]]:
        """(models, prompts, a few names) of a workspace."""
        with self.database.session() as session:
            rows = session.execute(
                select(RegisteredModelRow.name, RegisteredModelTagRow.value)
                .outerjoin(RegisteredModelTagRow, (RegisteredModelTagRow.model_id == RegisteredModelRow.id)
                           & (RegisteredModelTagRow.key == PROMPT_TAG))
                .where(RegisteredModelRow.workspace == workspace).order_by(RegisteredModelRow.name)
            ).all()
        prompts = sum(1 for _, value in rows if is_prompt_tag_value(value))
        return len(rows) - prompts, prompts, [name for name, _ in rows[:5]]

    # model versions ---------------------------------------------------------------------------

    def create_version(self, workspace: str, name: str, version: dict) -> ModelVersion:
        """Add the next version to a model (the number is never reused)."""
        with self.database.session() as session:
            model = _model(session, workspace, name, lock=True)
            model.last_version += 1
            stamp = now_ms()
            model.last_updated_time = stamp
            row = ModelVersionRow(model_id=model.id, version=model.last_version, creation_time=stamp,
                                  last_updated_time=stamp, current_stage="None", status="READY",
                                  **{k: version[k] for k in ("source", "run_id", "run_link", "description",
                                                            "user_id", "storage_location")})
            session.add(row)
            session.flush()
            _set_tags(session, ModelVersionTagRow, {"model_id": model.id, "version": row.version},
                      version.get("tags") or {})
            return _load_versions(session, {model.id: name}, [row])[0]

    def get_version(self, workspace: str, name: str, version: str) -> ModelVersion:
        """One version of a model."""
        with self.database.session() as session:
            model = _model(session, workspace, name)
            return _load_versions(session, {model.id: name}, [_version(session, model, version)])[0]

    def update_version(self, workspace: str, name: str, version: str, description: str | None) -> ModelVersion:
        """Change a version's description."""
        with self.database.session() as session:
            model = _model(session, workspace, name)
            row = _version(session, model, version, lock=True)
            row.description, row.last_updated_time = description, now_ms()
            return _load_versions(session, {model.id: name}, [row])[0]

    def transition_stage(self, workspace: str, name: str, version: str, stage: str,
                         archive_existing: bool) -> ModelVersion:
        """Move a version to a stage; optionally archive the others in that stage."""
        with self.database.session() as session:
            model = _model(session, workspace, name, lock=True)
            row = _version(session, model, version)
            stamp = now_ms()
            if archive_existing and stage in ("Staging", "Production"):
                for other in session.scalars(select(ModelVersionRow).where(
                        ModelVersionRow.model_id == model.id, ModelVersionRow.current_stage == stage,
                        ModelVersionRow.version != row.version)):
                    other.current_stage, other.last_updated_time = "Archived", stamp
            row.current_stage, row.last_updated_time = stage, stamp
            model.last_updated_time = stamp
            return _load_versions(session, {model.id: name}, [row])[0]

    def delete_version(self, workspace: str, name: str, version: str) -> None:
        """Delete a version with its tags and the aliases pointing at it."""
        with self.database.session() as session:
            model = _model(session, workspace, name, lock=True)
            session.delete(_version(session, model, version))
            model.last_updated_time = now_ms()

    def search_versions(self, workspace: str, filter_string: str | None, order_by: list[str] | None,
                        max_results: int, page_token: str | None, *, visible: Visibility) -> Page:
        """One page of the workspace's model versions matching a filter."""
        spec = search_syntax.MODEL_VERSION_SEARCH
        comparisons = _parse(search_syntax.parse_filter, filter_string, spec)
        orders = _parse(search_syntax.parse_order_by, order_by, spec)
        offset = search.decode_token(page_token)
        query = (
            select(ModelVersionRow, RegisteredModelRow.name)
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .where(RegisteredModelRow.workspace == workspace)
            .where(*rsearch.version_clauses(comparisons)).order_by(*rsearch.version_order(orders))
            .where(*search.visible_clause(RegisteredModelRow.name, visible, str, self.database.engine.dialect.name))
        )
        with self.database.session() as session:
            found = session.execute(query.offset(offset).limit(max_results + 1)).all()[: max_results + 1]
            names = {row.model_id: name for row, name in found}
            items = _load_versions(session, names, [row for row, _ in found[:max_results]])
        return Page(items, search.encode_token(offset + max_results) if len(found) > max_results else None)

    def set_version_tag(self, workspace: str, name: str, version: str, key: str, value: str) -> None:
        """Set one tag of a version."""
        with self.database.session() as session:
            row = _version(session, _model(session, workspace, name), version)
            _set_tags(session, ModelVersionTagRow, {"model_id": row.model_id, "version": row.version}, {key: value})

    def delete_version_tag(self, workspace: str, name: str, version: str, key: str) -> None:
        """Remove one tag of a version; 404 when it is not set."""
        with self.database.session() as session:
            row = _version(session, _model(session, workspace, name), version)
            where = (ModelVersionTagRow.model_id == row.model_id) & (ModelVersionTagRow.version == row.version)
            _delete_tag(session, ModelVersionTagRow, where, key, f"{name} version {row.version}")

    # aliases ----------------------------------------------------------------------------------

    def set_alias(self, workspace: str, name: str, alias: str, version: str) -> None:
        """Point an alias at a version (moving it if it pointed elsewhere)."""
        with self.database.session() as session:
            model = _model(session, workspace, name, lock=True)
            row = _version(session, model, version)
            upsert(session, ModelAliasRow, [{"model_id": model.id, "alias": alias, "version": row.version}])

    def delete_alias(self, workspace: str, name: str, alias: str) -> None:
        """Remove an alias; 404 when the model has no such alias."""
        with self.database.session() as session:
            model = _model(session, workspace, name)
            gone = session.execute(delete(ModelAliasRow).where(
                ModelAliasRow.model_id == model.id, ModelAliasRow.alias == alias)).rowcount
            if not gone:
                raise NotFound(f"Registered model alias {alias} not found on model {name}.")

    def version_by_alias(self, workspace: str, name: str, alias: str) -> ModelVersion:
        """The version an alias points at."""
        with self.database.session() as session:
            model = _model(session, workspace, name)
            row = session.get(ModelAliasRow, (model.id, alias))
            if row is None:
                raise NotFound(f"Registered model alias {alias} not found on model {name}.")
            version = session.get(ModelVersionRow, (model.id, row.version))
            return _load_versions(session, {model.id: name}, [version])[0]


def _model(session: Session, workspace: str, name: str, lock: bool = False) -> RegisteredModelRow:
    query = select(RegisteredModelRow).where(
        RegisteredModelRow.workspace == workspace, RegisteredModelRow.name == name)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"Registered Model with name={name} not found in workspace '{workspace}'.")
    return row


def _version(session: Session, model: RegisteredModelRow, version: str, lock: bool = False) -> ModelVersionRow:
    query = select(ModelVersionRow).where(
        ModelVersionRow.model_id == model.id, ModelVersionRow.version == parse_version(version))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"Model Version (name={model.name}, version={version}) not found.")
    return row


def _set_tags(session: Session, model, keys: dict, tags: dict[str, str]) -> None:
    upsert(session, model, [{**keys, "key": k, "value": v} for k, v in tags.items()])


def _delete_tag(session: Session, model, where, key: str, owner: str) -> None:
    if session.execute(delete(model).where(where, model.key == key)).rowcount == 0:
        raise NotFound(f"No tag with key '{key}' on {owner}.")


def _latest(session: Session, model_ids: list[int]) -> dict[int, list[ModelVersionRow]]:
    """Per model, its newest version in each stage."""
    if not model_ids:
        return {}
    newest = (
        select(ModelVersionRow.model_id, ModelVersionRow.current_stage, func.max(ModelVersionRow.version))
        .where(ModelVersionRow.model_id.in_(model_ids))
        .group_by(ModelVersionRow.model_id, ModelVersionRow.current_stage)
    )
    keys = [(m, v) for m, _, v in session.execute(newest)]
    result: dict[int, list[ModelVersionRow]] = {}
    if keys:
        rows = session.scalars(select(ModelVersionRow).where(
            tuple_(ModelVersionRow.model_id, ModelVersionRow.version).in_(keys)))
        for row in sorted(rows, key=lambda r: STAGES.index(r.current_stage) if r.current_stage in STAGES else 9):
            result.setdefault(row.model_id, []).append(row)
    return result


def _load_models(session: Session, rows: list[RegisteredModelRow]) -> list[RegisteredModel]:
    ids = [row.id for row in rows]
    tags, aliases = {i: {} for i in ids}, {i: {} for i in ids}
    if ids:
        for t in session.scalars(select(RegisteredModelTagRow).where(RegisteredModelTagRow.model_id.in_(ids))):
            tags[t.model_id][t.key] = t.value
        for a in session.scalars(select(ModelAliasRow).where(ModelAliasRow.model_id.in_(ids))):
            aliases[a.model_id][a.alias] = a.version
    latest = _latest(session, ids)
    names = {row.id: row.name for row in rows}
    versions = _load_versions(session, names, [v for i in ids for v in latest.get(i, [])])
    by_model: dict[str, list[ModelVersion]] = {}
    for v in versions:
        by_model.setdefault(v.name, []).append(v)
    return [
        RegisteredModel(name=r.name, workspace=r.workspace, creation_timestamp=r.creation_time,
                        last_updated_timestamp=r.last_updated_time, description=r.description,
                        tags=tags[r.id], aliases=aliases[r.id], latest_versions=tuple(by_model.get(r.name, ())))
        for r in rows
    ]


def _load_versions(session: Session, names: dict[int, str], rows: list[ModelVersionRow]) -> list[ModelVersion]:
    keys = [(r.model_id, r.version) for r in rows]
    tags = {k: {} for k in keys}
    aliases: dict[tuple, list[str]] = {k: [] for k in keys}
    if keys:
        for t in session.scalars(select(ModelVersionTagRow).where(
                tuple_(ModelVersionTagRow.model_id, ModelVersionTagRow.version).in_(keys))):
            tags[(t.model_id, t.version)][t.key] = t.value
        for a in session.scalars(select(ModelAliasRow).where(
                tuple_(ModelAliasRow.model_id, ModelAliasRow.version).in_(keys)).order_by(ModelAliasRow.alias)):
            aliases[(a.model_id, a.version)].append(a.alias)
    return [
        ModelVersion(name=names[r.model_id], version=r.version, creation_timestamp=r.creation_time,
                     last_updated_timestamp=r.last_updated_time, user_id=r.user_id,
                     current_stage=r.current_stage, description=r.description, source=r.source,
                     run_id=r.run_id, run_link=r.run_link, status=r.status,
                     storage_location=r.storage_location, tags=tags[(r.model_id, r.version)],
                     aliases=tuple(aliases[(r.model_id, r.version)]))
        for r in rows
    ]


def _parse(parse, text, spec):
    try:
        return parse(text, spec)
    except search_syntax.SearchSyntaxError as exc:
        raise InvalidParameter(str(exc)) from None
