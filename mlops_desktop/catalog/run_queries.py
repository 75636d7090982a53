"""Read queries over runs: Core selects returning tuples, assembled into core dataclasses.

Run summaries (whole and filtered listings) come from :mod:`mlops_desktop.catalog.run_listing`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.run_listing import filtered_summaries, latest_value, summaries
from mlops_desktop.catalog.schema import experiment_t, run_t
from mlops_desktop.catalog.shared_queries import ids_starting_with
from mlops_desktop.core.errors import ExperimentNotFound, RunNotFound
from mlops_desktop.core.hardware import RunProcess
from mlops_desktop.core.runs import Experiment

MIN_PREFIX = 4
__all__ = [
    "experiment_id_of",
    "filtered_summaries",
    "latest_value",
    "list_experiments",
    "resolve_run_id",
    "run_names",
    "running_processes",
    "summaries",
]


def list_experiments(s: Session) -> list[Experiment]:
    """Every experiment, by name, with its count of runs outside the trash."""
    counts = (
        select(
            run_t.c.experiment_id,
            func.count().label("n"),
            func.max(run_t.c.started_at).label("last"),
        )
        .where(run_t.c.deleted_at.is_(None))
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
