"""A run's series as one chart draws it: x for the axis mode, smoothed y, bounds, flags.

Pure numpy, so the work a live update does is easy to see: appending points touches only the
new points (their x, their smoothing from the carried EMA state, their bounds), never the
whole series, unless they arrive out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from mlops_desktop.core.runs import MetricSeries
from mlops_desktop.ui.charts.smoothing import EmaState, smooth_ema_from


@dataclass(frozen=True)
class Bounds:
    """Bounds of the drawable points: x, y, and the smallest positive y (log scale)."""

    x_lo: float
    x_hi: float
    y_lo: float  # inf when no y is finite
    y_hi: float  # -inf when no y is finite
    positive_lo: float  # inf when no y is positive, NaN until asked for (see RunData)

    def union(self, other: Bounds | None) -> Bounds:
        if other is None:
            return self
        positive_lo = (  # NaN (not known) stays NaN
            np.nan
            if np.isnan(self.positive_lo) or np.isnan(other.positive_lo)
            else min(self.positive_lo, other.positive_lo)
        )
        return Bounds(
            min(self.x_lo, other.x_lo),
            max(self.x_hi, other.x_hi),
            min(self.y_lo, other.y_lo),
            max(self.y_hi, other.y_hi),
            positive_lo,
        )


def bounds_of(x: np.ndarray, y: np.ndarray, finite: bool, increasing: bool) -> Bounds | None:
    """Bounds of points with a finite x and y; ``finite``: every x and y is finite.

    No copy of the points is made: masked reductions skip the non-finite ones.
    """
    if x.size == 0:
        return None
    if finite:
        good = None
        x_lo, x_hi = (float(x[0]), float(x[-1])) if increasing else (x.min(), x.max())
    else:
        good_x = np.isfinite(x)
        if not good_x.any():
            return None
        x_lo = float(np.min(x, where=good_x, initial=np.inf))
        x_hi = float(np.max(x, where=good_x, initial=-np.inf))
        good = good_x & np.isfinite(y)
    y_lo = float(np.min(y, where=good, initial=np.inf)) if good is not None else float(y.min())
    y_hi = float(np.max(y, where=good, initial=-np.inf)) if good is not None else float(y.max())
    # the smallest positive value costs a pass of its own: found when log scale asks for it
    return Bounds(float(x_lo), float(x_hi), y_lo, y_hi, y_lo if y_lo > 0 else np.nan)


def x_values(mode: str, steps: np.ndarray, times: np.ndarray, t0: float) -> np.ndarray:
    """x of points: the step, the wall time, or the time since the run's first point ``t0``."""
    if mode == "step":
        return steps.astype(np.float64)
    if mode == "time":
        return times
    return times - t0


class Growing:
    """An array that grows at its end in amortised O(new points): spare room doubles."""

    def __init__(self, data: np.ndarray) -> None:
        self._buffer = data  # used as given until the first append
        self._size = data.size

    @property
    def view(self) -> np.ndarray:
        return self._buffer[: self._size]

    def extend(self, new: np.ndarray) -> np.ndarray:
        """Append ``new``; returns the whole array (a view, valid until the next extend)."""
        end = self._size + new.size
        if end > self._buffer.size:
            bigger = np.empty(max(end, 2 * self._buffer.size, 1024), dtype=self._buffer.dtype)
            bigger[: self._size] = self._buffer[: self._size]
            self._buffer = bigger
        self._buffer[self._size : end] = new
        self._size = end
        return self.view


