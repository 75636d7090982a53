"""Pipeline runs whose process is gone: found by the machine and pid of their parent run,
and ended (:mod:`~mlops_desktop.services.pipeline_recovery` judges which processes are gone).

A pipeline run records, on its parent ``run`` row, the pid of the process walking it and this
machine's identity (machine id plus boot id: :mod:`~mlops_desktop.tracking.machine`), so only
the machine that ran it judges it, and after a reboot every pid of before is gone.
"""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.pipeline_repo import end_pipeline_run
from mlops_desktop.catalog.pipeline_schema import pipeline_run_t, pipeline_stage_run_t
from mlops_desktop.catalog.schema import run_t
from mlops_desktop.core.catalog_changes import PIPELINE

_R, _S = pipeline_run_t.c, pipeline_stage_run_t.c
UNFINISHED_STAGES = ("queued", "running")


def running_on(s: Session, machine: str) -> list[tuple[str, int, float]]:
    """(run id, pid, started at) of each pipeline run still "running" that a process of
    ``machine`` walks."""
    rows = s.execute(
        select(_R.run_id, run_t.c.pid, _R.started_at)
        .join(run_t, run_t.c.id == _R.run_id)
        .where(_R.state == "running", run_t.c.machine == machine, run_t.c.pid.is_not(None))
    ).all()
    return [(str(r[0]), int(r[1]), float(r[2])) for r in rows]


def end_abandoned(s: Session, run_id: str, detail: str, at: float | None = None) -> bool:
    """End a running pipeline run as "failed" with ``detail`` (its parent run's error), and
    its queued or running stages as "cancelled" saying the same; False when it had ended."""
    now = time.time() if at is None else at
    if not end_pipeline_run(s, run_id, "failed", at=now, detail=detail):
        return False
    s.execute(
        update(pipeline_stage_run_t)
        .where(_S.pipeline_run_id == run_id, _S.state.in_(UNFINISHED_STAGES))
        .values(state="cancelled", detail=detail, ended_at=now)
    )
    pipeline = s.execute(select(_R.pipeline).where(_R.run_id == run_id)).scalar_one()
    note_change(s, PIPELINE, [pipeline])
    return True
