"""A launched run's row before its launcher's ``start`` event arrives, and its end when the
job ends without one.

``launch`` records the run as ``queued`` (its id, experiment, name, command, target) before it
returns, so every command and view finds it at once; the ingester turns it ``running`` when
the start event arrives (:mod:`mlops_desktop.catalog.writes`). A job that ends while its run is
still queued (cancelled in the queue, a launcher that never started), or a mirrored run whose
job ended without its end event arriving, is ended here from the job's state; an end event that
arrives later still wins.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.schema import run_t
from mlops_desktop.catalog.upsert import insert_ignore
from mlops_desktop.catalog.writes import experiment_id, next_color_index
from mlops_desktop.core.runs import RunStatus

QUEUED = RunStatus.QUEUED.value
# the run status a job's end leaves: a cancel is "killed", as the launcher records it
RUN_STATUS_OF_JOB = {"cancelled": "killed", "failed": "failed", "lost": "killed"}


def insert_queued_run(
    s: Session,
    run_id: str,
    experiment: str,
    name: str,
    command: str,
    cwd: str,
    target: str,
    at: float,
    user: str | None = None,
    parent_run_id: str | None = None,
) -> None:
    """Record a launched run as queued (a write session; nothing when it exists already);
    ``user`` launched it (the start event's user, where the run runs, replaces it);
    ``parent_run_id``: the run it is a child of (a pipeline run, for its stages)."""
    exp_id = experiment_id(s, experiment)
    row = {
        "id": run_id,
        "experiment_id": exp_id,
        "color_index": next_color_index(exp_id),
        "name": name,
        "status": QUEUED,
        "started_at": at,
        "target": target,
        "command": command,
        "cwd": cwd,
        "user": user or None,
        "notes": "",
        "has_start": False,
    }
    if parent_run_id:
        row["parent_run_id"] = parent_run_id
    insert_ignore(s, run_t, row, ["id"])


def end_run_of_job(
    s: Session, run_id: str, job_state: str, ended_at: float, detail: str, mirrored: bool
) -> bool:
    """End the run of a job that ended ``job_state`` if it is still queued (or, for a
    ``mirrored`` run whose liveness only the job knows, still running); True when it did."""
    status = RUN_STATUS_OF_JOB.get(job_state)
    if status is None:
        return False
    waiting = [QUEUED, RunStatus.RUNNING.value] if mirrored else [QUEUED]
    done: Any = s.execute(  # a CursorResult: rowcount
        update(run_t)
        .where(run_t.c.id == run_id, run_t.c.status.in_(waiting))
        .values(status=status, ended_at=ended_at, error=detail or None)
    )
    return bool(done.rowcount)
