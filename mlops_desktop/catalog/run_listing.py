"""Listing runs fast: run summaries from one query per table, and filtered listings that read
only what the filter needs.

A whole listing reads the run rows and, one query per table, every param, tag and latest metric,
iterating the driver's cursor straight into dicts (no ORM objects, no Row objects). A filtered
listing first reads the run rows and only the keys the filter names (``params.lr`` reads the
``lr`` rows), tests every run on those, and then reads the params, tags and metrics of the runs
that matched alone: a filter that keeps few runs never reads the rest, and the runs it keeps are
exactly those a filter over whole summaries keeps (a filter sees only the keys it names).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, cast

from sqlalchemy import ARRAY, Select, String, any_, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.schema import experiment_t, latest_t, param_t, run_t, tag_t
from mlops_desktop.core.query import Query
from mlops_desktop.core.query_eval import Compare, Node, Not
from mlops_desktop.core.runs import RunSummary

SCOPES = ("params", "metrics", "tags")
_COLUMNS = {
    "params": (param_t.c.run_id, param_t.c.key, param_t.c.value),
    "tags": (tag_t.c.run_id, tag_t.c.key, tag_t.c.value),
    "metrics": (latest_t.c.run_id, latest_t.c.key, latest_t.c.value, latest_t.c.nonfinite),
}
_STORED_ORDER = {"sqlite": "rowid", "postgresql": "ctid"}
_MISSING = object()
Children = dict[str, dict[str, dict[str, Any]]]  # scope -> run id -> {key: value}


def latest_value(value: float | None, nonfinite: str | None) -> float:
    """The float that ``metric_latest`` stored as ``(value, nonfinite)``."""
    if nonfinite is not None:
        return float(nonfinite)
    return float(value) if value is not None else float("nan")


def runs_query(experiment_id: int | None, run_ids: list[str] | None) -> tuple[Select[Any], Any]:
    """The select of the run rows, newest first, and what selects their ids for the child
    tables (None: every run). Trashed runs are left out unless ``run_ids`` names them."""
    runs: Select[Any] = select(
        run_t.c.id,
        experiment_t.c.name,
        run_t.c.name,
        run_t.c.status,
        run_t.c.started_at,
        run_t.c.ended_at,
        run_t.c.target,
        run_t.c.color_index,
        run_t.c.parent_run_id,
        run_t.c.user,
        run_t.c.host,
    ).join(experiment_t, experiment_t.c.id == run_t.c.experiment_id)
    ids: Any = None
    if run_ids is None:  # runs in the trash are listed only when asked for by id
        runs = runs.where(run_t.c.deleted_at.is_(None))
    if experiment_id is not None:
        runs = runs.where(run_t.c.experiment_id == experiment_id)
        ids = select(run_t.c.id).where(
            run_t.c.experiment_id == experiment_id, run_t.c.deleted_at.is_(None)
        )
    if run_ids is not None:
        runs = runs.where(run_t.c.id.in_(run_ids))
        ids = run_ids
    return runs.order_by(run_t.c.started_at.desc(), run_t.c.id), ids


def cursor_rows(s: Session, stmt: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a Core select as the driver's own tuples, straight from its cursor."""
    result = s.execute(stmt)
    try:
        yield from result.cursor  # type: ignore[attr-defined]
    finally:
        result.close()


def _decode(text: str, memo: dict[str, Any]) -> Any:
    """A param's JSON text as its value (text that is not JSON as it is); scalars memoized."""
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if not isinstance(value, (list, dict)):  # containers stay one per run: they are mutable
        memo[text] = value
    return value


def _params(rows: Iterable[tuple[Any, ...]], out: dict[str, dict[str, Any]]) -> None:
    memo: dict[str, Any] = {}
    have, known = out.get, memo.get
    for rid, key, text in rows:
        items = have(rid)
        if items is None:
            out[rid] = items = {}
        value = known(text, _MISSING)
        items[key] = _decode(text, memo) if value is _MISSING else value


def _tags(rows: Iterable[tuple[Any, ...]], out: dict[str, dict[str, Any]]) -> None:
    have = out.get
    for rid, key, value in rows:
        items = have(rid)
        if items is None:
            out[rid] = items = {}
        items[key] = value


def _metrics(rows: Iterable[tuple[Any, ...]], out: dict[str, dict[str, Any]]) -> None:
    have = out.get
    for rid, key, value, nonfinite in rows:
        items = have(rid)
        if items is None:
            out[rid] = items = {}
        items[key] = (
            value if nonfinite is None and value is not None else latest_value(value, nonfinite)
        )


Fill = Callable[[Iterable[tuple[Any, ...]], dict[str, dict[str, Any]]], None]
_FILL: dict[str, Fill] = {
    "params": _params,
    "tags": _tags,
    "metrics": _metrics,
}


