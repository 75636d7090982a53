"""The background writer: moves what a run logged from memory into its spool, in batches.

Logging calls only append a tuple to :attr:`BufferedSpool.buffer` (a plain list, never
replaced, so appends from any thread are safe without a lock):

* a metric point is ``(key, step, timestamp, value)``;
* anything else is a marker ``(None, kind, payload)``: ``"event"`` with an event dict (no
  ``seq`` yet), or ``"flush"`` with a :class:`queue.SimpleQueue` that receives ``True`` once
  everything queued before it is written and fsync'd.

Waking the writer and the flush handshake go through ``SimpleQueue`` (implemented in C): a
signal handler that interrupts the main thread anywhere can still flush without waiting on a
lock the interrupted code holds, which a ``threading.Event`` could not promise.

The writer thread wakes every :data:`IDLE_WAKE_S` seconds, or when woken, takes the buffer's
prefix, gives every event its sequence numbers, groups metric points into columnar ``metrics``
lines of at most :data:`MAX_POINTS_PER_LINE` points, appends them through
:class:`~mlops_desktop.tracking.spool.SpoolWriter` and fsyncs at most every
:data:`SYNC_EVERY_S` seconds (at once for a flush, and whenever it finds nothing new).
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from itertools import compress
from operator import itemgetter
from typing import Any

from mlops_desktop.tracking.spool import (
    FORMAT_VERSION,
    SpoolWriter,
    encode_event,
    max_seq,
    read_spool,
)

IDLE_WAKE_S = 0.2
SYNC_EVERY_S = 0.5
WAKE_AT = 50_000
MAX_POINTS_PER_LINE = 20_000
_FEW_KEYS = 16

_first = itemgetter(0)


def _resume(path: str) -> tuple[int, dict[str, Any]]:
    """The next free sequence number of an existing spool (0 for a new one), and the params
    its events logged (a resumed run refuses to change them, as MLflow does)."""
    try:
        if os.path.getsize(path) == 0:
            return 0, {}
        events = read_spool(path).events
    except OSError:
        return 0, {}
    params: dict[str, Any] = {}
    for event in events:
        if event["type"] == "params":
            params.update(event["params"])
    return max_seq(events) + 1, params


def _group(points: list[tuple[Any, ...]], keys: list[str]) -> dict[str, list[Any]]:
    """Columns ``{key: [steps, timestamps, values]}`` of points whose keys are ``keys``."""
    distinct = dict.fromkeys(keys)
    if len(distinct) == 1:
        _, steps, times, values = zip(*points)
        return {keys[0]: [steps, times, values]}
    if len(distinct) <= _FEW_KEYS:
        _, steps, times, values = zip(*points)
        cols = {}
        for key in distinct:
            mask = list(map(key.__eq__, keys))
            cols[key] = [
                list(compress(steps, mask)),
                list(compress(times, mask)),
                list(compress(values, mask)),
            ]
        return cols
    grouped: dict[str, list[Any]] = {}
    for key, step, ts, value in points:
        col = grouped.get(key)
        if col is None:
            col = grouped[key] = [[], [], []]
        col[0].append(step)
        col[1].append(ts)
        col[2].append(value)
    return grouped


class BufferedSpool:
    """An in-memory buffer in front of one run's spool file, drained by a daemon thread.

    Args:
        path: the run's ``events.jsonl``; appended to (sequence numbers resume after the
            events already in it).
        run_id: the run every event belongs to.
    """

    def __init__(self, path: str | os.PathLike[str], run_id: str) -> None:
        self.path = os.fspath(path)
        self.run_id = run_id
        self.buffer: list[tuple[Any, ...]] = []
        self.error: BaseException | None = None
        self._next_seq, self.resumed_params = _resume(self.path)
        self.latest_metrics: dict[str, float] = {}  # each key's last value written
        self._spool = SpoolWriter(self.path)
        self._wake: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._wake_flag = False  # set by wake(), cleared by the writer: spares most puts
        self._closing = False
        self._closed = threading.Event()
        self._pending: list[bytes] = []
        self._retry = False
        self._unsynced = False
        self._last_sync = 0.0
        self._thread = threading.Thread(
            target=self._loop, name=f"mlops-spool-{run_id[:8]}", daemon=True
        )
        self._thread.start()

    # -- called by the run (any thread) ---------------------------------------------------

    def put_event(self, event: dict[str, Any]) -> None:
        """Queue a non-metric event; ``v``, ``run``, ``seq`` and ``n`` are added on write."""
        self.buffer.append((None, "event", event))
        if len(self.buffer) >= WAKE_AT:
            self.wake()

    def wake(self) -> None:
        """Ask the writer to drain now instead of at its next tick (cheap when asked often)."""
        if not self._wake_flag:
            self._wake_flag = True
            self._wake.put(True)

    def flush(self, timeout: float | None = None, wake: bool = True) -> bool:
        """Block until everything queued so far is written and fsync'd.

        Args:
            timeout: give up after this many seconds (None: wait as long as it takes).
            wake: wake the writer at once (False: at its next tick).

        Returns:
            True when done, False on timeout.

        Raises:
            OSError: the spool cannot be written (disk full, permissions...).
        """
        if self._closed.is_set():
            return True
        done: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self.buffer.append((None, "flush", done))
        if wake:
            self._wake.put(True)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return done.get(timeout=IDLE_WAKE_S * 2)
            except queue.Empty:
                pass
            if self.error is not None:
                raise OSError(f"cannot write the spool {self.path}: {self.error}") from self.error
            if not self._thread.is_alive() or (
                deadline is not None and time.monotonic() > deadline
            ):
                return not done.empty()

    def close(self, timeout: float = 60.0, wake: bool = True) -> bool:
        """Write everything, fsync, close the file and stop the thread.

        Returns:
            True when all was written, False when the writer did not finish in time.
        """
        self._closing = True
        if wake:
            self._wake.put(True)
        return self._closed.wait(timeout)

    # -- the writer thread ------------------------------------------------------------------

    def _loop(self) -> None:
        leave_signals_to_main_thread()
        buffer = self.buffer
        while True:
            try:
                self._wake.get(timeout=IDLE_WAKE_S)
                while not self._wake.empty():
                    self._wake.get_nowait()
            except queue.Empty:
                pass
            self._wake_flag = False
            closing = self._closing
            try:
                self._drain()
            except Exception as exc:  # keep the data, retry at the next tick
                self.error = exc
                self._retry = True
                time.sleep(IDLE_WAKE_S)
                continue
            self.error = None
            if closing and not buffer and not self._pending:
                break
        try:
            self._spool.close()
        except OSError as exc:
            self.error = exc
        self._closed.set()

    def _drain(self) -> None:
        buffer = self.buffer
        n = len(buffer)
        if n:
            batch = buffer[:n]
            del buffer[:n]
            self._process(batch)
        self._write_pending()
        if self._unsynced and (not n or time.monotonic() - self._last_sync >= SYNC_EVERY_S):
            self._sync()

    def _process(self, batch: list[tuple[Any, ...]]) -> None:
        keys = list(map(_first, batch))
        start = 0
        end = len(batch)
        while start < end:
            try:
                marker = keys.index(None, start)
            except ValueError:
                marker = end
            if marker > start:
                self._encode_points(batch[start:marker], keys[start:marker])
            if marker == end:
                break
            _, kind, payload = batch[marker]
            if kind == "event":
                self._encode_event(payload)
            elif kind == "flush":
                try:
                    self._write_pending()
                    self._sync()
                except OSError:
                    self.buffer[0:0] = batch[marker:]  # keep the rest for the retry
                    raise
                payload.put(True)
            start = marker + 1

    def _encode_event(self, event: dict[str, Any]) -> None:
        line = {"v": FORMAT_VERSION, "type": event.pop("type"), "run": self.run_id}
        line["seq"] = self._next_seq
        line["n"] = 1
        line.update(event)
        self._pending.append(encode_event(line))
        self._next_seq += 1

    def _encode_points(self, points: list[tuple[Any, ...]], keys: list[str]) -> None:
        for lo in range(0, len(points), MAX_POINTS_PER_LINE):
            chunk = points[lo : lo + MAX_POINTS_PER_LINE]
            cols = _group(chunk, keys[lo : lo + MAX_POINTS_PER_LINE])
            line = {
                "v": FORMAT_VERSION,
                "type": "metrics",
                "run": self.run_id,
                "seq": self._next_seq,
                "n": len(chunk),
                "cols": cols,
            }
            latest = self.latest_metrics
            for key, col in cols.items():
                latest[key] = col[2][-1]
            self._pending.append(encode_event(line))
            self._next_seq += len(chunk)

    def _write_pending(self) -> None:
        if not self._pending:
            return
        lines = self._pending
        if self._retry:  # a failed write may have left a torn line: end it first
            lines = [b"\n", *lines]
        self._spool.write_lines(lines)
        self._pending = []
        self._retry = False
        self._unsynced = True

    def _sync(self) -> None:
        if self._unsynced:
            self._spool.sync()
            self._unsynced = False
        self._last_sync = time.monotonic()


def leave_signals_to_main_thread() -> None:
    """Block SIGINT and SIGTERM in this thread, so the kernel delivers them to another one.

    Python runs signal handlers in the main thread only. A signal the kernel hands to this
    writer thread would trip the handler flag while the main thread sleeps on (in
    ``time.sleep`` or a blocking read) and Ctrl-C or SIGTERM would seem lost until it woke.
    """
    if hasattr(signal, "pthread_sigmask"):
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        except (OSError, ValueError):
            pass
