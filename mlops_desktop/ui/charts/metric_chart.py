"""MetricChart: one metric key of several runs overlaid, fast enough for millions of points."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.runs import MetricSeries
from mlops_desktop.ui.charts.chart_axes import ReadableAxis, compact_number
from mlops_desktop.ui.charts.chart_marks import EdgeMarks, nonfinite_positions
from mlops_desktop.ui.charts.crosshair import Crosshair, ReadoutRow
from mlops_desktop.ui.charts.palette import chart_background, chart_foreground, stable_run_color
from mlops_desktop.ui.charts.smoothing import MAX_WEIGHT, EmaState, smooth_ema_from

EMPTY_TEXT = "Select runs to chart their metrics"
X_AXIS_MODES = ("step", "time", "relative")
_X_LABELS = {"step": ("step", None), "time": ("time", None), "relative": ("relative time", "s")}


@dataclass
class _Run:
    """One run's raw points (logging order), what is drawn, and its curves."""

    label: str
    color: QColor
    main: pg.PlotDataItem  # smoothed (or raw when not smoothing): solid
    shadow: pg.PlotDataItem  # raw, faint, only when smoothing
    marks: EdgeMarks
    steps: np.ndarray = field(default_factory=lambda: np.empty(0))
    times: np.ndarray = field(default_factory=lambda: np.empty(0))
    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    x: np.ndarray = field(default_factory=lambda: np.empty(0))  # increasing
    y: np.ndarray = field(default_factory=lambda: np.empty(0))  # raw, in x order
    shown: np.ndarray = field(default_factory=lambda: np.empty(0))  # main curve's y
    ema: EmaState = field(default_factory=EmaState)
    sorted_as_logged: bool = True
    bounds: _Bounds | None = None  # of every point with a finite x and y