def read_children(
    s: Session,
    scope: str,
    ids: Any,
    keys: Iterable[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """{run id: {key: value}} of one scope for the runs ``ids`` selects (None: every run; else
    a select of ids or a list of them), of the ``keys`` given (None: every key)."""
    columns = _COLUMNS[scope]
    stmt = select(*columns)
    if keys is not None:
        stmt = stmt.where(columns[1].in_(sorted(keys)))
    dialect = s.get_bind().dialect.name
    if isinstance(ids, list):
        stmt = stmt.where(_among(columns[0], ids, dialect))
    elif ids is not None:
        stmt = stmt.where(columns[0].in_(ids))
    stored = _STORED_ORDER.get(dialect)
    if stored is not None:  # keys in the order they were stored, however the rows are found
        stmt = stmt.order_by(literal_column(stored))
    out: dict[str, dict[str, Any]] = {}
    _FILL[scope](cursor_rows(s, stmt), out)
    return out


def _among(column: Any, ids: list[str], dialect: str) -> Any:
    """``column IN ids`` with the ids as one parameter where the database allows (thousands
    of bound parameters cost more than the read)."""
    if dialect == "sqlite":
        each = func.json_each(bindparam("run_ids", json.dumps(ids))).table_valued("value")
        return column.in_(select(each.c.value))
    if dialect == "postgresql":
        return column == any_(bindparam("run_ids", ids, type_=ARRAY(String)))
    return column.in_(ids)


def assemble(rows: Iterable[tuple[Any, ...]], children: Children) -> list[RunSummary]:
    """Run summaries of run rows (as :func:`runs_query` selects them) and their children."""
    empty: dict[str, dict[str, Any]] = {}
    params = children.get("params", empty).get
    metrics = children.get("metrics", empty).get
    tags = children.get("tags", empty).get
    return [
        RunSummary(
            rid,
            exp,
            name,
            status,
            started,
            ended,
            target,
            params(rid) or {},
            metrics(rid) or {},
            tags(rid) or {},
            color_index,
            parent,
            user,
            host,
        )
        for rid, exp, name, status, started, ended, target, color_index, parent, user, host in rows
    ]


class _Tested(NamedTuple):
    """What a filter sees of a run while it is tested: a :class:`RunSummary`'s fields (only
    the named keys in its mappings), built at C speed from a run row."""

    id: str
    experiment: str
    name: str
    status: str
    started_at: float
    ended_at: float | None
    target: str
    color_index: int | None
    parent_run_id: str | None
    user: str | None
    host: str | None
    params: dict[str, Any]
    metrics: dict[str, float]
    tags: dict[str, str]

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at  # as RunSummary


def _tested(rows: list[tuple[Any, ...]], children: Children) -> list[_Tested]:
    """The runs as a filter sees them (see :class:`_Tested`)."""
    empty: dict[str, dict[str, Any]] = {}
    params = children.get("params", empty).get
    metrics = children.get("metrics", empty).get
    tags = children.get("tags", empty).get
    make = _Tested._make
    return [
        make((*row, params(row[0]) or {}, metrics(row[0]) or {}, tags(row[0]) or {}))
        for row in rows
    ]


def summaries(
    s: Session, experiment_id: int | None = None, run_ids: list[str] | None = None
) -> list[RunSummary]:
    """Run summaries, newest first, of one experiment, of some runs, or of all."""
    runs, ids = runs_query(experiment_id, run_ids)
    rows = list(cursor_rows(s, runs))
    if not rows:
        return []
    return assemble(rows, {scope: read_children(s, scope, ids) for scope in SCOPES})


def named_keys(node: Node | None, into: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """{scope: keys} of the params, metrics and tags a filter's tree names."""
    into = {} if into is None else into
    if isinstance(node, Compare):
        if node.field.scope in SCOPES:
            into.setdefault(node.field.scope, set()).add(node.field.key)
    elif isinstance(node, Not):
        named_keys(node.item, into)
    elif node is not None:
        for item in node.items:
            named_keys(item, into)
    return into


def filtered_summaries(
    s: Session, query: Query, experiment_id: int | None = None
) -> list[RunSummary]:
    """The summaries, newest first, of the runs (of one experiment, or all) ``query`` keeps.

    Every run is tested on its run fields and the keys the query names; only the runs kept
    have their other params, metrics and tags read.
    """
    runs, ids = runs_query(experiment_id, None)
    rows = list(cursor_rows(s, runs))
    if not rows:
        return []
    named = named_keys(query.expr)
    seen = _tested(
        rows, {scope: read_children(s, scope, ids, keys) for scope, keys in named.items()}
    )
    kept = [rows[i] for i in query.positions(cast(list[RunSummary], seen))]
    if not kept:
        return []
    if len(kept) * 2 < len(rows):  # read theirs by id, else scan the lot
        ids = [row[0] for row in kept]
    return assemble(kept, {scope: read_children(s, scope, ids) for scope in SCOPES})


def listed_summaries(s: Session, run_ids: list[str]) -> list[RunSummary]:
    """The summaries of these runs as listings show them (runs in the trash left out), newest
    first: what a live update of a listing reads instead of the whole listing."""
    kept = [
        rid
        for (rid,) in s.execute(
            select(run_t.c.id).where(run_t.c.id.in_(run_ids), run_t.c.deleted_at.is_(None))
        )
    ]
    return summaries(s, run_ids=kept) if kept else []
