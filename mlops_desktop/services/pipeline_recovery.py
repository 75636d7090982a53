"""Pipeline runs left "running" by a process that is gone (an app that quit mid-run, a killed
``pipelines run``): ended as "failed", saying "the app running it stopped".

A pipeline run records the pid of the process walking it and this machine's identity on its
parent run (:func:`~mlops_desktop.catalog.pipeline_repo.create_pipeline_run`). When pipeline
runs are listed or shown, and before a trigger decides whether a run is going, the runs of this
machine whose process is gone, or is another process that took the same pid later, are ended;
their queued and running stages become "cancelled" (a stage's job that was running goes on by
itself; its run says how it ended). Runs of other machines are left to them.
"""

from __future__ import annotations

import logging

from mlops_desktop.catalog import pipeline_abandoned
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.tracking.machine import machine_identity

log = logging.getLogger(__name__)
STOPPED_DETAIL = "the app running it stopped"
CLOCK_SLACK_S = 2.0  # a process created this long after the run started is another one


def process_runs_since(pid: int, started_at: float) -> bool:
    """Whether ``pid`` is alive (not a zombie) and was created before ``started_at``."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return bool(process.create_time() <= started_at + CLOCK_SLACK_S)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def end_abandoned_runs(catalog: Catalog) -> list[str]:
    """End each running pipeline run of this machine whose process is gone; their ids.

    A catalog this desktop may not change is only read (nothing is ended).
    """
    with catalog.session_scope() as s:
        running = pipeline_abandoned.running_on(s, machine_identity())
    gone = [run_id for run_id, pid, at in running if not process_runs_since(pid, at)]
    access = getattr(catalog, "access", None)
    if not gone or (access is not None and not access.writable):
        return []
    ended = []
    with catalog.session_scope(write=True) as s:
        for run_id in gone:
            if pipeline_abandoned.end_abandoned(s, run_id, STOPPED_DETAIL):
                ended.append(run_id)
    for run_id in ended:
        log.warning("pipeline run %s: %s; ended as failed", run_id, STOPPED_DETAIL)
    return ended
