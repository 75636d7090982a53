"""Active runs, and how they end when the process does: atexit, SIGTERM and SIGINT.

* SIGTERM ends every active run as ``killed`` (flushed and fsync'd), then chains to the
  previous handler, or exits with ``128 + signum`` when that was the default.
* SIGINT marks the runs as interrupted and chains to the previous handler (normally raising
  KeyboardInterrupt); a run whose ``with`` block is left by KeyboardInterrupt, or that the
  atexit hook finds interrupted, ends as ``killed``. A script that catches Ctrl-C and goes on
  can still finish its run normally.
* The atexit hook ends runs started without ``with`` and never ended: ``finished``, or
  ``failed`` when the interpreter is exiting on an uncaught exception.

Handlers are installed only from the main thread, and only where the previous handler is not
``SIG_IGN``; they are restored when the last run ends (unless someone replaced them since).
"""

from __future__ import annotations

import atexit
import signal
import sys
import threading
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_desktop.tracking.run import Run

_lock = threading.RLock()
_active: list[Run] = []
_previous: dict[int, Any] = {}
_atexit_installed = False
_deferred_exit: int | None = None
_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), signal.SIGINT) if s is not None)


def active_runs() -> list[Run]:
    """Runs started in this process and not ended yet, oldest first."""
    with _lock:
        return list(_active)


def active_run() -> Run | None:
    """The most recently started run that has not ended, or None."""
    with _lock:
        return _active[-1] if _active else None


def register(run: Run) -> None:
    global _atexit_installed
    with _lock:
        _active.append(run)
        if not _atexit_installed:
            atexit.register(_at_exit)
            _atexit_installed = True
        if threading.current_thread() is threading.main_thread():
            _install_handlers()


def unregister(run: Run) -> None:
    with _lock:
        if run in _active:
            _active.remove(run)
        if not _active and threading.current_thread() is threading.main_thread():
            _restore_handlers()


def exit_if_deferred() -> None:
    """Exit now if a SIGTERM arrived while a run was ending (called by that end)."""
    global _deferred_exit
    signum, _deferred_exit = _deferred_exit, None
    if signum is None or threading.current_thread() is not threading.main_thread():
        return
    for run in reversed(active_runs()):
        run._end_from_signal(f"killed by {signal.Signals(signum).name}")
    previous = _previous.get(signum, signal.SIG_DFL)
    _restore_handlers()
    if callable(previous):
        previous(signum, None)
    else:
        sys.exit(128 + signum)


def _install_handlers() -> None:
    for signum in _SIGNALS:
        if signum in _previous:
            continue
        try:
            current = signal.getsignal(signum)
            if current == signal.SIG_IGN:
                continue
            signal.signal(signum, _on_signal)
        except (ValueError, OSError):
            continue  # not allowed here (embedded interpreter, odd platform)
        _previous[signum] = current


def _restore_handlers() -> None:
    for signum, previous in list(_previous.items()):
        try:
            if signal.getsignal(signum) is _on_signal:
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        except (ValueError, OSError):
            pass
        del _previous[signum]


def _on_signal(signum: int, frame: Any) -> None:
    previous = _previous.get(signum, signal.SIG_DFL)
    runs = active_runs()
    if signum == signal.SIGINT:
        for run in runs:
            run._interrupted = True
    else:
        name = signal.Signals(signum).name
        deferred = False
        for run in reversed(runs):
            deferred |= not run._end_from_signal(f"killed by {name}")
        if deferred:  # the signal came during run.end(): it exits once that end is done
            global _deferred_exit
            _deferred_exit = signum
            return
        _restore_handlers()
    if callable(previous):
        previous(signum, frame)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    sys.exit(128 + signum)


def _exit_reason() -> BaseException | None:
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    return exc if isinstance(exc, BaseException) else None


def _at_exit() -> None:
    exc = _exit_reason()
    for run in reversed(active_runs()):
        try:
            if run._ending:  # an end was interrupted (Ctrl-C during end()): let it finish
                run._spool.close(timeout=10.0)
                unregister(run)
            elif run._interrupted or isinstance(exc, KeyboardInterrupt):
                run.end("killed", error="KeyboardInterrupt")
            elif exc is not None and not isinstance(exc, SystemExit):
                text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                run.end("failed", error=text)
            else:
                run.end("finished")
        except Exception as err:  # never let one run stop the others from ending
            print(f"mlops_desktop: could not end run {run.id}: {err}", file=sys.__stderr__)
