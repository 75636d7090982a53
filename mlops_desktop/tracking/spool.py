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
``model``    name (the model folder's artifact name), registered_model_name, flavor, user:
             register the folder as a new version of that model
``end``      status ("finished" | "failed" | "killed"), ended_at, error (str or null)

NaN and +/-Infinity are written as JSON's ``NaN``/``Infinity`` extension (Python's default).
A torn last line (the writer was killed mid-write) is not consumed: the reader stops before it
and will read it once it is complete. A complete line that is not a valid event is skipped and
reported as a problem, never raised; when it ends with a valid event (bytes without a newline
fused with the next line) the reader resynchronises at the first line start (``{"v"``) from
which the rest is a valid event, and keeps that event. A metrics line with a bad point (a step
that is not an int64, a timestamp or value that is not a number) loses that point only.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1
EVENT_TYPES = frozenset(
    {"start", "env", "params", "tags", "metrics", "artifact", "dataset", "model", "end"}
)
END_STATUSES = frozenset({"finished", "failed", "killed"})
EVENT_START = b'{"v"'  # how every line the writers encode begins: where a reader resynchronises
_MIN_STEP, _MAX_STEP = -(2**63), 2**63 - 1

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


def _check_metrics(event: dict[str, Any], notes: list[str] | None = None) -> str | None:
    """Validate a metrics event and turn its columns into ``array`` objects in place.

    After this, ``event["cols"][key]`` is ``(array('q') steps, array('d') timestamps,
    array('d') values)``: the conversion in C is also the type check, which keeps ingest fast.
    A column that fails it is salvaged point by point: a bad step (not an integer, outside
    int64) or a bad timestamp or value (not a number) loses its own point only, told in
    ``notes``; ``n`` keeps the line's sequence numbers taken.
    """
    cols = event.get("cols")
    if not isinstance(cols, dict):
        return "metrics event without a 'cols' object"
    total = 0
    salvaged = False
    for key, col in list(cols.items()):
        try:
            steps = array("q", col[0])
            times = array("d", col[1])
            values = array("d", col[2])
            if len(col) != 3 or not len(steps) == len(times) == len(values):
                raise ValueError
        except (TypeError, OverflowError, ValueError, KeyError, IndexError):
            kept = _salvage_column(key, col, notes)
            salvaged = True
            if kept is None:
                del cols[key]
                continue
            steps, times, values = kept
        cols[key] = (steps, times, values)
        total += len(values)
    if total > event["n"] or (total != event["n"] and not salvaged):
        return f"metrics event says n={event['n']} but holds {total} points"
    return None


def _salvage_column(
    key: str, col: Any, notes: list[str] | None
) -> tuple[array[int], array[float], array[float]] | None:
    """The good points of a column that failed the fast check (None: none can be told)."""
    if not (
        isinstance(col, list)
        and len(col) == 3
        and all(isinstance(c, list) for c in col)
        and len(col[0]) == len(col[1]) == len(col[2])
    ):
        if notes is not None:
            notes.append(f"metric {key!r} is not [steps, timestamps, values] of one length")
        return None
    steps, times, values = array("q"), array("d"), array("d")
    for step, ts, value in zip(*col):
        if not (isinstance(step, int) and _MIN_STEP <= step <= _MAX_STEP):
            continue
        try:
            if isinstance(ts, (str, bytes)) or isinstance(value, (str, bytes)):
                continue
            t, v = float(ts), float(value)
        except (TypeError, ValueError, OverflowError):
            continue
        steps.append(step)
        times.append(t)
        values.append(v)
    if notes is not None:
        notes.append(
            f"metric {key!r}: {len(col[0]) - len(values)} of {len(col[0])} points skipped "
            "(bad step or value)"
        )
    return steps, times, values


def validate_event(event: Any, notes: list[str] | None = None) -> str | None:
    """Why ``event`` is not a valid spool event, or None when it is.

    Args:
        event: a parsed line (a metrics event's columns become arrays in place).
        notes: receives one sentence per part of a valid event that had to be dropped
            (points of a metrics line with a bad step or value).
    """
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
        return _check_metrics(event, notes)
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
    if kind == "model" and not (
        isinstance(event.get("name"), str) and isinstance(event.get("registered_model_name"), str)
    ):
        return "model event without name and registered_model_name"
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
        notes: list[str] = []
        event, why = _parse_event(line, loads, notes)
        if why is not None:
            event, skipped = _resynchronise(line, loads, notes)
            if event is None:
                out.problems.append(f"byte {here}: {why}")
                continue
            out.problems.append(f"byte {here}: {skipped} bytes before an event skipped")
        out.problems.extend(f"byte {here}: {note}" for note in notes)
        out.events.append(event)
    return out


def _parse_event(
    line: bytes, loads: Callable[[bytes], Any], notes: list[str]
) -> tuple[Any, str | None]:
    """(event, None) for a valid event line, else (None, why not)."""
    try:
        event = loads(line)
    except (ValueError, RecursionError) as exc:
        return None, f"not valid JSON ({exc.__class__.__name__})"
    try:
        why = validate_event(event, notes)
    except Exception as exc:  # a shape nobody foresaw is a skipped line, never a crash
        why = f"invalid event ({exc.__class__.__name__})"
    return (event, None) if why is None else (None, why)


def _resynchronise(line: bytes, loads: Callable[[bytes], Any], notes: list[str]) -> tuple[Any, int]:
    """A valid event ending ``line`` after bytes that are not one (garbage or a torn line
    without its newline fused with the next line): (event, bytes skipped) or (None, 0)."""
    start = line.find(EVENT_START, 1)
    while start > 0:
        del notes[:]
        event, why = _parse_event(line[start:], loads, notes)
        if why is None:
            return event, start
        start = line.find(EVENT_START, start + 1)
    del notes[:]
    return None, 0


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
