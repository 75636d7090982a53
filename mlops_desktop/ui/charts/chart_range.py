"""A chart's view ranges from its data: fitted on every change, never kept from before.

After a new series, a new x-axis mode or scale, the view is fitted exactly (with a little
padding). While a live run appends points the view moves only when a point falls outside it,
and then keeps room on the right, so a run logging fast does not move the view at every update.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from mlops_desktop.ui.charts.chart_data import Bounds

LIVE_HEADROOM = 0.1  # room kept right of a live run's last point, as a fraction of the x span
PADDING = 0.04

Ranges = tuple[tuple[float, float], tuple[float, float]]


def view_bounds(bounds: list[Bounds], log_y: bool) -> Ranges | None:
    """(x range, y range) holding every drawable point, in view coordinates (log10 for log y).

    ``bounds`` of log-scale charts must know their smallest positive value.
    """
    total: Bounds | None = None
    for one in bounds:
        total = one.union(total)
    if total is None:
        return None
    if log_y:
        if not np.isfinite(total.positive_lo):
            y_lo = y_hi = 0.0
        else:
            y_lo, y_hi = np.log10(total.positive_lo), np.log10(max(total.y_hi, 1e-300))
    elif total.y_lo > total.y_hi:
        y_lo = y_hi = 0.0  # no finite value at all: only edge markers
    else:
        y_lo, y_hi = total.y_lo, total.y_hi
    return widen(total.x_lo, total.x_hi), widen(float(y_lo), float(y_hi))


def fit_view(vb: pg.ViewBox, ranges: Ranges, exactly: bool) -> None:
    """Fit ``vb`` to ``ranges``: ``exactly``, or only if they overflow it (live headroom)."""
    (x_lo, x_hi), (y_lo, y_hi) = ranges
    if exactly:
        vb.setRange(xRange=(x_lo, x_hi), yRange=(y_lo, y_hi), padding=PADDING)
        return
    (vx_lo, vx_hi), (vy_lo, vy_hi) = vb.viewRange()
    if x_lo >= vx_lo and x_hi <= vx_hi and y_lo >= vy_lo and y_hi <= vy_hi:
        return  # the view still holds every point
    pad_y = (y_hi - y_lo) * PADDING
    vb.setRange(
        xRange=(x_lo - (x_hi - x_lo) * PADDING / 2, x_hi + (x_hi - x_lo) * LIVE_HEADROOM),
        yRange=(y_lo - pad_y, y_hi + pad_y),
        padding=0.0,
    )


def widen(low: float, high: float) -> tuple[float, float]:
    """A range around a single value, so a one-point series still shows."""
    if high > low:
        return low, high
    half = abs(low) * 0.05 or 0.5
    return low - half, high + half
