"""The spool format: an append-only file of JSON lines, one event per line.

Every line is a JSON object with at least::

    {"v": 1, "type": "...", "run": "<run id>", "seq": <first sequence number>, "n": <count>}

A line takes the sequence numbers ``seq .. seq + n - 1`` of its run; a metrics line carries
``n`` points, every other line ``n == 1``. Sequence numbers of one run increase strictly from
line to line, so an ingester that remembers the highest one it stored can replay a spool any
number of times without duplicating anything.

Event types and their fields (besides the common ones):

``start``    experiment, name, started_at, command, cwd, pid, host, target
``env``      env (dict: python, platform, hostname, cpu, gpus, packages, argv), git (dict or null)
``params``   params: {key: JSON value}
``tags``     tags: {key: str}
``metrics``  cols: {key: [[step, ...], [timestamp, ...], [value, ...]]}; n = number of points
             (the reader hands cols out as (array("q"), array("d"), array("d")) tuples)
``artifact`` name, digest ("sha256:<hex>"), size
``dataset``  name, version (str or null), path (str or null), at (epoch seconds; optional)
``end``      status ("finished" | "failed" | "killed"), ended_at, error (str or null)

NaN and +/-Infinity are written as JSON's ``NaN``/``Infinity`` extension (Python's default).
A torn last line (the writer was killed mid-write) is not consumed: the reader stops before it
and will read it once it is complete. A complete line that is not a valid event is skipped and
reported as a problem, never raised.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1
EVENT_TYPES = frozenset({"start", "env", "params", "tags", "metrics", "artifact", "dataset", "end"})
END_STATUSES = frozenset({"finished", "failed", "killed"})

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode


def encode_event(event: dict[str, Any]) -> bytes:
    """One event as a spool line (UTF-8, newline-terminated)."""
    return (_dumps(event) + "\n").encode("utf-8")


@dataclass
class SpoolRead:
    """What one pass over a spool found.

    Attributes:
        events: valid events in file order.
        end_offset: byte offset just after the last complete line; resume from here.
        problems: one sentence per skipped line.
        torn_bytes: size of an incomplete last line left for a later read.
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    end_offset: int = 0
    problems: list[str] = field(default_factory=list)
    torn_bytes: int = 0


def _check_metrics(event: dict[str, Any]) -> str | None:
    """Validate a metrics event and turn its columns into ``array`` objects in place.

    After this, ``event["cols"][key]`` is ``(array('q') steps, array('d') timestamps,
    array('d') values)``: the conversion in C is also the type check, which keeps ingest fast.
    """
    cols = event.get("cols")
    if not isinstance(cols, dict):
        return "metrics event without a 'cols' object"
    total = 0
    for key, col in cols.items():
        if not isinstance(col, list) or len(col) != 3:
            return f"metric {key!r} is not [steps, timestamps, values]"
        try:
            steps = array("q", col[0])
            times = array("d", col[1])
            values = array("d", col[2])
        except (TypeError, OverflowError, ValueError):
            return f"metric {key!r} holds a non-numeric or out-of-range value"
        if not len(steps) == len(times) == len(values):
            return f"metric {key!r} has columns of different lengths"
        cols[key] = (steps, times, values)
        total += len(values)
    if total != event["n"]:
        return f"metrics event says n={event['n']} but holds {total} points"
    return None


def validate_event(event: Any) -> str | None:
    """Why ``event`` is not a valid spool event, or None when it is."""
    if not isinstance(event, dict):
        return "line is not a JSON object"
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        return f"unknown event type {kind!r}"
    if not isinstance(event.get("run"), str) or not event["run"]:
        return "event without a run id"
    seq = event.get("seq")
    if type(seq) is not int or seq < 0:
        return "event without a non-negative integer 'seq'"
    n = event.setdefault("n", 1)
    if type(n) is not int or n < 1:
        return "event with a bad 'n'"
    if kind == "metrics":
        return _check_metrics(event)
    if kind == "params" and not isinstance(event.get("params"), dict):
        return "params event without a 'params' object"
    if kind == "tags" and not isinstance(event.get("tags"), dict):
        return "tags event without a 'tags' object"
    status = event.get("status")
    if kind == "end" and not (isinstance(status, str) and status in END_STATUSES):
        return f"end event with unknown status {event.get('status')!r}"
    if kind == "start" and not isinstance(event.get("experiment"), str):
        return "start event without an experiment name"
    if kind == "artifact" and not (
        isinstance(event.get("name"), str) and isinstance(event.get("digest"), str)
    ):
        return "artifact event without name and digest"
    return None


def parse_lines(
    data: bytes, base_offset: int = 0, loads: Callable[[bytes], Any] = json.loads
) -> SpoolRead:
    """Parse spool bytes that start at ``base_offset`` in their file.

    Args:
        data: bytes read from the spool.
        base_offset: where ``data`` starts in the file (for offsets and messages).
        loads: the JSON parser of one line (the ingester passes a faster one).
    """
    out = SpoolRead(end_offset=base_offset)
    last_nl = data.rfind(b"\n")
    if last_nl < 0:
        out.torn_bytes = len(data)
        return out
    complete = data[: last_nl + 1]
    out.torn_bytes = len(data) - len(complete)
    out.end_offset = base_offset + len(complete)
    pos = base_offset
    for line in complete.split(b"\n")[:-1]:
        here = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        try:
            event = loads(line)
        except (ValueError, RecursionError) as exc:
            out.problems.append(f"byte {here}: not valid JSON ({exc.__class__.__name__})")
            continue
        try:
            why = validate_event(event)
        except Exception as exc:  # a shape nobody foresaw is a skipped line, never a crash
            why = f"invalid event ({exc.__class__.__name__})"
        if why is not None:
            out.problems.append(f"byte {here}: {why}")
            continue
        out.events.append(event)
    return out


def read_spool(
    path: str | os.PathLike[str], offset: int = 0, max_bytes: int | None = None
) -> SpoolRead:
    """Read complete events of a spool file from ``offset``.

    Args:
        path: the ``events.jsonl`` file.
        offset: where a previous read ended (its ``end_offset``).
        max_bytes: read at most this many bytes (a partial last line is left for later).

    Raises:
        OSError: the file cannot be opened or read (missing, permissions).
    """
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read() if max_bytes is None else fh.read(max_bytes)
    return parse_lines(data, offset)


class SpoolWriter:
    """Appends encoded lines to a spool file and makes them durable on request.

    Opening repairs a torn last line left by a killed writer by ending it with a newline, so the
    fragment becomes one skipped line instead of corrupting the next event.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        if size:
            with open(self.path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    os.write(self._fd, b"\n")

    def write_lines(self, lines: Iterable[bytes]) -> int:
        """Append whole lines; returns the number of bytes written."""
        data = b"".join(lines)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        return len(data)

    def sync(self) -> None:
        """Make everything written so far survive a crash of the process or the machine."""
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = -1


def max_seq(events: Iterable[dict[str, Any]]) -> int:
    """The last sequence number used by ``events`` (-1 when there are none)."""
    last = -1
    for e in events:
        last = max(last, e["seq"] + e.get("n", 1) - 1)
    return last
