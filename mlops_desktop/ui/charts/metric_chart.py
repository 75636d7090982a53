"""MetricChart: one metric key of several runs overlaid, fast enough for millions of points."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPaintEvent
from PySide6.QtWidgets import (
    QLabel,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.runs import MetricSeries
from mlops_desktop.ui.charts.chart_axes import ReadableAxis, x_text
from mlops_desktop.ui.charts.chart_data import RunData
from mlops_desktop.ui.charts.chart_header import ChartHeader
from mlops_desktop.ui.charts.chart_range import Ranges, fit_view, view_bounds
from mlops_desktop.ui.charts.crosshair import Crosshair, ReadoutRow
from mlops_desktop.ui.charts.palette import chart_background, chart_foreground, stable_run_color
from mlops_desktop.ui.charts.run_curves import THIN, WIDE, CurvePool, RunCurves
from mlops_desktop.ui.charts.smoothing import MAX_WEIGHT

EMPTY_TEXT = "Select runs to chart their metrics"
X_AXIS_MODES = ("step", "time", "relative")
_X_LABELS = {"step": ("step", None), "time": ("time", None), "relative": ("relative time", "s")}


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
    drawingDeferred = Signal()  # new points wait until the chart shows (or draw_pending)

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self._runs: dict[str, RunCurves] = {}
        self._labels: dict[str, str] = {}
        self._key = ""
        self._smoothing = 0.0
        self._smoothable = True
        self._log_y = False
        self._x_mode = "step"
        self._compact = compact
        self._follow_data = True  # until the person pans or zooms: ranges fit the data
        self._refit = False  # fit the ranges exactly at the next flush

        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setStyleSheet("color: #777; font-size: 14px;")
        self.header = ChartHeader()
        self.title_label = self.header.title_label
        self.expand_button = self.header.expand_button
        self.readout_label = self.header.readout_label
        self.expand_button.clicked.connect(self.expandRequested)
        self.x_override = ""  # this chart's own x-axis mode, "" to follow the others
        self._plot = pg.PlotWidget(axisItems={"left": ReadableAxis("left")})
        self._item = self._plot.getPlotItem()
        self._item.showGrid(x=True, y=True, alpha=0.25)
        self._item.setDownsampling(auto=True, mode="peak")
        self._item.setClipToView(True)
        self._item.hideButtons()
        self._pool = CurvePool(self._item)
        self._install_bottom_axis()
        self._crosshair = Crosshair(
            self._item, self.readout_label, self._readout_rows, self._x_text
        )
        self._item.vb.sigYRangeChanged.connect(self._follow_y_range)
        self._item.vb.sigRangeChangedManually.connect(self._on_manual_range)
        self._item.disableAutoRange()
        self._plot.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._apply_palette()

        plot_page = QWidget()
        page = QVBoxLayout(plot_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        page.addWidget(self.header)
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
        data = self._runs[run_id].data
        return data.x, data.shown

    def nonfinite_marks(self, run_id: str) -> dict[str, np.ndarray]:
        """The x of the run's edge markers by kind (``+inf``, ``-inf``, ``nan``)."""
        marks = self._runs[run_id].marks
        return marks.positions if marks is not None else {}

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
        self.set_run_data([(one.run_id, RunData.of(one)) for one in series], labels, colors)

    def set_run_data(
        self,
        runs: list[tuple[str, RunData]],
        labels: dict[str, str],
        colors: dict[str, QColor] | None = None,
    ) -> None:
        """:meth:`set_series` for data already computed (in a worker) for this chart's mode."""
        self.clear()
        self._labels = dict(labels)
        for run_id, data in runs:
            given = (colors or {}).get(run_id)
            color = QColor(given) if given is not None else stable_run_color(run_id)
            if (data.mode, data.smoothing) != (self._x_mode, self.smoothing):
                data.compute(self._x_mode, self.smoothing)
            label = self._labels.get(run_id, run_id[:8])
            self._runs[run_id] = RunCurves(label, QColor(color), data)
        self._follow_data = True
        self._changed(refit=True)

    def update_series(self, series: MetricSeries, color: QColor | None = None) -> None:
        """Replace (or add) one run's whole curve, leaving the others untouched."""
        run = self._runs.get(series.run_id)
        if run is None:
            data = RunData.of(series, self._x_mode, self.smoothing)
            label = self._labels.get(series.run_id, series.run_id[:8])
            given = QColor(color) if color else stable_run_color(series.run_id)
            self._runs[series.run_id] = RunCurves(label, given, data)
        else:
            run.data = RunData.of(series)
            run.data.compute(self._x_mode, self.smoothing)
            run.dirty = True
        self._changed()

    def append_points(self, series: MetricSeries, color: QColor | None = None) -> None:
        """Add the new points ``series`` of a shown run (live): only they are smoothed anew."""
        run = self._runs.get(series.run_id)
        if run is None:
            self.update_series(series, color)
            return
        if len(series.values) == 0:
            return
        run.data.append(series, self._x_mode, self.smoothing)
        run.dirty = True
        self._changed()

    def clear(self) -> None:
        """Remove every curve and show the empty-state text."""
        for run in self._runs.values():
            run.release(self._pool, self._item)
        self._runs.clear()
        self._crosshair.hide()
        self._update_empty_state()

    def flush(self) -> None:
        """Give pyqtgraph the points it has not drawn yet, and fit the ranges to them."""
        self._apply_range()
        for run in self._runs.values():
            if run.dirty:
                run.draw(
                    self._pool,
                    self._item,
                    self.smoothing,
                    self._log_y,
                    THIN if self._compact else WIDE,
                )
        self._refresh_readout()

    def set_smoothing(self, weight: float) -> None:
        """Debiased EMA weight in ``[0, 0.99]``; above 0 the raw line stays as a faint shadow."""
        weight = min(max(float(weight), 0.0), MAX_WEIGHT)
        if weight != self._smoothing:
            self._smoothing = weight
            if self._smoothable:
                self._recompute_all()

    def set_smoothable(self, smoothable: bool) -> None:
        """Whether the smoothing applies here (system metrics are always drawn raw)."""
        if bool(smoothable) != self._smoothable:
            self._smoothable = bool(smoothable)
            self._recompute_all()

    def set_log_y(self, enabled: bool) -> None:
        """Log-scale y axis with decade ticks; zero and negative values become gaps."""
        enabled = bool(enabled)
        if enabled != self._log_y:
            self._log_y = enabled
            self._item.setLogMode(x=False, y=enabled)
            for run in self._runs.values():
                run.dirty = True
            self._follow_data = True
            self._changed(refit=True)

    def set_x_axis(self, mode: str) -> None:
        """Plot against ``"step"``, wall-clock ``"time"`` or ``"relative"`` time (s) per run."""
        if mode not in X_AXIS_MODES:
            raise ValueError(f"unknown x-axis mode {mode!r}; use one of {X_AXIS_MODES}")
        if mode != self._x_mode:
            self._x_mode = mode
            self._install_bottom_axis()
            self._follow_data = True
            self._recompute_all(refit=True)

    def set_compact(self, compact: bool) -> None:
        """Small multiple (swatches and values only, no axis title) or full size."""
        self._compact = bool(compact)
        self.header.set_compact(self._compact)
        for run in self._runs.values():  # thin lines in small charts: faster and clearer
            run.set_width(THIN if self._compact else WIDE)
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

    def _recompute_all(self, refit: bool = False) -> None:
        for run in self._runs.values():
            run.data.compute(self._x_mode, self.smoothing)
            run.dirty = True
        self._changed(refit=refit)

    def _changed(self, refit: bool = False) -> None:
        """After a data change: draw now if the chart is on screen, else when it is painted."""
        self._refit = self._refit or refit
        self._update_empty_state()
        if self.on_screen():
            self.flush()
        else:
            self.update()  # paintEvent flushes once the chart shows
            self.drawingDeferred.emit()

    def on_screen(self) -> bool:
        """Whether some of the chart is on screen (not scrolled away nor folded)."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    @property
    def pending(self) -> bool:
        """Whether points or a range fit wait to be handed to pyqtgraph."""
        return self._refit or any(run.dirty for run in self._runs.values())

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.pending:
            self.flush()
        super().paintEvent(event)

    def fit_to_data(self) -> None:
        """Fit both ranges to this chart's data again, and keep them fitted as points arrive."""
        self._follow_data = True
        self._refit = True
        self._apply_range()

    def _on_manual_range(self, *_args: object) -> None:
        self._follow_data = False

    def data_bounds(self) -> Ranges | None:
        """(x range, y range) of every drawable point, in view coordinates (log10 for log y)."""
        runs = self._runs.values()
        bounds = [r.data.log_bounds() if self._log_y else r.data.bounds for r in runs]
        return view_bounds([b for b in bounds if b is not None], self._log_y)

    def _apply_range(self) -> None:
        refit, self._refit = self._refit, False
        ranges = self.data_bounds() if self._follow_data else None
        if ranges is not None:
            fit_view(self._item.vb, ranges, exactly=refit)

    def _follow_y_range(self, _vb: object, y_range: tuple[float, float]) -> None:
        for run in self._runs.values():
            if run.marks is not None:
                run.marks.follow_view(float(y_range[0]), float(y_range[1]))

    def _readout_rows(self, x: float) -> list[ReadoutRow]:
        rows = []
        for run_id, run in self._runs.items():
            value, raw = run.data.value_at(x)
            label = run.label if not self._compact else ""
            rows.append(ReadoutRow(run_id, label, run.color, value, raw))
        return rows

    def _refresh_readout(self) -> None:
        if self._crosshair.visible:
            self._crosshair.show_at(self._crosshair.line.value())
        else:
            self._crosshair.show_last()

    def _x_text(self, x: float) -> str:
        return x_text(self._x_mode, x)

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
