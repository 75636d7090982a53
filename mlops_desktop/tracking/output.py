"""Copy what a script prints into its run's ``output.log`` (a tee on sys.stdout/sys.stderr)."""

from __future__ import annotations

import sys
from typing import Any, TextIO


class TeeStream:
    """A text stream that writes to the original stream and, while active, to a log file.

    Attributes it does not define (``encoding``, ``fileno``, ``isatty``, ``buffer``...) come
    from the original stream, so code that inspects ``sys.stdout`` keeps working.
    """

    def __init__(self, stream: TextIO, log: TextIO) -> None:
        self._stream = stream
        self._log: TextIO | None = log

    @property
    def original(self) -> TextIO:
        return self._stream

    def detach_log(self) -> None:
        """Stop copying into the log (the tee then only passes writes through)."""
        self._log = None

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        log = self._log
        if log is not None:
            try:
                log.write(text)
            except (OSError, ValueError, RuntimeError):
                pass  # a log that cannot be written never breaks the script's own output
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()
        log = self._log
        if log is not None:
            try:
                log.flush()
            except (OSError, ValueError, RuntimeError):
                pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class OutputCapture:
    """Installs tees on ``sys.stdout`` and ``sys.stderr`` for one run's log file.

    Args:
        log_path: the run's ``output.log``, opened for appending, line-buffered.
    """

    def __init__(self, log_path: str) -> None:
        self.log_path = log_path
        self.log: TextIO = open(  # noqa: SIM115 - closed in stop()
            log_path, "a", buffering=1, encoding="utf-8", errors="replace"
        )
        self._tees: dict[str, TeeStream] = {}

    def start(self) -> None:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is None:
                continue
            tee = TeeStream(stream, self.log)
            self._tees[name] = tee
            setattr(sys, name, tee)

    def write_log(self, text: str) -> None:
        """Write straight into the log (not to the terminal)."""
        try:
            self.log.write(text)
            self.log.flush()
        except (OSError, ValueError, RuntimeError):
            pass

    def stop(self) -> None:
        """Restore the streams (where nobody replaced our tee since) and close the log."""
        for name, tee in self._tees.items():
            tee.detach_log()
            if getattr(sys, name) is tee:
                setattr(sys, name, tee.original)
        self._tees.clear()
        try:
            self.log.close()
        except (OSError, ValueError, RuntimeError):
            pass
