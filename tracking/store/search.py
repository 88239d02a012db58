"""Turning parsed search filters and order clauses into SQL, and page tokens.

Filters come from tracking.search_syntax as plain Comparisons; each becomes a WHERE clause pushed
into the query, so every page is full and page tokens stay valid.
"""

from __future__ import annotations

import base64
import binascii
import json

from sqlalchemy import String, and_, any_, bindparam, cast, exists, func, literal_column, not_, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from tracking.entities import ACTIVE, DELETED
from tracking.errors import InvalidParameter
from tracking.hostapi import Visibility
from tracking.search_syntax import Comparison, OrderBy
from tracking.store.models import (
    ExperimentRow, ExperimentTagRow, LatestMetricRow, ParamRow, RunRow, RunTagRow,
)

MAX_OFFSET = 10**9
INT64 = range(-(2**63), 2**63)
MAX_EXPERIMENT_ID = 2**31 - 1  # experiments.experiment_id is a 32-bit INTEGER, as in MLflow


def is_experiment_id(text: str) -> bool:
    """True when the text can be a stored experiment id: ASCII digits (not '²'), 32-bit."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= MAX_EXPERIMENT_ID


def encode_token(offset: int) -> str:
    """An opaque page token for the next page."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    """The offset a page token stands for; 400 for a token this server did not issue."""
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        offset = None
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidParameter(
            "Invalid page_token; pass the next_page_token of the previous response unchanged."
        )
    return offset


# Above this many keys a visibility rule is bound as one parameter, not one per key: PostgreSQL
# takes at most 65,535 parameters in a statement and SQLite 32,766, and a user may hold grants on
# more experiments than that (every creator holds one on each of their experiments).
MANY_KEYS = 500


def visible_clause(column, visible: Visibility, convert=str, dialect: str = "") -> list[ColumnElement]:
    """The WHERE clause of a plugin's visibility rule on a key column: every search of a kind
    a plugin restricts applies it in its query, so pages are full and counts are right."""
    if visible.only is not None:
        return [_member(column, [convert(key) for key in visible.only], dialect)]
    return [~_member(column, [convert(key) for key in visible.hidden], dialect)] if visible.hidden else []


def _member(column, keys: list, dialect: str) -> ColumnElement:
    """column IN keys, with a long list bound as one array (PostgreSQL) or JSON text (SQLite)."""
    if len(keys) <= MANY_KEYS or dialect not in ("postgresql", "sqlite"):
        return column.in_(keys)
    if dialect == "postgresql":
        return column == any_(bindparam("visible_keys", keys, type_=postgresql.ARRAY(column.type)))
    listed = select(literal_column("value")).select_from(func.json_each(bindparam("visible_keys", json.dumps(keys))))
    return column.in_(listed.scalar_subquery())


def lifecycle_clause(column, view_type: str) -> list[ColumnElement]:
    """The lifecycle condition of a view type (ACTIVE_ONLY, DELETED_ONLY, ALL)."""
    if view_type == "ALL":
        return []
    return [column == (DELETED if view_type == "DELETED_ONLY" else ACTIVE)]


class _CaseSensitive(FunctionElement):
    """A string column compared byte for byte on MySQL, whose default collations ignore case and
    trailing spaces: text comparisons are exact in MLflow and on the other databases (ILIKE is
    the insensitive one)."""

    type = String()
    inherit_cache = True


@compiles(_CaseSensitive)
def _as_is(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_CaseSensitive, "mysql")
def _binary(element, compiler, **kw):
    return f"(BINARY {compiler.process(element.clauses, **kw)})"


def compare(column, op: str, value) -> ColumnElement:
    """`column <op> value` for one of the search operators."""
    if isinstance(value, int) and value not in INT64:  # no database binds it; compare as a double
        value = float(value)
    if op == "ILIKE":
        return column.ilike(value)
    if isinstance(column.type, String):
        column = _CaseSensitive(column)
    if op == "LIKE":
        return column.like(value)
    if op == "IN":
        return column.in_(list(value))
    if op == "NOT IN":
        return column.not_in(list(value))
    return {
        "=": column == value, "!=": column != value, "<": column < value,
        "<=": column <= value, ">": column > value, ">=": column >= value,
    }[op]


_EXPERIMENT_ATTRIBUTES = {
    "name": ExperimentRow.name,
    "creation_time": ExperimentRow.creation_time,
    "last_update_time": ExperimentRow.last_update_time,
    "experiment_id": ExperimentRow.experiment_id,
}


def experiment_clauses(comparisons: list[Comparison]) -> list[ColumnElement]:
    """WHERE clauses of an experiment search."""
    return [_experiment_clause(c) for c in comparisons]


def _experiment_clause(c: Comparison) -> ColumnElement:
    if c.kind == "tag":
        return _child_match(ExperimentTagRow, ExperimentTagRow.experiment_id,
                            ExperimentRow.experiment_id, c)
    column = _EXPERIMENT_ATTRIBUTES[c.key]
    if c.key == "experiment_id" and c.op in ("LIKE", "ILIKE"):  # a pattern on the id's digits
        return compare(cast(column, String), c.op, c.value)
    if c.key == "experiment_id":
        return compare(column, c.op, _experiment_ids(c.value))
    return compare(column, c.op, c.value)


def _experiment_ids(value):
    values = value if isinstance(value, tuple) else (value,)
    ids = tuple(int(v) for v in values if is_experiment_id(str(v)))
    return ids if isinstance(value, tuple) else (ids[0] if ids else -1)


def _child_match(model, child_key, parent_key, c: Comparison) -> ColumnElement:
    if c.op in ("IS NULL", "IS NOT NULL"):  # whether the run has the key at all
        has_key = exists().where(child_key == parent_key, model.key == c.key)
        return has_key if c.op == "IS NOT NULL" else not_(has_key)
    # `!=` means "has the key with another value", as in MLflow; a missing key never matches.
    return exists().where(child_key == parent_key, model.key == c.key, compare(model.value, c.op, c.value))


def experiment_order(orders: list[OrderBy]) -> list:
    """ORDER BY of an experiment search; newest first by default, ties broken by id."""
    clauses = []
    for o in orders:
        column = _EXPERIMENT_ATTRIBUTES.get(o.key)
        if o.kind != "attribute" or column is None:
            raise InvalidParameter(
                f"Cannot order experiments by {o.kind} '{o.key}'; order by one of the attributes "
                f"{', '.join(_EXPERIMENT_ATTRIBUTES)}, e.g. 'name ASC'."
            )
        clauses.append(column.asc() if o.ascending else column.desc())
    if not clauses:
        clauses.append(ExperimentRow.creation_time.desc())
    return [*clauses, ExperimentRow.experiment_id.asc()]


_RUN_ATTRIBUTES = {
    "run_id": RunRow.run_uuid,
    "run_name": RunRow.name,
    "status": RunRow.status,
    "user_id": RunRow.user_id,
    "artifact_uri": RunRow.artifact_uri,
    "start_time": RunRow.start_time,
    "end_time": RunRow.end_time,
    "lifecycle_stage": RunRow.lifecycle_stage,
}


def run_clauses(comparisons: list[Comparison]) -> list[ColumnElement]:
    """WHERE clauses of a run search."""
    return [_run_clause(c) for c in comparisons]


def _run_clause(c: Comparison) -> ColumnElement:
    if c.kind == "param":
        return _child_match(ParamRow, ParamRow.run_uuid, RunRow.run_uuid, c)
    if c.kind == "tag":
        return _child_match(RunTagRow, RunTagRow.run_uuid, RunRow.run_uuid, c)
    if c.kind == "metric":
        return exists().where(
            LatestMetricRow.run_uuid == RunRow.run_uuid, LatestMetricRow.key == c.key,
            not_(LatestMetricRow.is_nan), compare(LatestMetricRow.value, c.op, c.value),
        )
    column = _RUN_ATTRIBUTES.get(c.key)
    if column is None:
        raise InvalidParameter(f"Cannot filter runs by attribute '{c.key}'.")
    if c.op == "!=":  # a run whose column is NULL is "not equal" too
        return or_(column != c.value, column.is_(None))
    return compare(column, c.op, c.value)


def run_order(query, orders: list[OrderBy]):
    """Add ORDER BY to a run search: by attribute, metric, param or tag; NULLs last."""
    clauses = []
    for i, o in enumerate(orders):
        column, query = _run_order_column(query, o, i)
        clauses += [column.is_(None), column.asc() if o.ascending else column.desc()]
    if not any(o.kind == "attribute" and o.key == "start_time" for o in orders):
        clauses += [RunRow.start_time.desc()]  # ties: newest first, as MLflow does
    return query.order_by(*clauses, RunRow.run_uuid.asc())


def _run_order_column(query, o: OrderBy, i: int):
    if o.kind == "attribute":
        column = _RUN_ATTRIBUTES.get(o.key)
        if column is None:
            raise InvalidParameter(f"Cannot order runs by attribute '{o.key}'.")
        return column, query
    # A correlated scalar subquery per clause, not a join: SQLite's planner crashed the worker
    # (SIGSEGV) on 32-62 joined order_by subqueries (issue 10). A run has at most one value per
    # key, so the subquery yields one row or none (NULL, sorted last).
    model = {"metric": LatestMetricRow, "param": ParamRow, "tag": RunTagRow}[o.kind]
    value = (select(model.value).where(model.run_uuid == RunRow.run_uuid, model.key == o.key)
             .correlate(RunRow).scalar_subquery().label(f"order_{i}"))
    return value, query


def all_of(clauses: list[ColumnElement]) -> ColumnElement:
    """AND of the clauses (true when there are none)."""
    return and_(True, *clauses)
