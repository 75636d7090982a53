"""ParallelCoordinatesView: params and metrics of the selected runs on parallel axes.

Each run is a polyline across one vertical axis per column, coloured by a chosen metric (a
colour bar shows the scale). Click a line to highlight it and read its run and values.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.charts.palette import (
    chart_background,
    chart_foreground,
    label_fill,
    run_label,
)
from mlops_desktop.ui.charts.parallel_axes import (
    ParallelAxis,
    build_axes,
    default_columns,
    format_number,
)

EMPTY_TEXT = "Select at least two runs to compare their parameters and metrics"
_NO_COLOR = "#9e9e9e"
_MAX_TITLE = 18
_MAX_CATEGORY_LABELS = 12


class ParallelCoordinatesView(QWidget):
    """Parallel coordinates of params and metrics, one polyline per run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[RunSummary] = []
        self._axes: list[ParallelAxis] = []
        self._lines: list[pg.PlotCurveItem] = []
        self._selected: int | None = None
        self._cmap = pg.colormap.get("viridis")

        self._empty = QLabel(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setStyleSheet("color: #777; font-size: 14px;")
        self.color_combo = QComboBox()
        self.color_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.info_label = QLabel("Click a line to see its run.")
        self.info_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info_label.setWordWrap(True)
        self.info_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._canvas = pg.GraphicsLayoutWidget()
        self._plot: pg.PlotItem = self._canvas.addPlot(row=0, col=0)
        for side in ("left", "bottom"):
            self._plot.hideAxis(side)
        self._plot.setMouseEnabled(x=False, y=False)
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

    @property
    def axes(self) -> list[ParallelAxis]:
        """The axes drawn, left to right (for tests and tooltips)."""
        return list(self._axes)

    @property
    def color_metric(self) -> str | None:
        return self.color_combo.currentData()

    def line_colors(self) -> list[QColor]:
        """The colour of each run's line, in run order."""
        return [QColor(line.opts["pen"].color()) for line in self._lines]

    def set_runs(self, runs: list[RunSummary], columns: list[str] | None = None) -> None:
        """Draw ``runs`` across ``columns`` (``params.X``/``metrics.X``; None: a useful default)."""
        self._runs = list(runs)
        self._selected = None
        self.info_label.setText("Click a line to see its run.")
        self._axes = build_axes(self._runs, columns or default_columns(self._runs))
        previous = self.color_combo.currentData()
        metrics = [a.column for a in self._axes if not a.is_categorical]
        self.color_combo.blockSignals(True)
        self.color_combo.clear()
        for name in metrics:
            self.color_combo.addItem(name, name)
        if previous in metrics:
            self.color_combo.setCurrentIndex(metrics.index(previous))
        elif metrics:
            first_metric = next((m for m in metrics if m.startswith("metrics.")), metrics[0])
            self.color_combo.setCurrentIndex(metrics.index(first_metric))
        self.color_combo.blockSignals(False)
        ready = len(self._runs) >= 2 and len(self._axes) >= 1
        self._stack.setCurrentIndex(1 if ready else 0)
        self._redraw()

    # -- drawing ------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._redraw()

    def _redraw(self) -> None:
        self._canvas.setBackground(chart_background(self))
        self._plot.clear()
        self._lines = []
        if self._colorbar is not None:
            self._canvas.removeItem(self._colorbar)
            self._colorbar = None
        if len(self._runs) < 2 or not self._axes:
            return
        count = len(self._axes)
        self._draw_axes()
        colors = self._run_colors()
        x = np.arange(count, dtype=np.float64)
        for index, color in enumerate(colors):
            y = np.array([axis.positions[index] for axis in self._axes], dtype=np.float64)
            line = pg.PlotCurveItem(x=x, y=y, connect="finite", pen=pg.mkPen(color, width=2))
            line.setClickable(True, width=8)
            line.setZValue(1)
            line.sigClicked.connect(lambda _item, _ev, i=index: self._on_line_clicked(i))
            self._plot.addItem(line)
            self._lines.append(line)
        self._plot.setXRange(-0.35, count - 0.65 + 0.35, padding=0)
        self._plot.setYRange(-0.12, 1.16, padding=0)

    def _draw_axes(self) -> None:
        count = len(self._axes)
        xs = np.repeat(np.arange(count, dtype=np.float64), 2)
        ys = np.tile([0.0, 1.0], count)
        spine = pg.PlotCurveItem(x=xs, y=ys, connect="pairs", pen=pg.mkPen("#555", width=1.5))
        spine.setZValue(2)
        self._plot.addItem(spine)
        title_font = QFont()
        title_font.setBold(True)
        stagger = count > 7
        for index, axis in enumerate(self._axes):
            title = _elide(axis.title, _MAX_TITLE)
            top = 1.03 + (0.06 if stagger and index % 2 else 0.0)
            self._text(title, index, top, (0.5, 1.0), font=title_font)
            if axis.is_categorical:
                self._category_ticks(index, axis)
            elif axis.tick_positions == [0.5]:
                self._text(format_number(axis.low), index, 0.5, (-0.08, 0.5))
            elif math.isfinite(axis.low):
                self._text(format_number(axis.high), index, 1.0, (-0.08, 0.5))
                self._text(format_number(axis.low), index, 0.0, (-0.08, 0.5))
                if axis.log:
                    self._text("log scale", index, -0.03, (0.5, 0.0), color=QColor("#777"))

    def _category_ticks(self, index: int, axis: ParallelAxis) -> None:
        categories = axis.categories or []
        step = max(1, math.ceil(len(categories) / _MAX_CATEGORY_LABELS))
        for position, name in list(zip(axis.tick_positions, categories))[::step]:
            self._text(_elide(name, 14), index, position, (-0.08, 0.5))

    def _text(
        self,
        text: str,
        x: float,
        y: float,
        anchor: tuple[float, float],
        font: QFont | None = None,
        color: QColor | None = None,
    ) -> None:
        fill = pg.mkBrush(label_fill(self, 190))
        item = pg.TextItem(text, color=color or chart_foreground(self), anchor=anchor, fill=fill)
        if font is not None:
            item.setFont(font)
        item.setZValue(3)
        item.setPos(x, y)
        self._plot.addItem(item)

    def _run_colors(self) -> list[QColor]:
        column = self.color_combo.currentData()
        axis = next((a for a in self._axes if a.column == column), None)
        if axis is None or not math.isfinite(axis.low):
            return [QColor(_NO_COLOR) for _ in self._runs]
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
        for i, line in enumerate(self._lines):
            pen = line.opts["pen"]
            color = QColor(pen.color())
            color.setAlpha(255 if i == index else 50)
            line.setPen(pg.mkPen(color, width=4 if i == index else 2))
            line.setZValue(1.5 if i == index else 1)
        run = self._runs[index]
        values = ", ".join(f"{axis.title}={_display_value(axis, index)}" for axis in self._axes)
        self.info_label.setText(f"{run_label(run.name, run.id)}: {values}")


def _elide(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display_value(axis: ParallelAxis, index: int) -> str:
    if axis.is_categorical:
        position = axis.positions[index]
        if not math.isfinite(position):
            return "—"
        return (axis.categories or [])[axis.tick_positions.index(position)]
    value = axis.values[index]
    return format_number(value) if math.isfinite(value) else "—"
