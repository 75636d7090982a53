"""The last hour of one machine in memory, and the minutes before it from the catalog. No Qt.

:class:`HostHistory` keeps one preallocated ring of ``capacity`` points for the sample times and
one per series key (see :func:`~mlops_desktop.core.hardware.sample_series`). A gap is a point
whose every value is NaN, so a chart draws it as a gap and never interpolates across it. A key
that appears later reads NaN before it appeared. :meth:`HostHistory.series` gives a
:class:`SeriesView` of one key, optionally reduced to ``max_points`` buckets of min, mean and max
(a bucket of only NaN stays NaN; a NaN inside a bucket leaves the other values to speak).
Stored minute buckets (:meth:`HostHistory.merge_stored`) come before the in-memory points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from mlops_desktop.core.hardware import HostSample, StoredBucket, sample_series

DEFAULT_CAPACITY = 3600  # one hour at 1 Hz


@dataclass(frozen=True)
class SeriesView:
    """One series over time: ``low <= mean <= high`` (all equal where not downsampled).

    Attributes:
        t: Unix times, increasing (the start of a bucket when downsampled).
        low, mean, high: the values; NaN is a gap.
    """

    t: np.ndarray
    low: np.ndarray
    mean: np.ndarray
    high: np.ndarray

    def __len__(self) -> int:
        return int(self.t.size)

    @property
    def banded(self) -> bool:
        """True when some point stands for several values (low differs from high)."""
        differs = (self.high != self.low) & np.isfinite(self.high)
        return bool(differs.any())


def _empty_view() -> SeriesView:
    empty = np.empty(0)
    return SeriesView(empty, empty, empty, empty)


class HostHistory:
    """See the module docstring. Not thread-safe: feed and read it from one thread."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("a history needs room for at least one point")
        self.capacity = capacity
        self._t = np.full(capacity, np.nan)
        self._values: dict[str, np.ndarray] = {}
        self._next = 0  # the slot the next point goes into
        self._count = 0
        # catalog minutes: key -> (start, low, mean, high), sorted by start
        self._stored: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    # --- feeding -------------------------------------------------------------------------
    def add(self, sample: HostSample) -> None:
        """Append one sample (every figure it reports; the others are NaN at this time)."""
        self._append(sample.time, sample_series(sample))

    def add_values(self, t: float, values: dict[str, float]) -> None:
        """Append one point given as named values (what :meth:`add` does for a sample)."""
        self._append(t, values)

    def add_gap(self, t: float) -> None:
        """Append a point where every series is NaN: no sample came at ``t``."""
        self._append(t, {})

    def merge_stored(self, buckets: Iterable[StoredBucket]) -> None:
        """Put catalog minutes before the in-memory points (replacing earlier stored ones)."""
        ordered = sorted(buckets, key=lambda b: b.start)
        keys = {key for bucket in ordered for key in bucket.values}
        starts = np.array([b.start for b in ordered], dtype=np.float64)
        self._stored = {}
        for key in keys:
            rows = [b.values.get(key) for b in ordered]
            low = np.array([r[0] if r else math.nan for r in rows], dtype=np.float64)
            mean = np.array([r[1] if r else math.nan for r in rows], dtype=np.float64)
            high = np.array([r[2] if r else math.nan for r in rows], dtype=np.float64)
            self._stored[key] = (starts, low, mean, high)

    def _append(self, t: float, values: dict[str, float]) -> None:
        slot = self._next
        self._t[slot] = t
        for key, ring in self._values.items():
            ring[slot] = values.get(key, math.nan)
        for key, value in values.items():
            if key not in self._values:
                ring = np.full(self.capacity, np.nan)
                ring[slot] = value
                self._values[key] = ring
        self._next = (slot + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    # --- reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        """Points in memory (stored minutes not counted)."""
        return self._count

    def series_keys(self) -> list[str]:
        """Every series key seen, in memory or stored."""
        return sorted(set(self._values) | set(self._stored))

    def latest_time(self) -> float | None:
        return None if self._count == 0 else float(self._t[(self._next - 1) % self.capacity])

    def latest(self, key: str) -> float | None:
        """The newest value of ``key`` (None when the newest point is a gap or lacks it)."""
        ring = self._values.get(key)
        if ring is None or self._count == 0:
            return None
        value = float(ring[(self._next - 1) % self.capacity])
        return None if math.isnan(value) else value

    def _ordered(self, ring: np.ndarray) -> np.ndarray:
        if self._count < self.capacity:
            return ring[: self._count]
        return np.concatenate((ring[self._next :], ring[: self._next]))

    def times(self) -> np.ndarray:
        """The in-memory times, oldest first (a copy)."""
        return np.array(self._ordered(self._t))

    def series(
        self, key: str, since: float | None = None, max_points: int | None = None
    ) -> SeriesView:
        """``key`` from ``since`` (None: everything), stored minutes first, then memory.

        Args:
            max_points: reduce to at most this many points of min, mean and max over
                consecutive buckets of equal count.
        """
        t = self._ordered(self._t)
        ring = self._values.get(key)
        v = self._ordered(ring) if ring is not None else np.full(t.size, np.nan)
        if since is not None:
            keep = t >= since
            t, v = t[keep], v[keep]
        parts = [(t, v, v, v)]
        stored = self._stored.get(key)
        if stored is not None:
            s_t, s_low, s_mean, s_high = stored
            first_live = t[0] if t.size else math.inf
            keep = s_t < first_live
            if since is not None:
                keep &= s_t + 60.0 > since
            parts.insert(0, (s_t[keep], s_low[keep], s_mean[keep], s_high[keep]))
        if len(parts) == 1:
            view = SeriesView(np.array(t), np.array(v), np.array(v), np.array(v))
        else:
            view = SeriesView(*(np.concatenate([p[i] for p in parts]) for i in range(4)))
        if max_points is not None and len(view) > max_points:
            return downsample(view, max_points)
        return view


def downsample(view: SeriesView, max_points: int) -> SeriesView:
    """``view`` in at most ``max_points`` buckets of consecutive points: min, mean, max.

    A bucket's time is its first point's. NaN values are left out of a bucket's figures; a
    bucket of only NaN is NaN (a gap).
    """
    n = len(view)
    if max_points < 1:
        return _empty_view()
    if n <= max_points:
        return view
    size = -(-n // max_points)  # ceil
    starts = np.arange(0, n, size)
    finite = np.isfinite(view.mean)
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    sums = np.add.reduceat(np.where(finite, view.mean, 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    low = np.fmin.reduceat(view.low, starts)
    high = np.fmax.reduceat(view.high, starts)
    return SeriesView(view.t[starts].copy(), low, mean, high)
