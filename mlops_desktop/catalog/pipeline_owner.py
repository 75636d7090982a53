"""Which process runs a pipeline run: its parent run's ``pid`` and ``machine`` (machine id plus
boot id), so a run whose process died (an app quit or killed mid-run) can be told from one that
still goes, and ended (see ``services/pipeline_recovery.py``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.pipeline_schema import pipeline_run_t
from mlops_desktop.catalog.schema import run_t


def claim_run(s: Session, run_id: str, pid: int, machine: str) -> None:
    """Record that process ``pid`` of ``machine`` runs the pipeline run ``run_id``."""
    s.execute(update(run_t).where(run_t.c.id == run_id).values(pid=pid, machine=machine[:255]))


def running_on(s: Session, machine: str, any_boot: bool) -> list[tuple[str, int, str]]:
    """(pipeline run id, pid, machine) of every pipeline run still "running" that a process
    of ``machine`` runs: exactly that identity, or with ``any_boot`` any ``"<machine>:<boot
    id>"`` (``machine`` is then the machine id alone)."""
    where = (
        run_t.c.machine.startswith(machine + ":", autoescape=True)
        if any_boot
        else run_t.c.machine == machine
    )
    rows = s.execute(
        select(pipeline_run_t.c.run_id, run_t.c.pid, run_t.c.machine)
        .join(run_t, run_t.c.id == pipeline_run_t.c.run_id)
        .where(pipeline_run_t.c.state == "running", where, run_t.c.pid.is_not(None))
    ).all()
    return [(str(run_id), int(pid), str(machine)) for run_id, pid, machine in rows]
