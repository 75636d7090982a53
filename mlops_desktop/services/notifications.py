"""Notices built from what the app observes: run ends (ingest), lost jobs (the jobs poll),
idle GPUs under a run (the hardware watch) and monitor alerts (drift checks).

Plain functions (no Qt). The GUI calls :func:`run_end_notices` on a worker thread after an
ingest pass that changed run statuses, :func:`job_notices` after a jobs poll, and hands each
result to its notification centre, which filters them (kinds turned off, repeats, what ended
before the app started, bursts) with a :class:`~mlops_desktop.services.notice_gate.NoticeGate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from mlops_desktop.catalog.run_listing import listed_summaries
from mlops_desktop.catalog.schema import run_t
from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.notices import Notice, NoticeTarget
from mlops_desktop.core.run_changes import IngestChanges
from mlops_desktop.core.runs import RunSummary
from mlops_desktop.services.experiments import ExperimentService

RUN_END_KINDS = {"finished": "run_finished", "failed": "run_failed"}
"""The run statuses that are told, and the notice kind of each (a killed run was stopped on
purpose, by a person or the scheduler's cancel, and is not told)."""


def run_end_key(run_id: str) -> str:
    """The key of every notice about ``run_id``'s end (told once, whoever saw it first)."""
    return f"run-end:{run_id}"


def run_end_notice(run: RunSummary) -> Notice | None:
    """The notice of ``run``'s end, or None when it has not finished or failed."""
    kind = RUN_END_KINDS.get(run.status)
    if kind is None:
        return None
    name = run.name or run.id[:8]
    took = "" if run.duration is None else f" after {_duration_text(run.duration)}"
    verb = "finished" if run.status == "finished" else "failed"
    return Notice(
        kind,
        f"Run {verb}: {name}",
        f"{name} in {run.experiment} {verb}{took}.",
        NoticeTarget("run", run.id),
        run_end_key(run.id),
        run.ended_at,
    )


def run_end_notices(service: ExperimentService, changes: IngestChanges) -> list[Notice]:
    """The notices of the runs whose status one ingest pass changed to finished or failed
    (reads their summaries: call it on a worker thread)."""
    ids = [run_id for run_id, change in changes.runs.items() if change.status or change.new]
    notices = (run_end_notice(run) for run in service.run_summaries(ids))
    return [n for n in notices if n is not None]


def job_notices(jobs: Iterable[JobInfo]) -> list[Notice]:
    """The notices of jobs whose state a poll changed: lost jobs, and the ends of runs that
    only their job reports (a process that died before its run could say so)."""
    out: list[Notice] = []
    for job in jobs:
        name = job.name or job.run_id[:8]
        where = job.target
        if job.state == "lost":
            why = f": {job.detail}" if job.detail else ""
            out.append(
                Notice(
                    "job_lost",
                    f"Job lost: {name}",
                    f"The app lost track of {name} on {where}{why}.",
                    NoticeTarget("job", job.run_id),
                    f"job-lost:{job.run_id}",
                    job.ended_at,
                )
            )
        elif job.state in RUN_END_KINDS:
            failed_code = job.state == "failed" and job.exit_code
            code = f" (exit code {job.exit_code})" if failed_code else ""
            out.append(
                Notice(
                    RUN_END_KINDS[job.state],
                    f"Run {job.state}: {name}",
                    f"{name} on {where} {job.state}{code}.",
                    NoticeTarget("run", job.run_id),
                    run_end_key(job.run_id),
                    job.ended_at,
                )
            )
    return out


def gpu_idle_notice(run_id: str, sentence: str) -> Notice:
    """The notice that a running run's GPUs stay idle (``sentence`` says which and since when;
    the watch noticed it now; told again for each idle spell, which the watch tells once)."""
    return Notice("gpu_idle", "GPUs idle", sentence, NoticeTarget("run", run_id))


def monitor_alert_notice(monitor: str, reason: str, alert_id: int | str) -> Notice:
    """The notice of a monitor's new alert."""
    return Notice(
        "monitor_alert",
        f"Drift alert: {monitor}",
        reason,
        NoticeTarget("monitor", monitor),
        f"alert:{alert_id}",
    )


@dataclass(frozen=True)
class TrayRuns:
    """What the tray shows: how many runs are running, and the newest runs."""

    running: int = 0
    recent: list[RunSummary] = field(default_factory=list)


def tray_runs(service: ExperimentService, limit: int = 5) -> TrayRuns:
    """The count of running runs and the ``limit`` newest runs (runs in the trash left out)."""
    alive = run_t.c.deleted_at.is_(None)
    with service.catalog.session_scope() as s:
        running = s.execute(
            select(func.count()).select_from(run_t).where(alive, run_t.c.status == "running")
        ).scalar_one()
        ids = s.execute(
            select(run_t.c.id).where(alive).order_by(run_t.c.started_at.desc()).limit(limit)
        ).scalars()
        recent = listed_summaries(s, list(ids))
    return TrayRuns(int(running), sorted(recent, key=lambda r: r.started_at, reverse=True))


def _duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec} s" if sec else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
