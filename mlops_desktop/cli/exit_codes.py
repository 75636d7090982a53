"""The exit statuses of ``mlops-desktop``: one convention for every command, told in --help."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a command's exit status tells a script."""

    OK = 0
    """It did what was asked."""
    BUG = 1
    """An internal error: one sentence on stderr names the log file that holds the traceback."""
    USER_ERROR = 2
    """A mistake in the command or its environment (a wrong name, a malformed filter, a locked
    catalog, an unreachable host, a usage error): one sentence on stderr says what to do."""
    FAILED = 3
    """The command did its part but the work it ran failed: a pipeline run with a failed
    stage (its document and text say which, with the stage's log)."""
    INTERRUPTED = 130
    """Interrupted with Ctrl-C (128 + SIGINT); ``jobs logs --follow`` stops, the job runs on."""


EXIT_STATUS_HELP = """\
exit status:
  0    success
  1    internal error (a bug): one sentence on stderr; the traceback is in HOME/logs/app.log
  2    a mistake in the command or its environment: one sentence on stderr says what to do
  3    the work ran and failed (a pipeline stage): the output says which and why
  130  interrupted (Ctrl-C)"""
"""The epilog of ``mlops-desktop --help``."""