@dataclass(frozen=True)
class _Bounds:
    """Data bounds of some points: x, y, and the smallest positive y (for log scale)."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    positive_lo: float  # inf when no y is positive

    @staticmethod
    def of(x: np.ndarray, y: np.ndarray) -> _Bounds | None:
        good_x = x[np.isfinite(x)]
        if good_x.size == 0:
            return None
        good_y = y[np.isfinite(y) & np.isfinite(x)]
        positive = good_y[good_y > 0]
        return _Bounds(
            float(good_x.min()),
            float(good_x.max()),
            float(good_y.min()) if good_y.size else np.inf,
            float(good_y.max()) if good_y.size else -np.inf,
            float(positive.min()) if positive.size else np.inf,
        )

    def union(self, other: _Bounds | None) -> _Bounds:
        if other is None:
            return self
        return _Bounds(
            min(self.x_lo, other.x_lo),
            max(self.x_hi, other.x_hi),
            min(self.y_lo, other.y_lo),
            max(self.y_hi, other.y_hi),
            min(self.positive_lo, other.positive_lo),
        )


class MetricChart(QWidget):
    """A line chart of one metric for several runs: crosshair readout, smoothing, log scale.

    Feed it plain :class:`MetricSeries`; each run keeps its stable colour. NaN and infinity
    are gaps in the lines, never affect the y range, and are marked at the chart's edge.
    Curves are downsampled to the view ("peak") and clipped to it. The title and the readout
    sit in a strip above the plot, so nothing covers the curves; the run legend is shared by
    every chart (:mod:`chart_legend`).

    Signals:
        expandRequested: the person double-clicked the plot or pressed its expand button.
    """

    expandRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self._runs: dict[str, _Run] = {}
        self._labels: dict[str, str] = {}
        self._key = ""
        self._smoothing = 0.0
        self._smoothable = True
        self._log_y = False
        self._x_mode = "step"
        self._compact = compact
        self._follow_data = True  # until the person pans or zooms: ranges fit the data

        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setStyleSheet("color: #777; font-size: 14px;")
        self.title_label = QLabel()
        bold = self.title_label.font()
        bold.setBold(True)
        self.title_label.setFont(bold)  # a font, not a style sheet: the palette stays in charge
        self.expand_button = QToolButton()
        self.expand_button.setText("⤢")
        self.expand_button.setAutoRaise(True)
        self.expand_button.setToolTip("Show this chart full size (or double-click it)")
        self.expand_button.clicked.connect(self.expandRequested)
        self.readout_label = QLabel(" ")
        self.readout_label.setTextFormat(Qt.TextFormat.RichText)
        self.readout_label.setWordWrap(True)
        self.x_override = ""  # this chart's own x-axis mode, "" to follow the others
        self._plot = pg.PlotWidget(axisItems={"left": ReadableAxis("left")})
        self._item = self._plot.getPlotItem()
        self._item.showGrid(x=True, y=True, alpha=0.25)
        self._item.setDownsampling(auto=True, mode="peak")
        self._item.setClipToView(True)
        self._item.hideButtons()
        self._install_bottom_axis()
        self._crosshair = Crosshair(
            self._item, self.readout_label, self._readout_rows, self._x_text
        )
        self._item.vb.sigYRangeChanged.connect(self._follow_y_range)
        self._item.vb.sigRangeChangedManually.connect(self._on_manual_range)
        self._item.disableAutoRange()
        self._plot.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._apply_palette()

        header = QWidget()
        top = QVBoxLayout(header)
        top.setContentsMargins(6, 2, 2, 0)
        top.setSpacing(0)
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.addWidget(self.title_label, 1)
        title_row.addWidget(self.expand_button)
        top.addLayout(title_row)
        top.addWidget(self.readout_label)
        plot_page = QWidget()
        page = QVBoxLayout(plot_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        page.addWidget(header)
        page.addWidget(self._plot, 1)
        self._stack = QStackedLayout(self)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(plot_page)
        self._plot_page = plot_page
        self.set_compact(compact)

    # -- public API ---------------------------------------------------------------------------

    @property
    def plot_item(self) -> pg.PlotItem:
        """The pyqtgraph PlotItem (for tests and for adding overlays)."""
        return self._item

    @property
    def crosshair(self) -> Crosshair:
        return self._crosshair

    @property
    def smoothing(self) -> float:
        """The smoothing weight in effect (0 when this chart is never smoothed)."""
        return self._smoothing if self._smoothable else 0.0

    @property
    def smoothable(self) -> bool:
        return self._smoothable

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
        return list(self._runs)

    def run_color(self, run_id: str) -> QColor:
        return QColor(self._runs[run_id].color)

    def curve_data(self, run_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the run's solid curve as given to pyqtgraph (smoothed when smoothing)."""
        run = self._runs[run_id]
        return run.x, run.shown

    def nonfinite_marks(self, run_id: str) -> dict[str, np.ndarray]:
        """The x of the run's edge markers by kind (``+inf``, ``-inf``, ``nan``)."""
        return self._runs[run_id].marks.positions

    def set_key(self, key: str) -> None:
        """Show ``key`` as the chart title."""
        self._key = key
        self.title_label.setText(key)
        self.title_label.setToolTip(key)

    def set_empty_text(self, text: str) -> None:
        """Change the message shown when there is nothing to draw (e.g. a loading error)."""
        self._empty.setText(text or EMPTY_TEXT)

    def set_series(
        self,
        series: list[MetricSeries],
        labels: dict[str, str],
        colors: dict[str, QColor] | None = None,
    ) -> None:
        """Replace every curve with ``series`` (one per run), labelled and coloured by run id.

        A run without a colour in ``colors`` gets its stable colour from its id.
        """
        self.clear()
        self._labels = dict(labels)
        for one in series:
            given = (colors or {}).get(one.run_id)
            color = QColor(given) if given is not None else stable_run_color(one.run_id)
            self._add_run(one, color)
        self._fit()
        self._update_empty_state()
        self._refresh_readout()

    def update_series(self, series: MetricSeries, color: QColor | None = None) -> None:
        """Replace (or add) one run's whole curve, leaving the others untouched."""
        run = self._runs.get(series.run_id)
        if run is None:
            self._add_run(series, QColor(color) if color else stable_run_color(series.run_id))
        else:
            run.steps, run.times, run.values = _columns(series)
            self._draw(run)
        self._apply_range()
        self._update_empty_state()
        self._refresh_readout()

    def append_points(self, series: MetricSeries, color: QColor | None = None) -> None:
        """Add the new points ``series`` of a shown run (live): only they are smoothed anew."""
        run = self._runs.get(series.run_id)
        if run is None:
            self.update_series(series, color)
            return
        if len(series.values) == 0:
            return
        steps, times, values = _columns(series)
        run.steps = np.concatenate((run.steps, steps))
        run.times = np.concatenate((run.times, times))
        run.values = np.concatenate((run.values, values))
        x_new = self._x_of(steps, times, run.times)
        if not run.sorted_as_logged or not _follows(run.x, x_new):
            self._draw(run)  # out of order: sort and smooth the whole series again
            self._apply_range()
            self._refresh_readout()
            return
        run.x = np.concatenate((run.x, x_new))
        run.y = run.values
        new_bounds = _Bounds.of(x_new, values)
        if new_bounds is not None:
            run.bounds = new_bounds.union(run.bounds)
        if self.smoothing > 0.0:
            smoothed, run.ema = smooth_ema_from(values, self.smoothing, run.ema)
            run.shown = np.concatenate((run.shown, smoothed))
        else:
            run.shown = run.y
        self._set_curves(run)
        self._apply_range()
        self._refresh_readout()

    def clear(self) -> None:
        """Remove every curve and show the empty-state text."""
        for run in self._runs.values():
            for item in (run.main, run.shadow, run.marks):
                self._item.removeItem(item)
        self._runs.clear()
        self._crosshair.hide()
        self._update_empty_state()

    def set_smoothing(self, weight: float) -> None:
        """Debiased EMA weight in ``[0, 0.99]``; above 0 the raw line stays as a faint shadow."""
        weight = min(max(float(weight), 0.0), MAX_WEIGHT)
        if weight != self._smoothing:
            self._smoothing = weight
            if self._smoothable:
                self._redraw_all()

    def set_smoothable(self, smoothable: bool) -> None:
        """Whether the smoothing applies here (system metrics are always drawn raw)."""
        if bool(smoothable) != self._smoothable:
            self._smoothable = bool(smoothable)
            self._redraw_all()

    def set_log_y(self, enabled: bool) -> None:
        """Log-scale y axis with decade ticks; zero and negative values become gaps."""
        enabled = bool(enabled)
        if enabled != self._log_y:
            self._log_y = enabled
            self._item.setLogMode(x=False, y=enabled)
            self._redraw_all()
            self._fit()

    def set_x_axis(self, mode: str) -> None:
        """Plot against ``"step"``, wall-clock ``"time"`` or ``"relative"`` time (s) per run."""
        if mode not in X_AXIS_MODES:
            raise ValueError(f"unknown x-axis mode {mode!r}; use one of {X_AXIS_MODES}")
        if mode != self._x_mode:
            self._x_mode = mode
            self._install_bottom_axis()
            self._redraw_all()
            self._fit()

    def set_compact(self, compact: bool) -> None:
        """Small multiple (swatches and values only, no axis title) or full size."""
        self._compact = bool(compact)
        self.expand_button.setVisible(self._compact)
        if self._compact:  # a fixed strip: hovering never resizes the plot
            lines = self.readout_label.fontMetrics().lineSpacing()
            self.readout_label.setFixedHeight(2 * lines + 2)
        else:
            self.readout_label.setMinimumHeight(0)
            self.readout_label.setMaximumHeight(16777215)
        text, units = _X_LABELS[self._x_mode]
        fg = chart_foreground(self).name()
        self._item.getAxis("bottom").setLabel(
            None if self._compact else text, units=None if self._compact else units, color=fg
        )
        self._item.getAxis("bottom").showLabel(not self._compact)
        self._refresh_readout()

    def show_crosshair_at(self, x: float) -> list[ReadoutRow]:
        """Show the crosshair at data ``x``; returns the readout rows shown."""
        return self._crosshair.show_at(x)

    def hover_scene_pos(self, scene_pos: QPointF) -> None:
        """What a mouse move over the plot does (tests call it with a scene position)."""
        self._crosshair.on_mouse_moved(scene_pos)

    # -- drawing ------------------------------------------------------------------------------

    def _add_run(self, series: MetricSeries, color: QColor) -> None:
        label = self._labels.get(series.run_id, series.run_id[:8])
        faint = QColor(color)
        faint.setAlpha(70)
        shadow = pg.PlotDataItem(pen=pg.mkPen(faint, width=1))
        main = pg.PlotDataItem(pen=pg.mkPen(color, width=2 if not self._compact else 1.5))
        for curve in (shadow, main):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        marks = EdgeMarks(color)
        self._item.addItem(shadow)
        self._item.addItem(main)
        self._item.addItem(marks)
        run = _Run(label, QColor(color), main, shadow, marks)
        run.steps, run.times, run.values = _columns(series)
        self._runs[series.run_id] = run
        self._draw(run)

    def _redraw_all(self) -> None:
        for run in self._runs.values():
            self._draw(run)
        self._refresh_readout()

    def _draw(self, run: _Run) -> None:
        x = self._x_of(run.steps, run.times, run.times)
        y = run.values
        run.sorted_as_logged = x.size < 2 or bool(np.all(x[1:] >= x[:-1]))
        if not run.sorted_as_logged:
            order = np.argsort(x, kind="stable")  # clipping to the view needs increasing x
            x, y = x[order], y[order]
        run.x, run.y = x, y
        run.bounds = _Bounds.of(x, y)
        if self.smoothing > 0.0:
            run.shown, run.ema = smooth_ema_from(y, self.smoothing, EmaState())
        else:
            run.shown, run.ema = y, EmaState()
        self._set_curves(run)

    def _set_curves(self, run: _Run) -> None:
        if self.smoothing > 0.0:
            self._set_curve(run.shadow, run.x, run.y)
            run.shadow.show()
        else:
            run.shadow.setData(x=np.empty(0), y=np.empty(0))
            run.shadow.hide()
        self._set_curve(run.main, run.x, run.shown)
        lone = run.x.size <= 2
        if lone != (run.main.opts["symbol"] is not None):  # a point or two: draw them as dots
            run.main.setSymbol("o" if lone else None)
            run.main.setSymbolSize(6)
            run.main.setSymbolBrush(run.color)
            run.main.setSymbolPen(run.color)
        run.marks.set_positions(nonfinite_positions(run.x, run.y))

    def _set_curve(self, curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
        drawable = bool(np.isfinite(y).all() and np.isfinite(x).all())
        if drawable and self._log_y:
            drawable = bool((y > 0).all())
        if drawable:  # the common case: no per-draw finite checks on a million points
            curve.setData(x=x, y=y, connect="all", skipFiniteCheck=True)
        else:
            curve.setData(x=x, y=y, connect="finite", skipFiniteCheck=False)

    def _x_of(self, steps: np.ndarray, times: np.ndarray, all_times: np.ndarray) -> np.ndarray:
        """x of points in the current mode; relative time counts from the run's first time."""
        if self._x_mode == "step":
            return steps.astype(np.float64)
        if self._x_mode == "time" or all_times.size == 0:
            return times
        finite = np.flatnonzero(np.isfinite(all_times))
        return times - all_times[finite[0]] if finite.size else times

    def fit_to_data(self) -> None:
        """Fit both ranges to this chart's data again, and keep them fitted as points arrive."""
        self._follow_data = True
        self._apply_range()

    def _fit(self) -> None:
        """Recompute both ranges from this chart's own data (never keep a previous range)."""
        self.fit_to_data()

    def _on_manual_range(self, *_args: object) -> None:
        self._follow_data = False

    def data_bounds(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """(x range, y range) of every drawable point, in view coordinates (log10 for log y)."""
        total: _Bounds | None = None
        for run in self._runs.values():
            if run.bounds is not None:
                total = run.bounds if total is None else total.union(run.bounds)
        if total is None:
            return None
        if self._log_y:
            if not np.isfinite(total.positive_lo):
                y_lo = y_hi = 0.0
            else:
                y_lo, y_hi = np.log10(total.positive_lo), np.log10(max(total.y_hi, 1e-300))
        elif total.y_lo > total.y_hi:
            y_lo = y_hi = 0.0  # no finite value at all: only edge markers
        else:
            y_lo, y_hi = total.y_lo, total.y_hi
        return _widen(total.x_lo, total.x_hi), _widen(float(y_lo), float(y_hi))

    def _apply_range(self) -> None:
        if not self._follow_data:
            return
        bounds = self.data_bounds()
        if bounds is None:
            return
        (x_lo, x_hi), (y_lo, y_hi) = bounds
        self._item.vb.setRange(xRange=(x_lo, x_hi), yRange=(y_lo, y_hi), padding=0.04)

    def _follow_y_range(self, _vb: object, y_range: tuple[float, float]) -> None:
        for run in self._runs.values():
            run.marks.follow_view(float(y_range[0]), float(y_range[1]))

    def _readout_rows(self, x: float) -> list[ReadoutRow]:
        rows = []
        for run_id, run in self._runs.items():
            at = int(np.searchsorted(run.x, x, side="right")) - 1
            value = float(run.shown[at]) if at >= 0 else None
            raw = float(run.y[at]) if at >= 0 else None
            label = run.label if not self._compact else ""
            rows.append(ReadoutRow(run_id, label, run.color, value, raw))
        return rows

    def _refresh_readout(self) -> None:
        if self._crosshair.visible:
            self._crosshair.show_at(self._crosshair.line.value())
        else:
            self._crosshair.show_last()

    def _x_text(self, x: float) -> str:
        if self._x_mode == "time":
            return datetime.fromtimestamp(x).strftime("%Y-%m-%d %H:%M:%S")
        if self._x_mode == "relative":
            return f"{compact_number(x)} s"
        return f"step {x:,.0f}" if abs(x) < 1e15 else f"step {compact_number(x)}"

    def _on_scene_clicked(self, event: object) -> None:
        if getattr(event, "double", lambda: False)():
            self.expandRequested.emit()

    def _install_bottom_axis(self) -> None:
        if self._x_mode == "time":
            axis: pg.AxisItem = pg.DateAxisItem(orientation="bottom")
        else:
            axis = ReadableAxis("bottom")
        axis.enableAutoSIPrefix(False)
        self._style_axis(axis)
        self._item.setAxisItems({"bottom": axis})
        text, units = _X_LABELS[self._x_mode]
        if not self._compact:
            axis.setLabel(text, units=units, color=chart_foreground(self).name())
        self._item.showGrid(x=True, y=True, alpha=0.25)

    def _style_axis(self, axis: pg.AxisItem) -> None:
        axis.setPen(pg.mkPen("#888"))
        axis.setTextPen(pg.mkPen(chart_foreground(self)))

    def _apply_palette(self) -> None:
        """Colours from the current palette, so light and dark themes both read well."""
        fg = chart_foreground(self)
        self._plot.setBackground(chart_background(self))
        for side in ("left", "bottom"):
            self._style_axis(self._item.getAxis(side))
        if not self._compact:
            text, units = _X_LABELS[self._x_mode]
            self._item.getAxis("bottom").setLabel(text, units=units, color=fg.name())
        self._crosshair.apply_palette(fg)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def leaveEvent(self, event: QEvent) -> None:
        self._crosshair.hide()
        super().leaveEvent(event)

    def _update_empty_state(self) -> None:
        self._stack.setCurrentWidget(self._plot_page if self._runs else self._empty)


def _columns(series: MetricSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.asarray(series.steps),
        np.asarray(series.timestamps, dtype=np.float64),
        np.asarray(series.values, dtype=np.float64),
    )


def _widen(low: float, high: float) -> tuple[float, float]:
    """A range around a single value, so a one-point series still shows."""
    if high > low:
        return low, high
    half = abs(low) * 0.05 or 0.5
    return low - half, high + half


def _follows(x: np.ndarray, new: np.ndarray) -> bool:
    """Whether ``new`` continues the increasing ``x`` in order."""
    if new.size > 1 and not bool(np.all(new[1:] >= new[:-1])):
        return False
    return x.size == 0 or new.size == 0 or bool(new[0] >= x[-1])
