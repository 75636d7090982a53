"""The app's own log: ``HOME/logs/app.log``, rotating, where every bug lands with its traceback.

The GUI and the command line both call :func:`setup_logging` once they know the home; from then
on records of the ``mlops_desktop`` loggers at INFO and above go to the file. A bug (any
exception that is not a :class:`~mlops_desktop.core.errors.UserFacingError`) is written with
:func:`log_bug`, so the person sees a short sentence and the log keeps the traceback. Standard
library only; no Qt.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_DIRNAME = "logs"
LOG_FILENAME = "app.log"
MAX_BYTES = 2_000_000
BACKUP_COUNT = 3
ROOT_LOGGER = "mlops_desktop"
_FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"

_log = logging.getLogger(__name__)


def log_path(home: Path) -> Path:
    """Where the app's log of ``home`` is written."""
    return Path(home) / LOG_DIRNAME / LOG_FILENAME


class _AppLogHandler(logging.handlers.RotatingFileHandler):
    """The file handler :func:`setup_logging` installs (recognised when called again)."""


def setup_logging(home: Path) -> Path | None:
    """Write the app's log records to ``HOME/logs/app.log`` (rotating at 2 MB, 3 kept).

    Calling it again with another home moves the log there; with the same home it does nothing.
    A home where no log can be written (read-only, full disk) leaves logging to stderr only and
    returns None: a log is never a reason not to start.
    """
    path = log_path(home)
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, _AppLogHandler):
            if Path(handler.baseFilename) == path.absolute():
                return path
            logger.removeHandler(handler)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _AppLogHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("Cannot write the app's log in %s: %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(logging.INFO)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return path


def current_log_path() -> Path | None:
    """The file :func:`setup_logging` writes to now, or None before it was called."""
    for handler in logging.getLogger(ROOT_LOGGER).handlers:
        if isinstance(handler, _AppLogHandler):
            return Path(handler.baseFilename)
    return None


def log_bug(exc: BaseException, where: str, traceback_text: str | None = None) -> None:
    """Write a bug with its traceback to the app's log.

    Args:
        exc: the exception.
        where: what was going on, for people ("loading runs", "the ``runs list`` command").
        traceback_text: the formatted traceback when ``exc`` was caught on another thread
            (its ``__traceback__`` may be gone by now); None uses the exception's own.
    """
    if traceback_text:
        _log.error("Internal error while %s: %r\n%s", where, exc, traceback_text.rstrip())
    else:
        _log.error(
            "Internal error while %s: %r", where, exc, exc_info=(type(exc), exc, exc.__traceback__)
        )


def bug_sentence(exc: BaseException, where: str, home_log: Path | None = None) -> str:
    """The short message a person sees for a bug: what failed and where the details are."""
    path = home_log or current_log_path()
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    place = f" The details are in {path}." if path is not None else ""
    return f"Internal error while {where} ({detail}).{place} Please report it."


def log_env_summary() -> None:
    """One INFO line about this process (version, Python, platform) at the start of a session."""
    import platform
    import sys

    from mlops_desktop import __version__

    _log.info(
        "MLOps Desktop %s, Python %s on %s (pid %d)",
        __version__,
        sys.version.split()[0],
        platform.platform(),
        os.getpid(),
    )
