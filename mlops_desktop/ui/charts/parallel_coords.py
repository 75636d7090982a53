"""ParallelCoordinatesView: params and metrics of the selected runs on parallel axes.

Each run is a polyline across one vertical axis per column, in the run's own colour (the one
of the table and the charts), or coloured by a chosen metric (a colour bar shows the scale).
Titles are staggered and elided so that they stay readable at any width (the full key is the
tooltip). Drag along an axis to brush a range: runs outside every brush are dimmed and
``brushChanged`` gives the ids of those inside. Click an axis to clear its brush, right-click
it for a log scale; click a line to highlight it and read its run and values.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.charts.palette import (
    chart_background,
    chart_foreground,
    color_of_run,
    label_fill,
    run_label,
)
from mlops_desktop.ui.charts.parallel_axes import (
    ParallelAxis,
    build_axes,
    default_columns,
    format_number,
)
from mlops_desktop.ui.charts.parallel_brush import (
    MIN_BRUSH,
    BrushRange,
    BrushViewBox,
    runs_inside,
)
from mlops_desktop.ui.charts.parallel_layout import layout_titles

EMPTY_TEXT = "Select at least two runs to compare their parameters and metrics"
HINT_TEXT = "Drag along an axis to filter the runs table; click a line to see its run."
RUN_COLOR_TEXT = "Run colour"
_NO_COLOR = "#9e9e9e"
_MAX_CATEGORY_LABELS = 12
_DIM_ALPHA = 35
_TEXT_MARGIN = 2.0


class ParallelCoordinatesView(QWidget):
    """Parallel coordinates of params and metrics, one polyline per run.

    Signals:
        brushChanged(object): the ids (``set[str]``) of the runs inside every brush after a
            brush changed, or None once no axis is brushed.
    """

    brushChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[RunSummary] = []
        self._columns: list[str] | None = None
        self._axes: list[ParallelAxis] = []
        self._lines: list[pg.PlotCurveItem] = []
        self._colors: list[QColor] = []
        self._selected: int | None = None
        self._brushes: dict[str, BrushRange] = {}
        self._bands: dict[str, QGraphicsRectItem] = {}
        self._log_choice: dict[str, bool] = {}
        self._titles: list[tuple[pg.TextItem, str]] = []
        self._ticks: list[tuple[pg.TextItem, int, float, str]] = []
        self._notes: list[tuple[pg.TextItem, int]] = []
        self._cmap = pg.colormap.get("viridis")
        self._title_font = QFont()
        self._title_font.setBold(True)

        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setStyleSheet("color: #777; font-size: 14px;")
        self.color_combo = QComboBox()
        self.color_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.info_label = QLabel(HINT_TEXT)
        self.info_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info_label.setWordWrap(True)
        self.info_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._canvas = pg.GraphicsLayoutWidget()
        self._viewbox = BrushViewBox()
        self._viewbox.on_brush = self._on_brush_drag
        self._viewbox.on_axis_click = self._on_axis_click
        self._plot: pg.PlotItem = self._canvas.addPlot(row=0, col=0, viewBox=self._viewbox)
        for side in ("left", "bottom"):
            self._plot.hideAxis(side)
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._colorbar: pg.ColorBarItem | None = None

        page = QWidget()
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Colour by"))
        controls.addWidget(self.color_combo)
        controls.addStretch(1)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(controls)
        column.addWidget(self._canvas, 1)
        column.addWidget(self.info_label)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(page)
        self.color_combo.currentIndexChanged.connect(self._on_color_metric_chosen)
        self._viewbox.sigResized.connect(self._relayout)

    @property
    def axes(self) -> list[ParallelAxis]:
        """The axes drawn, left to right (for tests and tooltips)."""
        return list(self._axes)

    @property
    def color_metric(self) -> str | None:
        """The column lines are coloured by, or None for each run's own colour."""
        return self.color_combo.currentData()

    @property
    def runs(self) -> list[RunSummary]:
        return list(self._runs)

    def line_colors(self) -> list[QColor]:
        """The colour of each run's line, in run order (without the dimming of brushes)."""
        return [QColor(color) for color in self._colors]

    def line_alphas(self) -> list[int]:
        """Each line's opacity as drawn (dimmed lines lie outside a brush)."""
        return [line.opts["pen"].color().alpha() for line in self._lines]

    def title_items(self) -> list[pg.TextItem]:
        """The axis titles as drawn, left to right."""
        return [item for item, _full in self._titles]

    def set_runs(self, runs: list[RunSummary], columns: list[str] | None = None) -> None:
        """Draw ``runs`` across ``columns`` (``params.X``/``metrics.X``; None: a useful default).

        Brushes are kept when the runs are the same, else cleared (``brushChanged(None)``).
        """
        same = [r.id for r in runs] == [r.id for r in self._runs]
        self._runs = list(runs)
        self._columns = list(columns) if columns else None
        self._selected = None
        self.info_label.setText(HINT_TEXT)
        self._axes = build_axes(
            self._runs, self._columns or default_columns(self._runs), self._log_choice
        )
        had_brush = bool(self._brushes)
        known = {axis.column for axis in self._axes}
        self._brushes = {c: r for c, r in self._brushes.items() if same and c in known}
        previous = self.color_combo.currentData()
        metrics = [a.column for a in self._axes if not a.is_categorical]
        self.color_combo.blockSignals(True)
        self.color_combo.clear()
        self.color_combo.addItem(RUN_COLOR_TEXT, None)
        for name in metrics:
            self.color_combo.addItem(name, name)
        if previous in metrics:
            self.color_combo.setCurrentIndex(metrics.index(previous) + 1)
        self.color_combo.blockSignals(False)
        ready = len(self._runs) >= 2 and len(self._axes) >= 1
        self._stack.setCurrentIndex(1 if ready else 0)
        self._redraw()
        if had_brush and not self._brushes:
            self.brushChanged.emit(None)

    # -- brushes ------------------------------------------------------------------------------

    def brushes(self) -> dict[str, BrushRange]:
        """The brushed ranges by column, in axis positions (``0`` bottom, ``1`` top)."""
        return dict(self._brushes)

    def brushed_ids(self) -> set[str] | None:
        """The ids of the runs inside every brush, or None when nothing is brushed."""
        if not self._brushes:
            return None
        inside = self._inside()
        return {run.id for run, keep in zip(self._runs, inside, strict=True) if keep}

    def set_brush(self, column: str, low: float, high: float) -> None:
        """Brush ``column`` from ``low`` to ``high`` (axis positions) and tell the table."""
        self._brushes[column] = (min(low, high), max(low, high))
        self._draw_bands()
        self._apply_styles()
        self.brushChanged.emit(self.brushed_ids())

    def clear_brushes(self) -> None:
        """Remove every brush without emitting (the table clears its filter itself)."""
        self._brushes.clear()
        self._draw_bands()
        self._apply_styles()

    def set_axis_log(self, column: str, log: bool) -> None:
        """Show ``column`` in log scale (when its values are all positive) or linearly."""
        self._log_choice[column] = log
        self._brushes.pop(column, None)
        self.set_runs(self._runs, self._columns)

    def _inside(self) -> list[bool]:
        positions = {axis.column: axis.positions for axis in self._axes}
        return runs_inside(positions, self._brushes, len(self._runs))

    def _on_brush_drag(self, index: int, low: float, high: float, finished: bool) -> None:
        column = self._axes[index].column
        if high - low < MIN_BRUSH:
            self._brushes.pop(column, None)
        else:
            self._brushes[column] = (low, high)
        self._draw_bands()
        self._apply_styles()
        if finished:
            self.brushChanged.emit(self.brushed_ids())

    def _on_axis_click(self, index: int, button: Qt.MouseButton, screen_pos: QPointF) -> None:
        axis = self._axes[index]
        if button == Qt.MouseButton.LeftButton:
            if self._brushes.pop(axis.column, None) is not None:
                self._draw_bands()
                self._apply_styles()
                self.brushChanged.emit(self.brushed_ids())
            return
        if button != Qt.MouseButton.RightButton:
            return
        menu = QMenu(self)
        log_action = menu.addAction("Log scale")
        log_action.setCheckable(True)
        log_action.setChecked(axis.log)
        log_action.setEnabled(axis.can_log)
        clear_action = menu.addAction("Clear brush")
        clear_action.setEnabled(axis.column in self._brushes)
        chosen = menu.exec(screen_pos.toPoint())
        if chosen is log_action:
            self.set_axis_log(axis.column, not axis.log)
        elif chosen is clear_action:
            self._on_axis_click(index, Qt.MouseButton.LeftButton, screen_pos)

    # -- drawing ------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._redraw()

    def _redraw(self) -> None:
        self._canvas.setBackground(chart_background(self))
        self._plot.clear()
        self._lines, self._titles, self._ticks, self._notes = [], [], [], []
        self._bands = {}
        if self._colorbar is not None:
            self._canvas.removeItem(self._colorbar)
            self._colorbar = None
        self._viewbox.axis_count = 0
        if len(self._runs) < 2 or not self._axes:
            self._colors = []
            return
        count = len(self._axes)
        self._viewbox.axis_count = count
        self._draw_axes()
        self._colors = self._run_colors()
        x = np.arange(count, dtype=np.float64)
        for index, color in enumerate(self._colors):
            y = np.array([axis.positions[index] for axis in self._axes], dtype=np.float64)
            line = pg.PlotCurveItem(x=x, y=y, connect="finite", pen=pg.mkPen(color, width=2))
            line.setClickable(True, width=8)
            line.setZValue(1)
            line.sigClicked.connect(lambda _item, _ev, i=index: self._on_line_clicked(i))
            self._plot.addItem(line)
            self._lines.append(line)
        self._draw_bands()
        self._apply_styles()
        self._relayout()

    def _draw_axes(self) -> None:
        count = len(self._axes)
        xs = np.repeat(np.arange(count, dtype=np.float64), 2)
        ys = np.tile([0.0, 1.0], count)
        spine = pg.PlotCurveItem(x=xs, y=ys, connect="pairs", pen=pg.mkPen("#777", width=1.5))
        spine.setZValue(2)
        self._plot.addItem(spine)
        for index, axis in enumerate(self._axes):
            title = self._text(axis.title, index, 1.0, (0.5, 1.0), font=self._title_font)
            title.setToolTip(axis.column)
            self._titles.append((title, axis.title))
            if axis.is_categorical:
                categories = axis.categories or []
                step = max(1, math.ceil(len(categories) / _MAX_CATEGORY_LABELS))
                pairs = list(zip(axis.tick_positions, categories))[::step]
            else:
                pairs = list(zip(axis.tick_positions, axis.tick_labels))
            for position, label in pairs:
                tick = self._text(label, index, position, (0.0, 0.5))
                tick.setToolTip(label)
                self._ticks.append((tick, index, position, label))
            if axis.log:
                note = self._text("log", index, 0.0, (0.5, 0.0), color=QColor("#888"))
                self._notes.append((note, index))

    def _text(
        self,
        text: str,
        x: float,
        y: float,
        anchor: tuple[float, float],
        font: QFont | None = None,
        color: QColor | None = None,
    ) -> pg.TextItem:
        fill = pg.mkBrush(label_fill(self, 190))
        item = pg.TextItem(text, color=color or chart_foreground(self), anchor=anchor, fill=fill)
        item.textItem.document().setDocumentMargin(_TEXT_MARGIN)
        if font is not None:
            item.setFont(font)
        item.setZValue(3)
        item.setPos(x, y)
        self._plot.addItem(item)
        return item

    def _relayout(self) -> None:
        """Fit titles, ticks and the view range to the plot's size in pixels."""
        width, height = self._viewbox.width(), self._viewbox.height()
        count = len(self._axes)
        if count == 0 or not self._titles or width < 40 or height < 40:
            return
        title_metrics = QFontMetricsF(self._title_font)
        tick_metrics = QFontMetricsF(self.font())
        pad = 2 * _TEXT_MARGIN + 2
        widths = [title_metrics.horizontalAdvance(full) + pad for _item, full in self._titles]
        last_ticks = [
            tick_metrics.horizontalAdvance(text) + pad + 4
            for _item, index, _pos, text in self._ticks
            if index == count - 1
        ]
        layout = layout_titles(width, widths, max(last_ticks, default=0.0))
        line_height = title_metrics.height() + pad
        half_tick = (tick_metrics.height() + pad) / 2 + 1  # ticks at 0 and 1 reach this far
        top = half_tick + layout.rows * line_height + 4
        bottom = half_tick + tick_metrics.height() + pad + 2
        sx = layout.spacing if count > 1 else 1.0
        sy = max(height - top - bottom, 10.0)
        if count > 1:
            x_low, x_high = -layout.left / sx, (count - 1) + layout.right / sx
        else:
            x_low, x_high = -0.5, 0.5
            sx = width
        self._viewbox.setRange(
            xRange=(x_low, x_high), yRange=(-bottom / sy, 1 + top / sy), padding=0
        )
        for index, (item, full) in enumerate(self._titles):
            room = layout.title_width[index] - pad
            text = title_metrics.elidedText(full, Qt.TextElideMode.ElideRight, room)
            item.setText(text)
            row = index % layout.rows
            item.setPos(index, 1 + (half_tick + row * line_height) / sy)
        tick_room = (layout.spacing if count > 1 else width / 2) - pad - 10
        for item, index, position, full in self._ticks:
            if index == count - 1:
                text = full
            else:
                text = tick_metrics.elidedText(full, Qt.TextElideMode.ElideRight, tick_room)
            item.setText(text)
            item.setPos(index + 5 / sx, position)
        self._thin_ticks((tick_metrics.height() + pad) / sy)
        for item, index in self._notes:
            item.setPos(index, -half_tick / sy)
        for column, band in self._bands.items():
            index = next(i for i, a in enumerate(self._axes) if a.column == column)
            low, high = self._brushes[column]
            band.setRect(QRectF(index - 7 / sx, low, 14 / sx, high - low))

    def _thin_ticks(self, height: float) -> None:
        """Hide tick labels that would overlap another on their axis (the ends win)."""
        kept: dict[int, list[float]] = {}
        by_priority = sorted(self._ticks, key=lambda tick: min(tick[2], 1 - tick[2]))
        for item, index, position, _full in by_priority:
            near = kept.setdefault(index, [])
            visible = all(abs(position - other) >= height for other in near)
            item.setVisible(visible)
            if visible:
                near.append(position)

    def _draw_bands(self) -> None:
        for band in self._bands.values():
            self._plot.removeItem(band)
        self._bands = {}
        fill = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        fill.setAlpha(90)
        for column, (low, high) in self._brushes.items():
            band = QGraphicsRectItem(QRectF(0, low, 0, high - low))
            band.setBrush(pg.mkBrush(fill))
            band.setPen(pg.mkPen(self.palette().color(QPalette.ColorRole.Highlight), width=1))
            band.setZValue(2.5)
            self._plot.addItem(band)
            self._bands[column] = band
        self._relayout()

    def _apply_styles(self) -> None:
        inside = self._inside() if self._brushes else [True] * len(self._lines)
        for index, line in enumerate(self._lines):
            color = QColor(self._colors[index])
            chosen = self._selected == index
            dimmed = not inside[index] or (self._selected is not None and not chosen)
            color.setAlpha(_DIM_ALPHA if dimmed else 255)
            line.setPen(pg.mkPen(color, width=4 if chosen else 2))
            line.setZValue(1.5 if chosen else 1.2 if inside[index] else 1)

    def _run_colors(self) -> list[QColor]:
        column = self.color_combo.currentData()
        axis = next((a for a in self._axes if a.column == column), None)
        if axis is None or not math.isfinite(axis.low):
            return [color_of_run(run) for run in self._runs]
        low, high = axis.low, axis.high
        self._colorbar = pg.ColorBarItem(
            values=(low, high if high > low else low + 1.0),
            colorMap=self._cmap,
            interactive=False,
            label=axis.title,
            width=14,
        )
        self._colorbar.axis.setTextPen(pg.mkPen(chart_foreground(self)))
        self._canvas.addItem(self._colorbar, row=0, col=1)
        colors = []
        for value in axis.values:
            if not math.isfinite(value):
                colors.append(QColor(_NO_COLOR))
                continue
            fraction = 0.5 if high == low else (value - low) / (high - low)
            color = self._cmap.map(float(fraction), mode=pg.ColorMap.QCOLOR)
            colors.append(QColor(color))
        return colors

    # -- slots --------------------------------------------------------------------------------

    def _on_color_metric_chosen(self, _index: int) -> None:
        self._selected = None
        self._redraw()

    def _on_line_clicked(self, index: int) -> None:
        self._selected = index
        self._apply_styles()
        run = self._runs[index]
        values = ", ".join(f"{axis.title}={_display_value(axis, index)}" for axis in self._axes)
        self.info_label.setText(f"{run_label(run.name, run.id)}: {values}")


def _display_value(axis: ParallelAxis, index: int) -> str:
    if axis.is_categorical:
        position = axis.positions[index]
        if not math.isfinite(position):
            return "—"
        return (axis.categories or [])[axis.tick_positions.index(position)]
    value = axis.values[index]
    return format_number(value) if math.isfinite(value) else "—"
