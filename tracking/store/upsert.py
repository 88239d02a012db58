"""Insert-or-update in one statement on every supported database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsert(session: Session, model, rows: list[dict[str, Any]], where=None) -> None:
    """Insert rows; on a primary-key clash overwrite the other columns (only where `where` holds)."""
    if not rows:
        return
    table = model.__table__
    keys = [c.name for c in inspect(model).primary_key]
    values = [c for c in rows[0] if c not in keys]
    dialect = session.get_bind().dialect.name
    if dialect in _INSERTS:
        statement = _INSERTS[dialect](table)
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: statement.excluded[name] for name in values},
            where=where(table, statement.excluded) if where else None,
        )
    elif dialect == "mysql":
        statement = mysql.insert(table)
        statement = statement.on_duplicate_key_update(
            {name: _mysql_value(table, statement, name, where) for name in values}
        )
    else:
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    session.execute(statement, rows)


def _mysql_value(table, statement, name, where):
    from sqlalchemy import case

    new = statement.inserted[name]
    return case((where(table, statement.inserted), new), else_=table.c[name]) if where else new


def insert_missing(session: Session, model, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose primary key is not taken yet; leave the others as they are."""
    if not rows:
        return
    table = model.__table__
    dialect = session.get_bind().dialect.name
    if dialect in _INSERTS:
        statement = _INSERTS[dialect](table).on_conflict_do_nothing()
    elif dialect == "mysql":
        statement = mysql.insert(table).prefix_with("IGNORE")
    else:
        raise NotImplementedError(f"insert_missing is not implemented for {dialect}")
    session.execute(statement, rows)
