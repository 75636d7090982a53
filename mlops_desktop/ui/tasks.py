"""Background work for the GUI: run ``fn(*args, state=TaskState)`` on a thread pool.

Results, failures and progress come back to the GUI thread through queued signals carrying plain
data (ARCHITECTURE rules 3 and 4). A task checks ``state.cancelled`` (or calls ``state.check()``)
and reports progress with ``state.progress(fraction, message)``; progress signals are throttled
to about 20 a second. Every failure reaches ``on_failed`` as a :class:`Failure`, and every bug is
written to the app's log by the runner's :class:`FailureReporter` before any widget sees it.

"The latest request wins" lives here, not in each widget: a task submitted with a ``key``
cancels the task of the same key that is still running and drops its results (a new selection,
a new filter); :meth:`TaskRunner.submit_when_idle` instead lets the running one finish and then
runs the newest request made meanwhile, once (live reloads that must not pile up).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from mlops_desktop.ui.failures import Failure, FailureReporter, where_of

DoneCallback = Callable[[Any], None]
FailedCallback = Callable[[Failure], None]
ProgressCallback = Callable[[float, str], None]


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
    failed = Signal(object)  # Failure
    progress = Signal(float, str)
    cancelled = Signal()


class TaskHandle(QObject):
    """One submitted task. Connect to its signals; they fire on the GUI thread.

    Signals:
        done(object): the task's result.
        failed(Failure): the task raised (bugs are already in the log).
        progress(float, str): fraction done and a message.
        cancelled(): the task was cancelled, or superseded by a newer request of its key.
        finished(): after done, failed or cancelled.
    """

    done = Signal(object)
    failed = Signal(object)
    progress = Signal(float, str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = TaskState(self._emit_progress)
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.progress.connect(self.progress)
        self._signals.cancelled.connect(self._on_cancelled)
        self.is_finished = False
        self.superseded = False

    def cancel(self) -> None:
        self.state.cancel()

    def supersede(self) -> None:
        """Cancel the task and drop whatever it still delivers (a newer request wins)."""
        self.superseded = True
        self.cancel()

    def _emit_progress(self, fraction: float, message: str) -> None:
        if not self.superseded:
            self._signals.progress.emit(fraction, message)

    def _on_done(self, result: object) -> None:
        # A task that returned a result finished its work, even if a cancel came too late to
        # stop it: report what it did (e.g. "v3 registered"), never a cancel that did not happen.
        self.is_finished = True
        if self.superseded:
            self.cancelled.emit()
        else:
            self.done.emit(result)
        self.finished.emit()

    def _on_failed(self, failure: Failure) -> None:
        self.is_finished = True
        if self.superseded:
            self.cancelled.emit()
        else:
            self.failed.emit(failure)
        self.finished.emit()

    def _on_cancelled(self) -> None:
        self.is_finished = True
        self.cancelled.emit()
        self.finished.emit()


class _Runnable(QRunnable):
    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        handle: TaskHandle,
        reporter: FailureReporter,
        where: str,
    ) -> None:
        super().__init__()
        self._fn = fn
        self._args = args
        self._state = handle.state
        self._signals = handle._signals  # emitted from the worker, queued to the GUI thread
        self._reporter = reporter
        self._where = where

    def run(self) -> None:
        try:
            result = self._fn(*self._args, state=self._state)
        except TaskCancelled:
            self._signals.cancelled.emit()
        except BaseException as exc:  # reported (bugs logged), never swallowed
            failure = self._reporter.report(exc, self._where, traceback.format_exc())
            self._signals.failed.emit(failure)
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


@dataclass
class _Request:
    """A request waiting for the running task of its key (``submit_when_idle``)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    on_done: DoneCallback | None
    on_failed: FailedCallback | None
    on_progress: ProgressCallback | None
    label: str | None


