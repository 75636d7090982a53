"""Query shapes several repositories share, written once.

A registry's named row (a dataset, a model) is locked while a version of it is added; a
version's file rows are inserted in batches; runs and jobs are found by a unique id prefix.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from itertools import islice
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.upsert import insert_ignore


def lock_named(
    s: Session, table: Table, name: str, create: bool = False, now: float | None = None
) -> int | None:
    """The id of ``table``'s row named ``name`` (None when there is none), holding its lock
    until the transaction ends; with ``create``, the row is inserted first when missing (with
    ``created_at`` ``now``, by default the current time).

    On PostgreSQL the row is read ``FOR UPDATE``; SQLite's write sessions (``BEGIN
    IMMEDIATE``) already hold the whole database.
    """
    if create:
        created = time.time() if now is None else now
        insert_ignore(s, table, {"name": name, "created_at": created}, ["name"])
    query = select(table.c.id).where(table.c.name == name)
    if s.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    found = s.execute(query).scalar()
    return None if found is None else int(found)


def insert_batched(s: Session, table: Table, rows: Iterable[dict[str, Any]], batch: int) -> None:
    """Insert ``rows`` with one executemany per ``batch`` rows (bounded memory and packets)."""
    it = iter(rows)
    while chunk := list(islice(it, batch)):
        s.execute(insert(table), chunk)


def ids_starting_with(s: Session, column: Any, prefix: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` values of the text ``column`` that start with ``prefix`` (taken as text,
    not as a LIKE pattern)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = s.execute(select(column).where(column.like(escaped + "%", escape="\\")).limit(limit))
    return [str(value) for value in rows.scalars()]
