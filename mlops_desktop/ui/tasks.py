"""Background work for the GUI: run ``fn(*args, state=TaskState)`` on a thread pool.

Results, errors and progress come back to the GUI thread through queued signals carrying plain
data (ARCHITECTURE rules 3 and 4). A task checks ``state.cancelled`` and reports progress with
``state.progress(fraction, message)``; progress signals are throttled to about 20 a second.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class TaskCancelled(Exception):
    """Raised inside a task by ``state.check()`` once the task was cancelled."""


class TaskState:
    """Handed to a task function: cancellation flag and throttled progress reports."""

    def __init__(self, emit_progress: Callable[[float, str], None]) -> None:
        self._cancel = threading.Event()
        self._emit = emit_progress
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise :class:`TaskCancelled` if the task was cancelled."""
        if self._cancel.is_set():
            raise TaskCancelled

    def progress(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if fraction >= 1.0 or now - self._last >= 0.05:
            self._last = now
            self._emit(float(fraction), message)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object, str)  # exception, formatted traceback
    progress = Signal(float, str)
    cancelled = Signal()


class TaskHandle(QObject):
    """One submitted task. Connect to its signals; they fire on the GUI thread."""

    done = Signal(object)
    failed = Signal(object, str)
    progress = Signal(float, str)
    cancelled = Signal()
    finished = Signal()  # after done, failed or cancelled

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = TaskState(self._emit_progress)
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.progress.connect(self.progress)
        self._signals.cancelled.connect(self._on_cancelled)
        self.is_finished = False

    def cancel(self) -> None:
        self.state.cancel()

    def _emit_progress(self, fraction: float, message: str) -> None:
        self._signals.progress.emit(fraction, message)

    def _on_done(self, result: object) -> None:
        # A task that returned a result finished its work, even if a cancel came too late to
        # stop it: report what it did (e.g. "v3 registered"), never a cancel that did not happen.
        self.is_finished = True
        self.done.emit(result)
        self.finished.emit()

    def _on_failed(self, exc: object, tb: str) -> None:
        self.is_finished = True
        self.failed.emit(exc, tb)
        self.finished.emit()

    def _on_cancelled(self) -> None:
        self.is_finished = True
        self.cancelled.emit()
        self.finished.emit()


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], handle: TaskHandle) -> None:
        super().__init__()
        self._fn = fn
        self._args = args
        self._state = handle.state
        self._signals = handle._signals  # emitted from the worker, queued to the GUI thread

    def run(self) -> None:
        try:
            result = self._fn(*self._args, state=self._state)
        except TaskCancelled:
            self._signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never swallowed
            self._signals.failed.emit(exc, traceback.format_exc())
        else:
            self._signals.done.emit(result)


def _while_alive(callback: Callable[..., Any]) -> Callable[..., None]:
    """Call ``callback`` only while the widget that asked for the work still exists.

    A result can arrive after its widget was closed: a bound method of a deleted QObject is
    skipped, and a callback (often a lambda) that touches a deleted widget ends quietly.
    """
    owner = getattr(callback, "__self__", None)

    def call(*args: Any) -> None:
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return
        try:
            callback(*args)
        except RuntimeError as exc:
            if "already deleted" not in str(exc):
                raise

    return call


class TaskRunner(QObject):
    """Submits tasks to a private thread pool and keeps their handles alive until they end.

    Signals:
        taskStarted(handle, label): a task submitted with a ``label`` started; the status bar
            shows its progress and offers to cancel it. Unlabelled tasks stay quiet.
    """

    taskStarted = Signal(object, str)

    def __init__(self, max_threads: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._live: set[TaskHandle] = set()

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException, str], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        label: str | None = None,
    ) -> TaskHandle:
        """Run ``fn(*args, state=TaskState)`` on the pool; callbacks run on the GUI thread.

        Args:
            label: a few words for people ("Loading runs"); labelled tasks are announced
                through ``taskStarted`` so the status bar can show them.
        """
        handle = TaskHandle()
        if on_done is not None:
            handle.done.connect(_while_alive(on_done))
        if on_failed is not None:
            handle.failed.connect(_while_alive(on_failed))
        if on_progress is not None:
            handle.progress.connect(_while_alive(on_progress))
        self._live.add(handle)
        handle.finished.connect(lambda h=handle: self._live.discard(h))
        self._pool.start(_Runnable(fn, args, handle))
        if label:
            self.taskStarted.emit(handle, label)
        return handle

    def active_count(self) -> int:
        return len(self._live)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel every task and wait for the pool to drain (at exit only)."""
        for handle in list(self._live):
            handle.cancel()
        return self._pool.waitForDone(timeout_ms)
