"""A run's error as one line: from the error its writer stored, or from the end of its log.

The tracking client stores a whole traceback when a script raises; the launcher stores
"exit code 1" or "killed by signal 9" when the process it ran fails. People want the line that
says what went wrong (``ValueError: lr must be positive``), so a traceback is read for its last
exception line, and a launcher's bare exit code is completed by the log's last such line.
"""

from __future__ import annotations

import re

LOG_TAIL_BYTES = 64 * 1024
"""How much of the end of a log is searched for the error."""

FAILED_STATUSES = ("failed", "killed")
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Warning)\b.*")
_BARE_EXIT = re.compile(r"^(exit code -?\d+|killed by (signal \d+|SIG\w+)( \(exit code -?\d+\))?)$")
MAX_LINE = 300


def _short(line: str) -> str:
    line = line.strip()
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def last_error_line(text: str) -> str | None:
    """The last exception line of ``text``: the line ending its last traceback, else the last
    line that reads like ``SomeError: message``; None when there is none."""
    lines = text.splitlines()
    start = next(
        (i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith(_TRACEBACK)), None
    )
    if start is not None:
        for line in lines[start + 1 :]:
            if line.strip() and not line[:1].isspace():
                return _short(line)
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line.strip()):
            return _short(line)
    return None


def run_error(stored: str | None, status: str, log_tail: str = "") -> str | None:
    """A run's error in one line, or None when it has none.

    Args:
        stored: the error the run's writer stored (a traceback, a sentence, or None).
        status: the run's status; the log is read only for failed and killed runs.
        log_tail: the end of the run's log (see :data:`LOG_TAIL_BYTES`).
    """
    summary = None
    if stored and stored.strip():
        summary = last_error_line(stored) or _short(stored.strip().splitlines()[-1])
    if status not in FAILED_STATUSES:
        return summary
    from_log = last_error_line(log_tail) if log_tail else None
    if summary is None:
        return from_log
    if from_log and _BARE_EXIT.match(summary):
        return f"{from_log} ({summary})"
    return summary
