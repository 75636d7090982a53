"""Insert-or-update statements that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    add: Sequence[str] = (),
) -> None:
    """Insert ``rows``; a row whose ``keys`` exist replaces the other columns.

    Args:
        session: the write session.
        table: the table.
        rows: dicts with the same columns each.
        keys: the columns of the primary key or unique constraint to match on.
        add: columns whose new value is added to the stored one instead of replacing it.
    """
    if not rows:
        return
    stmt = _insert(session, table)
    cols = [c for c in rows[0] if c not in keys]
    set_ = {c: stmt.excluded[c] for c in cols}
    for c in add:
        set_[c] = table.c[c] + stmt.excluded[c]
    stmt = (
        stmt.on_conflict_do_update(index_elements=list(keys), set_=set_)
        if set_
        else (stmt.on_conflict_do_nothing(index_elements=list(keys)))
    )
    session.execute(stmt, list(rows))


def insert_ignore(session: Session, table: Table, row: dict[str, Any], keys: Sequence[str]) -> None:
    """Insert ``row`` unless a row with the same ``keys`` exists."""
    stmt = _insert(session, table).values(**row).on_conflict_do_nothing(index_elements=list(keys))
    session.execute(stmt)


def insert_new(
    session: Session, table: Table, row: dict[str, Any], keys: Sequence[str], returning: Any
) -> Any:
    """Insert ``row`` unless a row with the same ``keys`` exists: the inserted row's
    ``returning`` column, or None when it existed (a unique key another writer took first)."""
    stmt = (
        _insert(session, table)
        .values(**row)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(returning)
    )
    return session.execute(stmt).scalar()
