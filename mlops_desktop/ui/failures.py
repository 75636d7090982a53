"""One way to fail: every error of the GUI becomes a :class:`Failure`, and every bug is logged.

A :class:`~mlops_desktop.core.errors.UserFacingError` (a locked catalog, a malformed filter, an
unknown host) is the person's to act on: its sentence is shown where they acted. Anything else
is a bug: :class:`FailureReporter` writes it with its traceback to ``HOME/logs/app.log`` and
announces it through ``bugReported``, so the status bar can say so and offer to open the log.
The task runner reports every failed task here; :meth:`FailureReporter.install` also routes
uncaught exceptions (``sys.excepthook``, ``threading.excepthook``) and Qt's own warnings here.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from PySide6.QtCore import QMessageLogContext, QObject, QtMsgType, Signal, qInstallMessageHandler

from mlops_desktop.app_log import bug_sentence, log_bug
from mlops_desktop.core.errors import UserFacingError

_log = logging.getLogger(__name__)
_qt_log = logging.getLogger("mlops_desktop.qt")


@dataclass(frozen=True)
class Failure:
    """Why a piece of work did not end well, ready to be shown.

    ``str(failure)`` is the sentence for people: the error's own message for a user's error,
    or a short "internal error … see the log" for a bug (whose traceback is in the log).

    Attributes:
        exc: the exception.
        traceback: its formatted traceback.
        where: what was going on, for people ("loading runs").
    """

    exc: BaseException
    traceback: str = ""
    where: str = "working in the background"
    message: str = field(default="", compare=False)

    @property
    def is_bug(self) -> bool:
        """True unless the error is one a person caused or can fix."""
        return not isinstance(self.exc, UserFacingError)

    def __str__(self) -> str:
        return self.message or (str(self.exc) if not self.is_bug else repr(self.exc))


def failure_of(exc: BaseException, where: str, traceback_text: str = "") -> Failure:
    """The :class:`Failure` of ``exc``; a bug is written to the app's log with its traceback."""
    tb = traceback_text or "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, UserFacingError):
        return Failure(exc, tb, where, str(exc))
    log_bug(exc, where, tb)
    return Failure(exc, tb, where, bug_sentence(exc, where))


class FailureReporter(QObject):
    """Turns exceptions into :class:`Failure` objects and announces the bugs among them.

    Signals:
        bugReported(Failure): a bug was logged (on the GUI thread).
    """

    bugReported = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._previous_hooks: tuple[Any, Any] | None = None
        self._previous_qt_handler: Callable[..., Any] | None = None
        self._qt_installed = False

    def report(self, exc: BaseException, where: str, traceback_text: str = "") -> Failure:
        """The failure of ``exc``; a bug is logged and announced. Safe from any thread."""
        failure = failure_of(exc, where, traceback_text)
        if failure.is_bug:
            self.bugReported.emit(failure)  # queued to the GUI thread when called elsewhere
        return failure

    # --- process-wide hooks --------------------------------------------------------------
    def install(self, qt_messages: bool = True) -> None:
        """Route uncaught exceptions (any thread) and, optionally, Qt's messages here."""
        if self._previous_hooks is None:
            self._previous_hooks = (sys.excepthook, threading.excepthook)
            sys.excepthook = self._excepthook
            threading.excepthook = self._thread_excepthook
        if qt_messages and not self._qt_installed:
            self._previous_qt_handler = qInstallMessageHandler(self._qt_message)
            self._qt_installed = True

    def uninstall(self) -> None:
        """Put back the hooks :meth:`install` replaced."""
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks
            self._previous_hooks = None
        if self._qt_installed:
            qInstallMessageHandler(self._previous_qt_handler)
            self._previous_qt_handler = None
            self._qt_installed = False

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        text = "".join(traceback.format_exception(kind, exc, tb))
        self.report(exc, "handling an event", text)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        text = "".join(
            traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        )
        self.report(args.exc_value, f"running {name}", text)

    def _qt_message(self, kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        level = {
            QtMsgType.QtDebugMsg: logging.DEBUG,
            QtMsgType.QtInfoMsg: logging.INFO,
            QtMsgType.QtWarningMsg: logging.WARNING,
            QtMsgType.QtCriticalMsg: logging.ERROR,
            QtMsgType.QtFatalMsg: logging.CRITICAL,
        }.get(kind, logging.WARNING)
        where = f" ({context.file}:{context.line})" if context.file else ""
        _qt_log.log(level, "Qt: %s%s", message, where)
        if self._previous_qt_handler is not None:
            self._previous_qt_handler(kind, context, message)
        elif level >= logging.WARNING:
            print(f"Qt: {message}", file=sys.stderr)


def where_of(fn: Callable[..., Any], label: str | None) -> str:
    """What a task was doing, for people: its label, else its function's name in words."""
    if label:
        return label[0].lower() + label[1:]
    name = getattr(fn, "__name__", "") or "background work"
    return name.strip("_").replace("_", " ") or "background work"
