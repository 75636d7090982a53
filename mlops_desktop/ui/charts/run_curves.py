"""The pyqtgraph items of one run in one chart, made when first drawn and reused after.

Making a PlotDataItem costs more than handing it 100,000 points, so a chart keeps the solid
curves of runs it no longer shows (:class:`CurvePool`) for the next selection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from mlops_desktop.ui.charts.chart_data import RunData
from mlops_desktop.ui.charts.chart_marks import EdgeMarks, nonfinite_positions

DOWNSAMPLE_FACTOR = 1.5  # peak-downsampled points per pixel column: min and max of each
SHADOW_ALPHA = 70  # the faint raw line under a smoothed one
WIDE, THIN = 2.0, 1.0  # line widths, full size and in a small chart


class CurvePool:
    """Curves of one plot: new ones added to it, released ones kept hidden for reuse."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self._spare: list[pg.PlotDataItem] = []

    def take(self, color: QColor, width: float) -> pg.PlotDataItem:
        if self._spare:
            curve = self._spare.pop()
            curve.setPen(pg.mkPen(color, width=width))
            curve.setZValue(0)
            curve.show()
            return curve
        curve = pg.PlotDataItem(pen=pg.mkPen(color, width=width))
        self._plot.addItem(curve)  # takes the plot's downsampling and clipping to the view
        curve.opts["autoDownsampleFactor"] = DOWNSAMPLE_FACTOR
        return curve

    def give(self, curve: pg.PlotDataItem) -> None:
        curve.setData(x=np.empty(0), y=np.empty(0))
        curve.hide()
        self._spare.append(curve)


@dataclass
class RunCurves:
    """One run in one chart: its data and its items (made when first drawn)."""

    label: str
    color: QColor
    data: RunData
    main: pg.PlotDataItem | None = None  # solid: smoothed or raw
    shadow: pg.PlotDataItem | None = None  # raw and faint, only while smoothing
    marks: EdgeMarks | None = None  # made at the first NaN or infinity
    dirty: bool = field(default=True)  # pyqtgraph has not been given the latest points

    def draw(
        self, pool: CurvePool, plot: pg.PlotItem, smoothing: float, log_y: bool, width: float
    ) -> None:
        """Hand the run's latest points to its items (a solid line ``width`` wide)."""
        data = self.data
        self.dirty = False
        if self.main is None:
            self.main = pool.take(self.color, width)
        if smoothing > 0.0:
            if self.shadow is None:
                faint = QColor(self.color)
                faint.setAlpha(SHADOW_ALPHA)
                self.shadow = pool.take(faint, 1.0)
                self.shadow.setZValue(-1)
            set_curve(self.shadow, data.x, data.y, data.finite, log_y)
            self.shadow.show()
        elif self.shadow is not None:
            self.shadow.setData(x=np.empty(0), y=np.empty(0))
            self.shadow.hide()
        set_curve(self.main, data.x, data.shown, data.finite, log_y)
        lone = data.x.size <= 2
        if lone != (self.main.opts["symbol"] is not None):  # a point or two: draw them as dots
            self.main.setSymbol("o" if lone else None)
            self.main.setSymbolSize(6)
            self.main.setSymbolBrush(self.color)
            self.main.setSymbolPen(self.color)
        if not data.finite or self.marks is not None:
            if self.marks is None:
                self.marks = EdgeMarks(self.color)
                plot.addItem(self.marks)
                self.marks.follow_view(*plot.vb.viewRange()[1])
            self.marks.set_positions(nonfinite_positions(data.x, data.y) if not data.finite else {})

    def set_width(self, width: float) -> None:
        if self.main is not None:
            self.main.setPen(pg.mkPen(self.color, width=width))

    def release(self, pool: CurvePool, plot: pg.PlotItem) -> None:
        """Take the run off the plot (its solid curve goes back to the pool)."""
        if self.main is not None:
            pool.give(self.main)
        for item in (self.shadow, self.marks):
            if item is not None:
                plot.removeItem(item)
        self.main = self.shadow = self.marks = None


def set_curve(
    curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray, finite: bool, log_y: bool
) -> None:
    """``curve.setData`` with the finite checks only when some point needs them."""
    drawable = finite and bool(np.isfinite(y[-1:]).all())
    if drawable and log_y:
        drawable = bool((y > 0).all())
    if drawable:  # the common case: no per-draw finite checks on a million points
        curve.setData(x=x, y=y, connect="all", skipFiniteCheck=True)
    else:
        curve.setData(x=x, y=y, connect="finite", skipFiniteCheck=False)
