"""One column's distribution: a histogram for numbers, a bar chart of the top categories."""

from __future__ import annotations

from itertools import pairwise

import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from mlops_desktop.core.datasets import ColumnProfile
from mlops_desktop.ui.charts.palette import chart_background, chart_foreground, run_color
from mlops_desktop.ui.widgets import EmptyState

MAX_CATEGORIES = 15
_LABEL_CHARS = 14


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


class DistributionChart(QWidget):
    """Shows the histogram or top categories of one :class:`ColumnProfile`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column: ColumnProfile | None = None
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self._item = self.plot.getPlotItem()
        self._item.showGrid(x=False, y=True, alpha=0.25)
        self.bars: pg.BarGraphItem | None = None
        self.empty = EmptyState("Select a column to see its distribution.")
        self._stack = QStackedWidget()
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        self._apply_palette()

    def set_column(self, column: ColumnProfile | None) -> None:
        """Draw ``column``'s histogram or top categories (None: a hint instead)."""
        self.column = column
        self._item.clear()
        self.bars = None
        if column is None:
            self._show_empty("Select a column to see its distribution.")
            return
        if column.histogram and len(column.histogram[0]) >= 2:
            self._draw_histogram(column)
        elif column.top:
            self._draw_categories(column)
        else:
            self._show_empty(f"No distribution for “{column.name}” ({column.type}).")
            return
        self._stack.setCurrentWidget(self.plot)

    def _show_empty(self, text: str) -> None:
        self.empty.set_text(text)
        self._stack.setCurrentWidget(self.empty)

    def _draw_histogram(self, column: ColumnProfile) -> None:
        edges, counts = column.histogram or ([], [])
        lefts = edges[:-1]
        widths = [b - a for a, b in pairwise(edges)]
        centers = [a + w / 2 for a, w in zip(lefts, widths, strict=False)]
        self.bars = pg.BarGraphItem(
            x=centers, height=list(counts), width=widths, brush=run_color(0), pen=pg.mkPen(None)
        )
        self._item.addItem(self.bars)
        self._item.getAxis("bottom").setTicks(None)
        self._label(column.name, "count")
        self._item.enableAutoRange()

    def _draw_categories(self, column: ColumnProfile) -> None:
        top = column.top[:MAX_CATEGORIES]
        xs = list(range(len(top)))
        self.bars = pg.BarGraphItem(
            x=xs, height=[c for _, c in top], width=0.7, brush=run_color(1), pen=pg.mkPen(None)
        )
        self._item.addItem(self.bars)
        ticks = [(i, _short(str(value))) for i, (value, _) in enumerate(top)]
        self._item.getAxis("bottom").setTicks([ticks])
        self._label(f"{column.name} (top {len(top)})", "count")
        self._item.enableAutoRange()

    def _label(self, bottom: str, left: str) -> None:
        fg = chart_foreground(self).name()
        self._item.setLabel("bottom", bottom, color=fg)
        self._item.setLabel("left", left, color=fg)

    def _apply_palette(self) -> None:
        fg = chart_foreground(self)
        self.plot.setBackground(chart_background(self))
        for side in ("left", "bottom"):
            axis = self._item.getAxis(side)
            axis.setPen(pg.mkPen("#888"))
            axis.setTextPen(pg.mkPen(fg))
        if self.column is not None:
            self.set_column(self.column)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
