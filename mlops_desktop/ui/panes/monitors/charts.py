"""Hardware charts: one figure of a machine over a minute, an hour or a day, one line per device.

Each line is one PlotDataItem fed with ``setData`` (never rebuilt). When the history was
downsampled, two faint lines mark each bucket's min and max around the mean. NaN is a gap.
Time runs to 0 at the newest point ("s ago", "min ago", "h ago"), so the axes stay put while
the lines move, and their text is painted once and then cached (axis text is what costs most).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QSizePolicy, QWidget

from mlops_desktop.monitoring.history import SeriesView
from mlops_desktop.ui.charts.palette import chart_background, chart_foreground, label_fill


@dataclass
class _Line:
    mean: pg.PlotDataItem
    low: pg.PlotDataItem
    high: pg.PlotDataItem


class HardwareChart(pg.PlotWidget):
    """A titled time chart with units on the y axis and a legend of its lines.

    Args:
        title: what it shows ("GPU power").
        units: shown on the y axis ("W", "%", "GiB", "°C").
        scale: each value is divided by it (bytes to GiB).
        top: a fixed top of the y range (100 for percentages), else automatic.
    """

    def __init__(
        self,
        title: str,
        units: str,
        scale: float = 1.0,
        top: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent=parent)
        self.title = title
        self.units = units
        self.scale = scale
        self.top = top
        self.lines: dict[str, _Line] = {}
        self.span = (0.0, 1.0, "s")  # seconds shown, seconds per x unit, the unit's name
        item = self.getPlotItem()
        for side in ("left", "bottom"):
            item.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        item.titleLabel.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.legend = item.addLegend(offset=(4, 4), colCount=4, labelTextSize="7pt")
        self.legend.setColumnCount(4)
        if top is not None:
            item.setYRange(0, top, padding=0.02)
        else:
            item.enableAutoRange(axis="y")
        self.setMinimumHeight(120)
        self.setMinimumWidth(160)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.apply_palette()

    def set_line(self, name: str, view: SeriesView, color: QColor, end: float) -> None:
        """Show ``view`` as the line ``name``, ending at ``end`` (NaN is a gap)."""
        line = self.lines.get(name) or self._add_line(name, color)
        x = (view.t - end) / self.span[1]
        line.mean.setData(x, view.mean / self.scale, connect="finite")
        if view.banded:
            line.low.setData(x, view.low / self.scale, connect="finite")
            line.high.setData(x, view.high / self.scale, connect="finite")
            line.low.show()
            line.high.show()
        elif line.low.isVisible():
            line.low.hide()
            line.high.hide()

    def line_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of a line's mean as drawn: x in the span's unit before the newest point."""
        x, y = self.lines[name].mean.getData()
        return np.asarray(x), np.asarray(y)

    def keep_lines(self, names: set[str]) -> None:
        """Remove the lines not in ``names`` (a GPU went away)."""
        for name in [n for n in self.lines if n not in names]:
            line = self.lines.pop(name)
            for curve in (line.mean, line.low, line.high):
                self.getPlotItem().removeItem(curve)
            self.legend.removeItem(name)

    def set_span(self, seconds: float) -> None:
        """Show the last ``seconds``, in seconds, minutes or hours before now."""
        unit = (1.0, "s ago") if seconds <= 120 else (60.0, "min ago")
        if seconds > 4 * 3600:
            unit = (3600.0, "h ago")
        span = (seconds, unit[0], unit[1])
        if span != self.span:
            self.span = span
            self.getPlotItem().setXRange(-seconds / unit[0], 0, padding=0)
            self.getPlotItem().setLabel("bottom", unit[1], color=chart_foreground(self).name())

    def _add_line(self, name: str, color: QColor) -> _Line:
        faint = QColor(color)
        faint.setAlpha(90)
        item = self.getPlotItem()
        line = _Line(
            mean=item.plot(pen=pg.mkPen(color, width=1.6), name=name),
            low=item.plot(pen=pg.mkPen(faint, width=1)),
            high=item.plot(pen=pg.mkPen(faint, width=1)),
        )
        line.low.hide()
        line.high.hide()
        self.lines[name] = line
        return line

    def apply_palette(self) -> None:
        """Colours from the current palette (light or dark)."""
        fg = chart_foreground(self)
        item = self.getPlotItem()
        self.setBackground(chart_background(self))
        item.setTitle(self.title, color=fg.name(), size="9pt")
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen("#888"))
            axis.setTextPen(pg.mkPen(fg))
        item.setLabel("left", units=self.units, color=fg.name())
        item.setLabel("bottom", self.span[2], color=fg.name())
        item.getAxis("left").enableAutoSIPrefix(False)
        self.legend.setBrush(pg.mkBrush(label_fill(self, 180)))
        self.legend.setLabelTextColor(fg)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "legend"):
            self.apply_palette()
