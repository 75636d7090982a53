"""Live jobs: every second, ``JobService.refresh()`` then ``jobs()`` on a worker, one at a time."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner

INTERVAL_MS = 1000


def refresh_jobs(service: Any, *, state: Any) -> tuple[list[JobInfo], list[JobInfo]]:
    """Poll the active jobs (ssh and Slurm calls happen here), then list every job."""
    changed = service.refresh()
    return list(changed), list(service.jobs())


class JobsLoop(QObject):
    """Starts a refresh on the runner on a timer, never two at once.

    Signals:
        jobsListed(list[JobInfo]): every job, newest first, after a refresh.
        jobsChanged(list[JobInfo]): jobs whose state changed in that refresh (only when some).
        problem(str): a sentence for the status bar; repeated failures are reported once.
    """

    jobsListed = Signal(object)
    jobsChanged = Signal(object)
    problem = Signal(str)

    def __init__(
        self,
        service: Any,
        runner: TaskRunner,
        interval_ms: int = INTERVAL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_tick)
        self._handle: TaskHandle | None = None
        self._last_problem = ""

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def in_flight(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        """Start the timer and refresh at once."""
        if not self._timer.isActive():
            self._timer.start()
        self.refresh_now()

    def stop(self) -> None:
        """Stop the timer; a refresh in flight ends on its own (the runner waits for it)."""
        self._timer.stop()

    def refresh_now(self) -> TaskHandle | None:
        """Start a refresh unless one is in flight; returns its handle (None when skipped)."""
        if self._handle is not None:
            return None
        self._handle = self._runner.submit(
            refresh_jobs, self._service, on_done=self._on_done, on_failed=self._on_failed
        )
        self._handle.finished.connect(self._on_finished)
        return self._handle

    def _on_tick(self) -> None:
        self.refresh_now()

    def _on_finished(self) -> None:
        self._handle = None

    def _on_done(self, result: tuple[list[JobInfo], list[JobInfo]]) -> None:
        changed, jobs = result
        self._last_problem = ""
        self.jobsListed.emit(jobs)
        if changed:
            self.jobsChanged.emit(changed)

    def _on_failed(self, exc: BaseException, _tb: str) -> None:
        if isinstance(exc, UserFacingError):
            text = f"Cannot refresh jobs: {exc}"
        else:
            text = f"Cannot refresh jobs (internal error): {exc!r}"
        if text != self._last_problem:
            self._last_problem = text
            self.problem.emit(text)
