"""Live ingest: every few seconds, move new spool events into the catalog on a worker."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner


def _ingest(service: Any, *, state: Any) -> Any:
    return service.ingest()


class IngestLoop(QObject):
    """Starts ``service.ingest()`` on the runner on a timer, never two at once.

    Signals:
        runsChanged(frozenset[str]): runs that got new events (new runs included).
        newRuns(frozenset[str]): runs seen for the first time.
        ingested(float): an ingest pass ended at this time (seconds since the epoch).
        problem(str): a sentence for the status bar (skipped spool lines, a locked catalog).
    """

    runsChanged = Signal(object)
    newRuns = Signal(object)
    ingested = Signal(float)
    problem = Signal(str)

    def __init__(
        self, service: Any, runner: TaskRunner, interval_s: float, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self._handle: TaskHandle | None = None
        self._stopped = False
        self.last_ingest_at: float | None = None
        self.set_interval(interval_s)

    @property
    def in_flight(self) -> bool:
        return self._handle is not None

    def set_interval(self, seconds: float) -> None:
        """Change how often to ingest (at least every 0.2 s)."""
        self._timer.setInterval(max(200, int(seconds * 1000)))

    def start(self, ingest_now: bool = True) -> None:
        """Start the timer; by default also ingest at once (spools left by killed scripts)."""
        self._stopped = False
        self._timer.start()
        if ingest_now:
            self.ingest_now()

    def stop(self) -> None:
        """Stop the timer; a pass in flight ends on its own (the runner waits for it)."""
        self._stopped = True
        self._timer.stop()

    def ingest_now(self) -> TaskHandle | None:
        """Start a pass unless one is in flight; returns its handle (None when skipped)."""
        if self._handle is not None:
            return None
        self._handle = self._runner.submit(
            _ingest, self._service, on_done=self._on_done, on_failed=self._on_failed
        )
        self._handle.finished.connect(self._on_finished)
        return self._handle

    def _on_tick(self) -> None:
        if not self._stopped:
            self.ingest_now()

    def _on_finished(self) -> None:
        self._handle = None

    def _on_done(self, report: Any) -> None:
        self.last_ingest_at = time.time()
        changed = frozenset(getattr(report, "changed_runs", frozenset()))
        new = frozenset(getattr(report, "new_runs", frozenset()))
        problems = list(getattr(report, "problems", []))
        self.ingested.emit(self.last_ingest_at)
        if new:
            self.newRuns.emit(new)
        if changed:
            self.runsChanged.emit(changed)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.problem.emit(f"Ingest skipped data: {problems[0]}{more}")

    def _on_failed(self, exc: BaseException, tb: str) -> None:
        if isinstance(exc, UserFacingError):
            self.problem.emit(f"Ingest failed: {exc}")
        else:
            self.problem.emit(f"Ingest failed with an internal error: {exc!r}")
