"""One run of a pipeline at a time, on every desktop sharing the catalog.

A second run of a pipeline while one is going would race it for the same outs in the same
folder. Before a run starts, the runs of that pipeline still "running" are looked at: those of
this machine whose process is gone were ended by the recovery already
(:mod:`.pipeline_recovery`); one that goes on refuses the new run with a sentence naming it,
who started it and where. A run that has gone on for more than a day
(:data:`~mlops_desktop.services.pipeline_triggers.GOING_FOR_AT_MOST_S`) is taken as abandoned
by a desktop that cannot tell anymore, as the triggers take it.
"""

from __future__ import annotations

import time

from mlops_desktop.catalog import pipeline_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import PipelineRunInfo

GOING_FOR_AT_MOST_S = 24 * 3600.0


def going_run(catalog: Catalog, pipeline: str, now: float | None = None) -> PipelineRunInfo | None:
    """The run of ``pipeline`` going now, if any (the newest)."""
    now = time.time() if now is None else now
    with catalog.session_scope() as s:
        running = pipeline_repo.list_pipeline_runs(s, pipeline, limit=1, state="running")
    going = [r for r in running if r.started_at > now - GOING_FOR_AT_MOST_S]
    return going[0] if going else None


def refuse_second_run(catalog: Catalog, pipeline: str, now: float | None = None) -> None:
    """Raise when a run of ``pipeline`` is going.

    Raises:
        PipelineError: "wine-classifier is running already (run 58bb2d8b, started by ana on
            gpu-box 3 min ago); wait for it or cancel it."
    """
    now = time.time() if now is None else now
    run = going_run(catalog, pipeline, now)
    if run is None:
        return
    who = f" by {run.user}" if run.user else ""
    where = f" on {run.host}" if run.host else ""
    raise PipelineError(
        f"{pipeline} is running already (run {run.run_id[:8]}, started{who}{where} "
        f"{ago(now - run.started_at)}); wait for it or cancel it."
    )


def ago(seconds: float) -> str:
    """ "just now", "40 s ago", "3 min ago", "2 h ago", "1 d ago"."""
    seconds = max(0.0, seconds)
    if seconds < 5:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"
