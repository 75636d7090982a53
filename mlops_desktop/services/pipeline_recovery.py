"""Ending the pipeline runs whose process died before they did.

A pipeline run is walked by the process that started it (the app, or ``pipelines run``). When
that process is gone (quit, killed, the machine rebooted) and the run is still "running", nobody
will record its stages: it is ended "failed", its stages still waiting or running are
"cancelled", and the jobs they left running are cancelled (their outs would not be recorded).
Only runs of this machine are judged (a pid means nothing elsewhere); a pid that another
process took since keeps its run going (the safe side).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace

from mlops_desktop.catalog import pipeline_owner, pipeline_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.compute import TERMINAL_STATES
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.services.compute import JobService
from mlops_desktop.tracking.machine import machine_identity
from mlops_desktop.tracking.procs import process_alive

log = logging.getLogger(__name__)
UNFINISHED = ("queued", "running")


def claim(catalog: Catalog, run_id: str) -> None:
    """Record this process as the one walking the pipeline run ``run_id``."""
    with catalog.session_scope(write=True) as s:
        pipeline_owner.claim_run(s, run_id, os.getpid(), machine_identity())


def end_abandoned(catalog: Catalog, jobs: JobService) -> list[str]:
    """End every pipeline run of this machine whose process is gone (in this boot, or any
    run of an earlier boot); their ids."""
    here = machine_identity()
    by_hostname = here.startswith("host:")  # no machine id: no boot id either
    machine_id = here if by_hostname else here.rpartition(":")[0]
    with catalog.session_scope() as s:
        found = pipeline_owner.running_on(s, machine_id, any_boot=not by_hostname)
    ended = []
    for run_id, pid, machine in found:
        if machine == here and (pid == os.getpid() or process_alive(pid)):
            continue
        _end(catalog, jobs, run_id, pid)
        ended.append(run_id)
    return ended


def _end(catalog: Catalog, jobs: JobService, run_id: str, pid: int) -> None:
    with catalog.session_scope() as s:
        run = pipeline_repo.get_pipeline_run(s, run_id)
    if run is None:  # pragma: no cover - listed just before
        return
    why = f"the process running the pipeline (pid {pid}) ended before the run did"
    now = time.time()
    for position, stage in enumerate(run.stages):
        if stage.state not in UNFINISHED:
            continue
        if stage.run_id is not None:
            try:
                if jobs.get(stage.run_id).state not in TERMINAL_STATES:
                    jobs.cancel(stage.run_id, grace_s=5.0)
            except UserFacingError as exc:
                log.warning("stage %s of pipeline run %s: %s", stage.stage, run_id, exc)
        cancelled = replace(stage, state="cancelled", detail=why, ended_at=now)
        with catalog.session_scope(write=True) as s:
            pipeline_repo.save_stage_run(s, run_id, cancelled, position)
    with catalog.session_scope(write=True) as s:
        pipeline_repo.end_pipeline_run(s, run_id, "failed", now, f"{why}; run it again")
    log.info("pipeline run %s ended: %s", run_id, why)