class TaskRunner(QObject):
    """Submits tasks to a private thread pool and keeps their handles alive until they end.

    Signals:
        taskStarted(handle, label): a task submitted with a ``label`` started; the status bar
            shows its progress and offers to cancel it. Unlabelled tasks stay quiet.
    """

    taskStarted = Signal(object, str)

    def __init__(
        self,
        max_threads: int = 4,
        reporter: FailureReporter | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._live: set[TaskHandle] = set()
        self._by_key: dict[Hashable, TaskHandle] = {}
        self._queued: dict[Hashable, _Request] = {}
        self.reporter = reporter if reporter is not None else FailureReporter(self)

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        key: Hashable | None = None,
        on_done: DoneCallback | None = None,
        on_failed: FailedCallback | None = None,
        on_progress: ProgressCallback | None = None,
        label: str | None = None,
    ) -> TaskHandle:
        """Run ``fn(*args, state=TaskState)`` on the pool; callbacks run on the GUI thread.

        Args:
            key: with a key (e.g. ``(self, "runs")``), the latest request wins: a task of the
                same key still running is cancelled and its results dropped, and a request
                waiting through :meth:`submit_when_idle` is forgotten.
            on_failed: gets a :class:`Failure`; ``str(failure)`` is the sentence to show.
            label: a few words for people ("Loading runs"); labelled tasks are announced
                through ``taskStarted`` so the status bar can show them, and name the work
                in the log when it fails.
        """
        if key is not None:
            self._queued.pop(key, None)
            running = self._by_key.get(key)
            if running is not None:
                running.supersede()
        handle = TaskHandle()
        if on_done is not None:
            handle.done.connect(_while_alive(on_done))
        if on_failed is not None:
            handle.failed.connect(_while_alive(on_failed))
        if on_progress is not None:
            handle.progress.connect(_while_alive(on_progress))
        self._live.add(handle)
        if key is not None:
            self._by_key[key] = handle
        handle.finished.connect(lambda h=handle, k=key: self._on_finished(h, k))
        self._pool.start(_Runnable(fn, args, handle, self.reporter, where_of(fn, label)))
        if label:
            self.taskStarted.emit(handle, label)
        return handle

    def submit_when_idle(
        self,
        key: Hashable,
        fn: Callable[..., Any],
        *args: Any,
        on_done: DoneCallback | None = None,
        on_failed: FailedCallback | None = None,
        on_progress: ProgressCallback | None = None,
        label: str | None = None,
        deliver_stale: bool = True,
    ) -> TaskHandle | None:
        """Start now when no task of ``key`` runs; else run this request after it, once.

        Of the requests made while a task of ``key`` runs, only the newest runs, after it.

        Args:
            deliver_stale: the running task still delivers its results (a live reload: some
                answer now beats none); False drops them, as they may predate what the
                waiting request was made for (a check for changes after a change).

        Returns:
            The new handle, or None when the request waits.
        """
        running = self._by_key.get(key)
        if running is not None:
            self._queued[key] = _Request(fn, args, on_done, on_failed, on_progress, label)
            if not deliver_stale:
                running.supersede()
            return None
        return self.submit(
            fn,
            *args,
            key=key,
            on_done=on_done,
            on_failed=on_failed,
            on_progress=on_progress,
            label=label,
        )

    def is_busy(self, key: Hashable) -> bool:
        """True while a task of ``key`` runs or waits to run."""
        return key in self._by_key or key in self._queued

    def cancel(self, key: Hashable) -> None:
        """Cancel the task of ``key`` (its results are dropped) and forget a waiting request."""
        self._queued.pop(key, None)
        running = self._by_key.get(key)
        if running is not None:
            running.supersede()

    def active_count(self) -> int:
        return len(self._live)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel every task and wait for the pool to drain (at exit only)."""
        self._queued.clear()
        for handle in list(self._live):
            handle.cancel()
        return self._pool.waitForDone(timeout_ms)

    def _on_finished(self, handle: TaskHandle, key: Hashable | None) -> None:
        self._live.discard(handle)
        if key is None or self._by_key.get(key) is not handle:
            return
        del self._by_key[key]
        request = self._queued.pop(key, None)
        if request is not None:
            self.submit(
                request.fn,
                *request.args,
                key=key,
                on_done=request.on_done,
                on_failed=request.on_failed,
                on_progress=request.on_progress,
                label=request.label,
            )
