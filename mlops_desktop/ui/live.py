"""The app's live loops, each a :class:`PollingLoop`: spool ingest and launched jobs."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.errors import CatalogNotWritable
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.experiments import (
    ExperimentService,
    IngestReport,
    ingest_blocked_sentence,
)
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.polling import PollingLoop
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState

JOBS_INTERVAL_MS = 1000


def ingest_spools(service: ExperimentService, *, state: TaskState) -> IngestReport:
    """Move new spool events into the catalog (one pass)."""
    return service.ingest()


def refresh_jobs(service: JobService, *, state: TaskState) -> tuple[list[JobInfo], list[JobInfo]]:
    """Poll the active jobs (ssh and Slurm calls happen here), then list every job."""
    changed = service.refresh()
    return list(changed), list(service.jobs())


class IngestLoop(PollingLoop):
    """Ingests local spools every few seconds on the runner.

    Signals:
        runsChanged(frozenset[str]): runs that got new events (new runs included).
        newRuns(frozenset[str]): runs seen for the first time.
        changes(IngestChanges): per changed run, the keys stored and each metric key's new
            sequence range (after ``newRuns`` and ``runsChanged``).
        ingested(float): an ingest pass ended at this time (seconds since the epoch).
        problem(str): a sentence for the status bar (skipped spool lines, a failed poll).
    """

    runsChanged = Signal(object)
    newRuns = Signal(object)
    changes = Signal(object)
    ingested = Signal(float)

    def __init__(
        self,
        service: ExperimentService,
        runner: TaskRunner,
        interval_s: float,
        parent: QObject | None = None,
    ) -> None:
        interval_ms = round(interval_s * 1000)
        super().__init__(runner, ingest_spools, service, interval_ms=interval_ms, parent=parent)
        self.last_ingest_at: float | None = None
        self.stepped_aside = ""  # why ingest never runs (a catalog that takes no writes)

    def step_aside(self, reason: str) -> None:
        """Never ingest from now on: the catalog takes no writes (``reason`` says why)."""
        self.stepped_aside = reason
        self.stop()

    def start(self, poll_now: bool = True) -> None:
        if not self.stepped_aside:
            super().start(poll_now)

    def poll_now(self) -> TaskHandle | None:
        return None if self.stepped_aside else super().poll_now()

    def set_interval(self, seconds: float) -> None:
        """Change how often to ingest (at least every 0.2 s)."""
        self.set_interval_ms(round(seconds * 1000))

    def ingest_now(self) -> TaskHandle | None:
        """Start a pass unless one is in flight; returns its handle (None when skipped)."""
        return self.poll_now()

    def handle_result(self, result: IngestReport) -> None:
        self.last_ingest_at = time.time()
        self.ingested.emit(self.last_ingest_at)
        if result.new_runs:
            self.newRuns.emit(frozenset(result.new_runs))
        if result.changed_runs:
            self.runsChanged.emit(frozenset(result.changed_runs))
        if result.changes:
            self.changes.emit(result.changes)
        if result.problems:
            more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
            self.problem.emit(f"Ingest skipped data: {result.problems[0]}{more}")

    def describe_failure(self, failure: Failure) -> str:
        if isinstance(failure.exc, CatalogNotWritable):  # a full disk: said once, not a bug
            return ingest_blocked_sentence(failure.exc)
        return f"Ingest failed: {failure}"


class JobsLoop(PollingLoop):
    """Refreshes the launched jobs every second on the runner.

    Signals:
        jobsListed(list[JobInfo]): every job, newest first, after a refresh.
        jobsChanged(list[JobInfo]): jobs whose state changed in that refresh (only when some).
        problem(str): a sentence for the status bar (a failed refresh, once until one succeeds).
    """

    jobsListed = Signal(object)
    jobsChanged = Signal(object)

    def __init__(
        self,
        service: JobService,
        runner: TaskRunner,
        interval_ms: int = JOBS_INTERVAL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(runner, refresh_jobs, service, interval_ms=interval_ms, parent=parent)

    def refresh_now(self) -> TaskHandle | None:
        """Start a refresh unless one is in flight; returns its handle (None when skipped)."""
        return self.poll_now()

    def handle_result(self, result: tuple[list[JobInfo], list[JobInfo]]) -> None:
        changed, jobs = result
        self.jobsListed.emit(jobs)
        if changed:
            self.jobsChanged.emit(changed)

    def describe_failure(self, failure: Failure) -> str:
        return f"Cannot refresh jobs: {failure}"
