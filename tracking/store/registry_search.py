"""Registry search filters and orders as SQL (registered models, prompts, model versions).

A tag compared with `!=` also matches items without that tag: the mlflow client excludes prompts
from model searches with ``tag.`mlflow.prompt.is_prompt` != 'true'``, which must keep every
ordinary model.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, not_
from sqlalchemy.sql import ColumnElement

from tracking.errors import InvalidParameter
from tracking.search_syntax import Comparison, OrderBy
from tracking.store.models import (
    ModelVersionRow, ModelVersionTagRow, RegisteredModelRow, RegisteredModelTagRow,
)
from tracking.store.search import compare

_MODEL_ATTRIBUTES = {
    "name": RegisteredModelRow.name,
    "creation_timestamp": RegisteredModelRow.creation_time,
    "last_updated_timestamp": RegisteredModelRow.last_updated_time,
}
_VERSION_ATTRIBUTES = {
    "name": RegisteredModelRow.name,
    "run_id": ModelVersionRow.run_id,
    "source_path": ModelVersionRow.source,
    "current_stage": ModelVersionRow.current_stage,
    "version_number": ModelVersionRow.version,
    "creation_timestamp": ModelVersionRow.creation_time,
    "last_updated_timestamp": ModelVersionRow.last_updated_time,
}


def _tag_clause(tag_model, owner: ColumnElement, c: Comparison) -> ColumnElement:
    if c.op in ("IS NULL", "IS NOT NULL"):
        has_key = exists().where(owner, tag_model.key == c.key)
        return has_key if c.op == "IS NOT NULL" else not_(has_key)
    if c.op == "!=":
        return not_(exists().where(owner, tag_model.key == c.key, tag_model.value == c.value))
    return exists().where(owner, tag_model.key == c.key, compare(tag_model.value, c.op, c.value))


def model_clauses(comparisons: list[Comparison]) -> list[ColumnElement]:
    """WHERE clauses of a registered-model search."""
    owner = RegisteredModelTagRow.model_id == RegisteredModelRow.id
    return [
        _tag_clause(RegisteredModelTagRow, owner, c) if c.kind == "tag"
        else compare(_MODEL_ATTRIBUTES[c.key], c.op, c.value)
        for c in comparisons
    ]


def version_clauses(comparisons: list[Comparison]) -> list[ColumnElement]:
    """WHERE clauses of a model-version search."""
    owner = and_(ModelVersionTagRow.model_id == ModelVersionRow.model_id,
                 ModelVersionTagRow.version == ModelVersionRow.version)
    return [
        _tag_clause(ModelVersionTagRow, owner, c) if c.kind == "tag"
        else compare(_VERSION_ATTRIBUTES[c.key], c.op, c.value)
        for c in comparisons
    ]


def _order(columns: dict, orders: list[OrderBy], what: str) -> list:
    clauses = []
    for o in orders:
        column = columns.get(o.key)
        if o.kind != "attribute" or column is None:
            raise InvalidParameter(f"Cannot order {what} by '{o.key}'; use one of {', '.join(columns)}.")
        clauses.append(column.asc() if o.ascending else column.desc())
    return clauses


def model_order(orders: list[OrderBy]) -> list:
    """ORDER BY of a registered-model search: by name unless told otherwise."""
    return [*_order(_MODEL_ATTRIBUTES, orders, "registered models"), RegisteredModelRow.name.asc()]


def version_order(orders: list[OrderBy]) -> list:
    """ORDER BY of a model-version search: newest first unless told otherwise."""
    clauses = _order(_VERSION_ATTRIBUTES, orders, "model versions")
    return [*clauses, RegisteredModelRow.name.asc(), ModelVersionRow.version.desc()]
