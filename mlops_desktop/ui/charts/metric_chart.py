"""MetricChart: one metric key of several runs overlaid, fast enough for millions of points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from mlops_desktop.core.runs import MetricSeries
from mlops_desktop.ui.charts.palette import (
    chart_background,
    chart_foreground,
    label_fill,
    run_color,
)
from mlops_desktop.ui.charts.smoothing import MAX_WEIGHT, smooth_ema

EMPTY_TEXT = "Select runs to chart their metrics"
X_AXIS_MODES = ("step", "time", "relative")
_X_LABELS = {"step": ("step", None), "time": ("time", None), "relative": ("relative time", "s")}


@dataclass
class _RunCurves:
    """The two curves of one run: solid (raw or smoothed, in the legend) and faint raw."""

    main: pg.PlotDataItem
    shadow: pg.PlotDataItem
    color: QColor


class MetricChart(QWidget):
    """A line chart of one metric for several runs, with legend, grid, smoothing and log scale.

    Feed it plain :class:`MetricSeries`; NaN and infinity are gaps in the lines and never affect
    the automatic range. Curves are downsampled to the view ("peak" method) and clipped to it, so
    a 1,000,000-point series draws in well under 200 ms.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._series: dict[str, MetricSeries] = {}
        self._labels: dict[str, str] = {}
        self._curves: dict[str, _RunCurves] = {}
        self._key = ""
        self._smoothing = 0.0
        self._log_y = False
        self._x_mode = "step"

        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setStyleSheet("color: #777; font-size: 14px;")
        self._plot = pg.PlotWidget()
        self._item = self._plot.getPlotItem()
        self._item.showGrid(x=True, y=True, alpha=0.25)
        self._item.setDownsampling(auto=True, mode="peak")
        self._item.setClipToView(True)
        self._legend = self._item.addLegend(offset=(-10, 10))
        self._install_bottom_axis()
        self._apply_palette()

        self._stack = QStackedLayout(self)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self._plot)

    # -- public API ---------------------------------------------------------------------------

    @property
    def plot_item(self) -> pg.PlotItem:
        """The pyqtgraph PlotItem (for tests and for adding overlays)."""
        return self._item

    @property
    def smoothing(self) -> float:
        return self._smoothing

    @property
    def log_y(self) -> bool:
        return self._log_y

    @property
    def x_axis_mode(self) -> str:
        return self._x_mode

    @property
    def key(self) -> str:
        return self._key

    def run_ids(self) -> list[str]:
        """Runs that have a curve, in drawing order."""
        return list(self._curves)

    def curve_data(self, run_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the run's solid curve as given to pyqtgraph (smoothed when smoothing)."""
        x, y = self._curves[run_id].main.getOriginalDataset()
        return np.asarray(x), np.asarray(y)

    def set_key(self, key: str) -> None:
        """Show ``key`` as the chart title and the y-axis label."""
        self._key = key
        fg = chart_foreground(self).name()
        self._item.setTitle(key, color=fg, size="11pt")
        self._item.setLabel("left", key, color=fg)

    def set_empty_text(self, text: str) -> None:
        """Change the message shown when there is nothing to draw (e.g. a loading error)."""
        self._empty.setText(text or EMPTY_TEXT)

    def set_series(
        self,
        series: list[MetricSeries],
        labels: dict[str, str],
        colors: dict[str, QColor] | None = None,
    ) -> None:
        """Replace every curve with ``series`` (one per run), labelled and coloured by run id."""
        self.clear()
        self._labels = dict(labels)
        for index, one in enumerate(series):
            given = (colors or {}).get(one.run_id)
            self._add_run(one, QColor(given) if given is not None else run_color(index))
        self._item.enableAutoRange()
        self._update_empty_state()

    def update_series(self, series: MetricSeries) -> None:
        """Replace (or add) one run's curve, leaving the others untouched: for live runs."""
        if series.run_id in self._curves:
            self._series[series.run_id] = series
            self._draw(series.run_id)
        else:
            self._add_run(series, run_color(len(self._curves)))
        self._update_empty_state()

    def clear(self) -> None:
        """Remove every curve and show the empty-state text."""
        for curves in self._curves.values():
            self._item.removeItem(curves.main)
            self._item.removeItem(curves.shadow)
        self._curves.clear()
        self._series.clear()
        self._update_empty_state()

    def set_smoothing(self, weight: float) -> None:
        """Debiased EMA weight in ``[0, 0.99]``; above 0 the raw line stays as a faint shadow."""
        weight = min(max(float(weight), 0.0), MAX_WEIGHT)
        if weight != self._smoothing:
            self._smoothing = weight
            self._redraw_all()

    def set_log_y(self, enabled: bool) -> None:
        """Log-scale y axis; zero and negative values become gaps."""
        enabled = bool(enabled)
        if enabled != self._log_y:
            self._log_y = enabled
            self._item.setLogMode(x=False, y=enabled)
            self._redraw_all()
            self._item.enableAutoRange()

    def set_x_axis(self, mode: str) -> None:
        """Plot against ``"step"``, wall-clock ``"time"`` or ``"relative"`` time (s) per run."""
        if mode not in X_AXIS_MODES:
            raise ValueError(f"unknown x-axis mode {mode!r}; use one of {X_AXIS_MODES}")
        if mode != self._x_mode:
            self._x_mode = mode
            self._install_bottom_axis()
            self._redraw_all()
            self._item.enableAutoRange()

    # -- drawing ------------------------------------------------------------------------------

    def _add_run(self, series: MetricSeries, color: QColor) -> None:
        label = self._labels.get(series.run_id, series.run_id[:8])
        faint = QColor(color)
        faint.setAlpha(70)
        shadow = pg.PlotDataItem(pen=pg.mkPen(faint, width=1))
        main = pg.PlotDataItem(pen=pg.mkPen(color, width=2), name=label)
        for curve in (shadow, main):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self._item.addItem(shadow)
        self._item.addItem(main)
        self._curves[series.run_id] = _RunCurves(main, shadow, color)
        self._series[series.run_id] = series
        self._draw(series.run_id)

    def _redraw_all(self) -> None:
        for run_id in self._curves:
            self._draw(run_id)

    def _draw(self, run_id: str) -> None:
        series = self._series[run_id]
        curves = self._curves[run_id]
        x = self._x_values(series)
        y = np.asarray(series.values, dtype=np.float64)
        if x.size > 1 and not bool(np.all(x[1:] >= x[:-1])):
            order = np.argsort(x, kind="stable")  # clipping to the view needs increasing x
            x, y = x[order], y[order]
        if self._smoothing > 0.0:
            self._set_curve(curves.shadow, x, y)
            curves.shadow.show()
            self._set_curve(curves.main, x, smooth_ema(y, self._smoothing))
        else:
            curves.shadow.setData(x=np.empty(0), y=np.empty(0))
            curves.shadow.hide()
            self._set_curve(curves.main, x, y)

    def _set_curve(self, curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
        drawable = np.isfinite(y).all() and np.isfinite(x).all()
        if drawable and self._log_y:
            drawable = bool((y > 0).all())
        if drawable:  # the common case: no per-draw finite checks on a million points
            curve.setData(x=x, y=y, connect="all", skipFiniteCheck=True)
        else:
            curve.setData(x=x, y=y, connect="finite", skipFiniteCheck=False)

    def _x_values(self, series: MetricSeries) -> np.ndarray:
        if self._x_mode == "step":
            return np.asarray(series.steps, dtype=np.float64)
        times = np.asarray(series.timestamps, dtype=np.float64)
        if self._x_mode == "time" or times.size == 0:
            return times
        finite = np.flatnonzero(np.isfinite(times))
        return times - times[finite[0]] if finite.size else times

    def _install_bottom_axis(self) -> None:
        if self._x_mode == "time":
            axis: pg.AxisItem = pg.DateAxisItem(orientation="bottom")
        else:
            axis = pg.AxisItem(orientation="bottom")
        self._style_axis(axis)
        self._item.setAxisItems({"bottom": axis})
        text, units = _X_LABELS[self._x_mode]
        axis.setLabel(text, units=units, color=chart_foreground(self).name())
        self._item.showGrid(x=True, y=True, alpha=0.25)

    def _style_axis(self, axis: pg.AxisItem) -> None:
        axis.setPen(pg.mkPen("#888"))
        axis.setTextPen(pg.mkPen(chart_foreground(self)))

    def _apply_palette(self) -> None:
        """Colours from the current palette, so light and dark themes both read well."""
        fg = chart_foreground(self)
        self._plot.setBackground(chart_background(self))
        self._legend.setBrush(pg.mkBrush(label_fill(self, 210)))
        self._legend.setPen(pg.mkPen("#888"))
        self._legend.setLabelTextColor(fg)
        for side in ("left", "bottom"):
            self._style_axis(self._item.getAxis(side))
        text, units = _X_LABELS[self._x_mode]
        self._item.getAxis("bottom").setLabel(text, units=units, color=fg.name())
        if self._key:
            self.set_key(self._key)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _update_empty_state(self) -> None:
        self._stack.setCurrentWidget(self._plot if self._curves else self._empty)