@dataclass
class RunData:
    """One run's raw points (in logging order) and what its curve shows."""

    steps: np.ndarray
    times: np.ndarray
    values: np.ndarray
    x: np.ndarray = field(default_factory=lambda: np.empty(0))  # increasing
    y: np.ndarray = field(default_factory=lambda: np.empty(0))  # raw values, in x order
    shown: np.ndarray = field(default_factory=lambda: np.empty(0))  # the solid curve's y
    ema: EmaState = field(default_factory=EmaState)
    in_order: bool = True  # logged in increasing x: y is values itself
    finite: bool = True  # every x and y is finite
    bounds: Bounds | None = None
    t0: float = 0.0  # the first finite time (relative time counts from it)
    mode: str = ""  # the x-axis mode and smoothing weight the curve was computed for
    smoothing: float = 0.0
    _growing: dict[str, Growing] = field(default_factory=dict, repr=False)

    @staticmethod
    def of(series: MetricSeries, mode: str = "", smoothing: float = 0.0) -> RunData:
        """A run's data; with ``mode`` its curve is computed too (in a worker thread)."""
        data = RunData(
            np.asarray(series.steps),
            np.asarray(series.timestamps, dtype=np.float64),
            np.asarray(series.values, dtype=np.float64),
        )
        if mode:
            data.compute(mode, smoothing)
        return data

    def compute(self, mode: str, smoothing: float) -> None:
        """Everything from the raw points (a new series, or a new mode or smoothing)."""
        self._growing.clear()
        self.mode, self.smoothing = mode, smoothing
        self.t0 = _first_finite(self.times)
        x = x_values(mode, self.steps, self.times, self.t0)
        y = self.values
        self.in_order = x.size < 2 or bool(np.all(x[1:] >= x[:-1]))
        if not self.in_order:
            order = np.argsort(x, kind="stable")  # clipping to the view needs increasing x
            x, y = x[order], y[order]
        self.x, self.y = x, y
        self.finite = bool(np.isfinite(y).all()) and (mode == "step" or np.isfinite(x).all())
        self.bounds = bounds_of(x, y, self.finite, True)
        if smoothing > 0.0:
            self.shown, self.ema = smooth_ema_from(y, smoothing, EmaState())
        else:
            self.shown, self.ema = y, EmaState()

    def append(self, series: MetricSeries, mode: str, smoothing: float) -> bool:
        """Add new points; returns whether they had to be sorted in (all recomputed).

        In order (the usual live case) only the new points are converted, checked, bounded
        and smoothed, and the arrays grow in place: no copy of the whole series.
        """
        steps = np.asarray(series.steps)
        times = np.asarray(series.timestamps, dtype=np.float64)
        values = np.asarray(series.values, dtype=np.float64)
        first = self.values.size == 0
        self.steps = self._grown("steps", self.steps, steps)
        self.times = self._grown("times", self.times, times)
        self.values = self._grown("values", self.values, values)
        x_new = x_values(mode, steps, times, self.t0)
        if first or not self.in_order or not _follows(self.x, x_new):
            self._growing.clear()
            self.compute(mode, smoothing)
            return True
        finite = bool(np.isfinite(values).all()) and (mode == "step" or np.isfinite(x_new).all())
        self.finite = self.finite and finite
        self.x = self._grown("x", self.x, x_new)
        self.y = self.values
        new_bounds = bounds_of(x_new, values, finite, True)
        if new_bounds is not None:
            self.bounds = new_bounds.union(self.bounds)
        if smoothing > 0.0:
            smoothed, self.ema = smooth_ema_from(values, smoothing, self.ema)
            self.shown = self._grown("shown", self.shown, smoothed)
        else:
            self.shown = self.y
        return False

    def _grown(self, name: str, whole: np.ndarray, new: np.ndarray) -> np.ndarray:
        growing = self._growing.get(name)
        if growing is None or growing.view.size != whole.size:
            growing = self._growing[name] = Growing(whole)
        return growing.extend(new)

    def log_bounds(self) -> Bounds | None:
        """The bounds with the smallest positive value known (computed once, then kept)."""
        if self.bounds is not None and np.isnan(self.bounds.positive_lo):
            positive = self.y[(self.y > 0) & np.isfinite(self.y)]
            low = float(positive.min()) if positive.size else np.inf
            self.bounds = replace(self.bounds, positive_lo=low)
        return self.bounds

    def value_at(self, x: float) -> tuple[float | None, float | None]:
        """(shown, raw) of the last point at or before ``x``; None before the first point."""
        at = int(np.searchsorted(self.x, x, side="right")) - 1
        if at < 0:
            return None, None
        return float(self.shown[at]), float(self.y[at])


def _first_finite(values: np.ndarray) -> float:
    if values.size and np.isfinite(values[0]):
        return float(values[0])
    finite = np.flatnonzero(np.isfinite(values))
    return float(values[finite[0]]) if finite.size else 0.0


def _follows(x: np.ndarray, new: np.ndarray) -> bool:
    """Whether ``new`` continues the increasing ``x`` in order."""
    if new.size > 1 and not bool(np.all(new[1:] >= new[:-1])):
        return False
    return x.size == 0 or new.size == 0 or bool(new[0] >= x[-1])
