"""One polling loop for live work: ingest, jobs and, next, hardware samples.

A :class:`PollingLoop` runs one function on the task runner on a timer, never two at once (a
tick that finds the previous poll still running is skipped), and hands each result to
:meth:`PollingLoop.handle_result` on the GUI thread. Subclasses turn results into their own
signals; a failure is a ``problem`` sentence, announced once until a poll succeeds again, so a
host that stays down does not flood the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner

MIN_INTERVAL_MS = 200


class PollingLoop(QObject):
    """Runs ``fn(*args, state=...)`` on ``runner`` every ``interval_ms``, one poll at a time.

    Signals:
        problem(str): a poll failed (:meth:`describe_failure`); repeated identical failures
            are announced once.
    """

    problem = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        fn: Callable[..., Any],
        *args: Any,
        interval_ms: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._fn = fn
        self._args = args
        self._handle: TaskHandle | None = None
        self._last_failure = ""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self.set_interval_ms(interval_ms)

    @property
    def running(self) -> bool:
        """True while the timer runs."""
        return self._timer.isActive()

    @property
    def in_flight(self) -> bool:
        """True while a poll runs."""
        return self._handle is not None

    def set_interval_ms(self, interval_ms: int) -> None:
        """Change how often to poll (at least every 0.2 s)."""
        self._timer.setInterval(max(MIN_INTERVAL_MS, int(interval_ms)))

    def start(self, poll_now: bool = True) -> None:
        """Start the timer; by default also poll at once."""
        if not self._timer.isActive():
            self._timer.start()
        if poll_now:
            self.poll_now()

    def stop(self) -> None:
        """Stop the timer; a poll in flight ends on its own (the runner waits for it)."""
        self._timer.stop()

    def poll_now(self) -> TaskHandle | None:
        """Start a poll unless one is in flight; returns its handle (None when skipped)."""
        if self._handle is not None:
            return None
        handle = self._runner.submit(
            self._fn, *self._args, on_done=self._on_done, on_failed=self._on_failed
        )
        self._handle = handle
        handle.finished.connect(self._on_finished)
        return handle

    def handle_result(self, result: Any) -> None:
        """Turn a poll's result into signals (subclasses)."""

    def describe_failure(self, failure: Failure) -> str:
        """The sentence announcing a failed poll (subclasses add what was polled)."""
        return str(failure)

    # --- slots ---------------------------------------------------------------------------
    def _on_tick(self) -> None:
        self.poll_now()

    def _on_finished(self) -> None:
        self._handle = None

    def _on_done(self, result: Any) -> None:
        self._last_failure = ""
        self.handle_result(result)

    def _on_failed(self, failure: Failure) -> None:
        text = self.describe_failure(failure)
        if text != self._last_failure:
            self._last_failure = text
            self.problem.emit(text)
