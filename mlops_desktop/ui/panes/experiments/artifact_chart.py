"""A chart of a logged table's numeric columns: pick x and y, as a line or as points."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mlops_desktop.core.datasets import TablePreview
from mlops_desktop.ui.charts.palette import chart_background, chart_foreground, run_color

ROW_NUMBER = "(row number)"


def numeric_columns(table: TablePreview) -> dict[str, np.ndarray]:
    """The columns whose every non-empty value is a number, as floats (NaN where empty)."""
    out: dict[str, np.ndarray] = {}
    for index, name in enumerate(table.columns):
        values = np.full(len(table.rows), np.nan)
        numeric = False
        for row_index, row in enumerate(table.rows):
            text = row[index] if index < len(row) else ""
            if text == "":
                continue
            try:
                number = float(text)
            except ValueError:
                numeric = False
                break
            values[row_index] = number if math.isfinite(number) else np.nan
            numeric = True
        if numeric:
            out[name] = values
    return out


class TableChart(QWidget):
    """Plots one numeric column of a table against another (or against the row number)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._columns: dict[str, np.ndarray] = {}
        self.x_combo = QComboBox()
        self.y_combo = QComboBox()
        self.style_combo = QComboBox()
        self.style_combo.addItems(["Line", "Points"])
        self.plot = pg.PlotWidget()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        controls = QHBoxLayout()
        for label, combo in (("x", self.x_combo), ("y", self.y_combo), ("as", self.style_combo)):
            controls.addWidget(QLabel(label))
            controls.addWidget(combo)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        for combo in (self.x_combo, self.y_combo, self.style_combo):
            combo.currentIndexChanged.connect(self._draw)

    def set_table(self, table: TablePreview) -> bool:
        """Offer the table's numeric columns; False when it has none to plot."""
        self._columns = numeric_columns(table)
        names = list(self._columns)
        for combo in (self.x_combo, self.y_combo):
            combo.blockSignals(True)
            combo.clear()
        self.x_combo.addItem(ROW_NUMBER)
        self.x_combo.addItems(names)
        self.y_combo.addItems(names)
        if len(names) >= 2:
            self.x_combo.setCurrentIndex(1)
            self.y_combo.setCurrentIndex(1)
        for combo in (self.x_combo, self.y_combo):
            combo.blockSignals(False)
        self._draw()
        return bool(names)

    def series(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The x and y values drawn (for tests), or None."""
        y = self._columns.get(self.y_combo.currentText())
        if y is None:
            return None
        x = self._columns.get(self.x_combo.currentText())
        if x is None:
            x = np.arange(y.size, dtype=np.float64)
        keep = np.isfinite(x) & np.isfinite(y)
        return x[keep], y[keep]

    def _draw(self) -> None:
        self.plot.clear()
        self.plot.setBackground(chart_background(self))
        for side in ("left", "bottom"):
            axis = self.plot.getPlotItem().getAxis(side)
            axis.setTextPen(chart_foreground(self))
        self.plot.setLabel("bottom", self.x_combo.currentText())
        self.plot.setLabel("left", self.y_combo.currentText())
        data = self.series()
        if data is None:
            return
        x, y = data
        color = run_color(0)
        if self.style_combo.currentText() == "Points":
            self.plot.plot(x, y, pen=None, symbol="o", symbolSize=5, symbolBrush=color)
        else:
            order = np.argsort(x, kind="stable")
            self.plot.plot(x[order], y[order], pen=pg.mkPen(color, width=2))
