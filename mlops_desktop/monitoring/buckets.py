"""Samples summed up into one-minute buckets of min, mean, max and count, per machine. No Qt.

:class:`MinuteBuckets` takes every sample (:meth:`add`), keeps the current minute of each machine
open, and hands out a machine's minute once a sample of a later minute arrives
(:meth:`completed`), or all open ones at shutdown (:meth:`flush`). The services store them in
the catalog (``catalog.hw_repo``), where a partial minute written twice is merged.
"""

from __future__ import annotations

import math
import threading

from mlops_desktop.core.hardware import HostSample, StoredBucket, sample_series

BUCKET_S = 60.0


def bucket_start(t: float) -> float:
    """The start of the minute holding Unix time ``t``."""
    return math.floor(t / BUCKET_S) * BUCKET_S


class _Open:
    """One machine's current minute: per key running min, sum, max, count."""

    __slots__ = ("start", "stats")

    def __init__(self, start: float) -> None:
        self.start = start
        self.stats: dict[str, list[float]] = {}

    def add(self, series: dict[str, float]) -> None:
        for key, value in series.items():
            if not math.isfinite(value):
                continue
            s = self.stats.get(key)
            if s is None:
                self.stats[key] = [value, value, value, 1.0]
            else:
                s[0] = min(s[0], value)
                s[1] += value
                s[2] = max(s[2], value)
                s[3] += 1.0

    def bucket(self, host: str) -> StoredBucket:
        return StoredBucket(
            host,
            self.start,
            {k: (lo, total / n, hi, int(n)) for k, (lo, total, hi, n) in self.stats.items()},
        )


class MinuteBuckets:
    """Accumulates samples of any number of machines into one-minute buckets; thread-safe.

    Demo samples (``sample.demo``) are left out: recorded data is not this machine's history.
    A sample older than its machine's open minute (a clock step back) is added to the open one.
    """

    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}
        self._done: list[StoredBucket] = []
        self._lock = threading.Lock()

    def add(self, sample: HostSample) -> None:
        if sample.demo:
            return
        start = bucket_start(sample.time)
        series = sample_series(sample)
        with self._lock:
            current = self._open.get(sample.host)
            if current is not None and start > current.start:
                if current.stats:
                    self._done.append(current.bucket(sample.host))
                current = None
            if current is None:
                current = self._open[sample.host] = _Open(start)
            current.add(series)

    def completed(self) -> list[StoredBucket]:
        """The minutes finished since the last call (each handed out once), oldest first."""
        with self._lock:
            done, self._done = self._done, []
        return sorted(done, key=lambda b: (b.start, b.host))

    def flush(self) -> list[StoredBucket]:
        """Every finished minute and every open, partial one (at shutdown); all are closed."""
        with self._lock:
            done = self._done + [o.bucket(h) for h, o in self._open.items() if o.stats]
            self._done, self._open = [], {}
        return sorted(done, key=lambda b: (b.start, b.host))
