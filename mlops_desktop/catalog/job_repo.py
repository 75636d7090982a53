"""Repository of the ``job`` table: launched runs and their executors' handles.

Every function takes an open session (``Catalog.session_scope``) and returns core dataclasses
(:class:`~mlops_desktop.core.compute.JobInfo`), never ORM rows.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.job_schema import job_t
from mlops_desktop.catalog.shared_queries import ids_starting_with
from mlops_desktop.core.catalog_changes import JOBS
from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo
from mlops_desktop.core.errors import JobError

_J = job_t.c
MIN_PREFIX = 4
# JobInfo fields stored in job columns of the same name, as they are
_AS_STORED = ("run_id", "target", "state", "submitted_at", "started_at", "ended_at", "exit_code")
_UPDATABLE = frozenset(
    {"state", "started_at", "ended_at", "exit_code", "gpus", "handle", "detail", "target"}
)


def insert_job(s: Session, job: JobInfo, spec: dict[str, Any]) -> None:
    """Record a new job (a write session)."""
    s.execute(
        insert(job_t).values(
            **{name: getattr(job, name) for name in _AS_STORED},
            gpus=list(job.gpus),
            command=list(job.command),
            spec=spec,
            handle=dict(job.handle),
            detail=job.detail,
            updated_at=time.time(),
            user=job.user or None,
            host=job.host or None,
        )
    )
    note_change(s, JOBS, [job.run_id])


def update_job(s: Session, run_id: str, **changes: Any) -> None:
    """Change some of a job's fields (state, started_at, ended_at, exit_code, gpus, handle,
    detail) in a write session."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update job fields {sorted(unknown)}")
    s.execute(update(job_t).where(_J.run_id == run_id).values(updated_at=time.time(), **changes))
    note_change(s, JOBS, [run_id])


def _job(row: Row[Any]) -> JobInfo:
    spec = row.spec if isinstance(row.spec, dict) else {}
    return JobInfo(
        **{name: getattr(row, name) for name in _AS_STORED},
        gpus=[int(g) for g in (row.gpus or [])],
        command=[str(c) for c in (row.command or [])],
        experiment=str(spec.get("experiment") or ""),
        name=str(spec.get("name") or ""),
        detail=row.detail or "",
        handle=dict(row.handle or {}),
        user=row.user,
        host=row.host,
    )


def get_job(s: Session, run_id: str) -> JobInfo | None:
    row = s.execute(select(job_t).where(_J.run_id == run_id)).first()
    return None if row is None else _job(row)


def get_spec(s: Session, run_id: str) -> dict[str, Any]:
    """The RunSpec fields a job was launched with ({} for an unknown job)."""
    spec = s.execute(select(_J.spec).where(_J.run_id == run_id)).scalar()
    return dict(spec) if isinstance(spec, dict) else {}


def resolve_job_id(s: Session, ref: str) -> str:
    """The run id of the one job whose id is ``ref`` or starts with it (JobError otherwise)."""
    ref = ref.strip()
    if s.execute(select(_J.run_id).where(_J.run_id == ref)).first() is not None:
        return ref
    if len(ref) < MIN_PREFIX:
        raise JobError(f"No job has the id {ref!r} (give at least {MIN_PREFIX} characters).")
    found = ids_starting_with(s, _J.run_id, ref)
    if not found:
        raise JobError(f"No job has the id {ref!r}; `mlops-desktop jobs list --all` shows them.")
    if len(found) > 1:
        raise JobError(f"{ref!r} matches several jobs; give more of the run id.")
    return found[0]


def list_jobs(s: Session, active_only: bool = False, limit: int | None = None) -> list[JobInfo]:
    """Jobs, newest first; ``active_only`` leaves out finished, failed, cancelled and lost."""
    query = select(job_t).order_by(_J.submitted_at.desc(), _J.run_id)
    if active_only:
        query = query.where(_J.state.not_in(sorted(TERMINAL_STATES)))
    if limit is not None:
        query = query.limit(limit)
    return [_job(row) for row in s.execute(query)]
