"""Read queries over runs: Core selects returning tuples, assembled into core dataclasses.

Listing 10,000 runs takes one query per table (run, param, tag, metric_latest) and a pass in
Python; no ORM objects are built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.schema import (
    experiment_t,
    latest_t,
    param_t,
    run_t,
    tag_t,
)
from mlops_desktop.catalog.shared_queries import ids_starting_with
from mlops_desktop.core.errors import ExperimentNotFound, RunNotFound
from mlops_desktop.core.hardware import RunProcess
from mlops_desktop.core.runs import Experiment, RunSummary

MIN_PREFIX = 4


def latest_value(value: float | None, nonfinite: str | None) -> float:
    """The float that ``metric_latest`` stored as ``(value, nonfinite)``."""
    if nonfinite is not None:
        return float(nonfinite)
    return float(value) if value is not None else float("nan")


def list_experiments(s: Session) -> list[Experiment]:
    counts = (
        select(
            run_t.c.experiment_id,
            func.count().label("n"),
            func.max(run_t.c.started_at).label("last"),
        )
        .group_by(run_t.c.experiment_id)
        .subquery()
    )
    rows = s.execute(
        select(
            experiment_t.c.id,
            experiment_t.c.name,
            experiment_t.c.created_at,
            counts.c.n,
            counts.c.last,
        )
        .outerjoin(counts, counts.c.experiment_id == experiment_t.c.id)
        .order_by(experiment_t.c.name)
    ).all()
    return [Experiment(i, name, created, n or 0, last) for i, name, created, n, last in rows]


def experiment_id_of(s: Session, name: str) -> int:
    found = s.execute(select(experiment_t.c.id).where(experiment_t.c.name == name)).scalar()
    if found is None:
        raise ExperimentNotFound(f"There is no experiment named {name!r}.")
    return int(found)


def resolve_run_id(s: Session, run_id: str) -> str:
    """The full id of the run ``run_id`` names (an id or a unique prefix of 4+ characters).

    Raises:
        RunNotFound: no run, a too short prefix, or a prefix of several runs.
    """
    rid = run_id.strip()
    if s.execute(select(run_t.c.id).where(run_t.c.id == rid)).first() is not None:
        return rid
    if len(rid) < MIN_PREFIX:
        raise RunNotFound(
            f"No run has the id {rid!r}; give the whole id or at least {MIN_PREFIX} characters."
        )
    found = ids_starting_with(s, run_t.c.id, rid)
    if not found:
        raise RunNotFound(f"No run has an id starting with {rid!r}.")
    if len(found) > 1:
        raise RunNotFound(f"Several runs have ids starting with {rid!r}; give more characters.")
    return found[0]


_first = itemgetter(0)


def _raw_rows(s: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """All rows of a Core select as plain DBAPI tuples (no Row objects: listing 10,000 runs
    fetches some 100,000 rows). Only for columns the driver returns as Python values as-is."""
    result = s.execute(stmt)
    try:
        return list(result.cursor.fetchall())  # type: ignore[attr-defined]
    finally:
        result.close()


def _merge(into: dict[str, dict[str, Any]], rid: str, items: dict[str, Any]) -> None:
    have = into.get(rid)
    if have is None:
        into[rid] = items
    else:
        have.update(items)


def _decoder() -> Any:
    """``json.loads`` with a memo for the many repeated scalar parameter values."""
    memo: dict[str, Any] = {}
    loads = json.loads

    def decode(text: str) -> Any:
        try:
            return memo[text]
        except KeyError:
            pass
        try:
            value = loads(text)
        except ValueError:
            value = text
        if not isinstance(value, (list, dict)):
            memo[text] = value
        return value

    return decode


def _latest_values(group: Iterable[tuple[Any, ...]]) -> dict[str, float]:
    """{key: latest value} of one run's ``metric_latest`` rows (run_id, key, value, nonfinite)."""
    return {
        key: value if nonfinite is None and value is not None else latest_value(value, nonfinite)
        for _, key, value, nonfinite in group
    }


def _by_run(
    s: Session,
    ids: Any,
    columns: tuple[Any, ...],
    items: Callable[[Iterable[tuple[Any, ...]]], dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """{run id: items(its rows)} over a child table's ``columns`` (the run id first), of the
    runs ``ids`` selects (None: every run)."""
    stmt = select(*columns)
    if ids is not None:
        stmt = stmt.where(columns[0].in_(ids))
    out: dict[str, dict[str, Any]] = {}
    for rid, group in groupby(_raw_rows(s, stmt), _first):
        _merge(out, rid, items(group))
    return out


def _runs_query(experiment_id: int | None, run_ids: list[str] | None) -> tuple[Select[Any], Any]:
    """The select of the run rows, newest first, and what selects their ids for the child
    tables (None: every run)."""
    runs: Select[Any] = select(
        run_t.c.id,
        experiment_t.c.name,
        run_t.c.name,
        run_t.c.status,
        run_t.c.started_at,
        run_t.c.ended_at,
        run_t.c.target,
    ).join(experiment_t, experiment_t.c.id == run_t.c.experiment_id)
    ids: Any = None
    if experiment_id is not None:
        runs = runs.where(run_t.c.experiment_id == experiment_id)
        ids = select(run_t.c.id).where(run_t.c.experiment_id == experiment_id)
    if run_ids is not None:
        runs = runs.where(run_t.c.id.in_(run_ids))
        ids = run_ids
    return runs.order_by(run_t.c.started_at.desc(), run_t.c.id), ids


def summaries(
    s: Session, experiment_id: int | None = None, run_ids: list[str] | None = None
) -> list[RunSummary]:
    """Run summaries, newest first, of one experiment, of some runs, or of all."""
    runs, ids = _runs_query(experiment_id, run_ids)
    rows = _raw_rows(s, runs)
    if not rows:
        return []
    decode = _decoder()
    params = _by_run(
        s,
        ids,
        (param_t.c.run_id, param_t.c.key, param_t.c.value),
        lambda group: {key: decode(value) for _, key, value in group},
    )
    tags = _by_run(
        s,
        ids,
        (tag_t.c.run_id, tag_t.c.key, tag_t.c.value),
        lambda group: {key: value for _, key, value in group},
    )
    metrics = _by_run(
        s,
        ids,
        (latest_t.c.run_id, latest_t.c.key, latest_t.c.value, latest_t.c.nonfinite),
        _latest_values,
    )
    return [
        RunSummary(
            rid,
            exp,
            name,
            status,
            started,
            ended,
            target,
            params.get(rid, {}),
            metrics.get(rid, {}),
            tags.get(rid, {}),
        )
        for rid, exp, name, status, started, ended, target in rows
    ]


def running_processes(s: Session) -> list[RunProcess]:
    """The running runs whose tracking client recorded its host and pid."""
    rows = s.execute(
        select(run_t.c.id, run_t.c.name, run_t.c.host, run_t.c.pid).where(
            run_t.c.status == "running", run_t.c.pid.is_not(None), run_t.c.host.is_not(None)
        )
    ).all()
    return [RunProcess(rid, name or "", host, int(pid)) for rid, name, host, pid in rows]


def run_names(s: Session, run_ids: Iterable[str]) -> dict[str, str]:
    """The names of the given runs (unknown ids are left out)."""
    ids = list(set(run_ids))
    if not ids:
        return {}
    rows = s.execute(select(run_t.c.id, run_t.c.name).where(run_t.c.id.in_(ids))).all()
    return {rid: name or rid[:8] for rid, name in rows}
