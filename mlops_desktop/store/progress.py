"""Progress of a fetch from the lab store: the callback's shape, and reading rsync's
``--info=progress2`` lines, which rsync rewrites in place with carriage returns."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO

FetchProgress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) as a fetch goes on; the last call has done == all."""

# "    524,288,000  48%  250.00MB/s    0:00:02 (xfr#1, to-chk=0/1)"
_LINE = re.compile(rb"^\s*([\d,.']+)\s+(\d{1,3})%")


def parse_rsync_progress(line: bytes) -> tuple[int, int] | None:
    """(bytes done, percent of the whole transfer) of one rsync progress line, else None."""
    match = _LINE.match(line)
    if match is None:
        return None
    digits = re.sub(rb"\D", b"", match.group(1))
    return (int(digits), int(match.group(2))) if digits else None


def rsync_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of rsync's stdout as they come, split on carriage returns and newlines."""
    pending = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = re.split(rb"[\r\n]", pending)
        yield from (line for line in lines if line)
    if pending:
        yield pending


def report_rsync(stream: IO[bytes], progress: FetchProgress | None) -> None:
    """Read rsync's stdout to its end, telling ``progress`` the bytes done and the total (the
    total is known from rsync's percentage; a line at 0 % only says nothing came yet)."""
    for line in rsync_lines(stream):
        parsed = parse_rsync_progress(line)
        if parsed is None or progress is None:
            continue
        done, percent = parsed
        if percent >= 100:
            progress(done, done)
        elif percent > 0:
            progress(done, max(done, done * 100 // percent))
