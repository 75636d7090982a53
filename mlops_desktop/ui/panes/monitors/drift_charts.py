"""The Drift tab's charts: drift share over windows, performance over windows, and one column's
reference-vs-current distribution.

x is the window number (one point per window). Colours follow the palette (light or dark) and
are set again when it changes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSizePolicy, QWidget

from mlops_desktop.core.drift import ColumnDistribution, DriftWindow
from mlops_desktop.ui.charts.palette import (
    chart_background,
    chart_foreground,
    label_fill,
    run_color,
)

SHARE_THRESHOLD = 0.5
HEADROOM = 1.08  # the top of a chart's y range over its data's top
SHARE_COLOR = "#1f77b4"
DRIFTED_COLOR = "#d62728"
REFERENCE_COLOR = "#7f7f7f"
CURRENT_COLOR = "#ff7f0e"


class DriftPlot(pg.PlotWidget):
    """A titled plot with labelled axes and a legend, coloured from the palette."""

    def __init__(self, title: str, bottom: str, left: str, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.title = title
        self.labels = {"bottom": bottom, "left": left}
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        # one row in the title's line, right-aligned (the title goes left): never over data
        self.legend = pg.LegendItem(labelTextSize="7pt", colCount=4, verSpacing=-4)
        self.legend.setParentItem(item)
        self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-2, -2))
        item.legend = self.legend
        self.setMinimumHeight(140)
        self.setMinimumWidth(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.apply_palette()

    def apply_palette(self) -> None:
        fg = chart_foreground(self)
        item = self.getPlotItem()
        self.setBackground(chart_background(self))
        item.setTitle(self.title, color=fg.name(), size="9pt", justify="left")
        for side, text in self.labels.items():
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen("#888"))
            axis.setTextPen(pg.mkPen(fg))
            axis.setSIPrefixEnableRanges(())  # shares stay 0.1, never "100 m"
            axis.enableAutoSIPrefix(False)
            item.setLabel(side, text, color=fg.name())
        self.legend.setBrush(pg.mkBrush(label_fill(self, 180)))
        self.legend.setLabelTextColor(fg)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "legend"):
            self.apply_palette()


class DriftShareChart(DriftPlot):
    """The share of columns that drifted, per window, with the dataset-drift threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dataset drift over time", "window", "share of columns drifted", parent)
        item = self.getPlotItem()
        self.line = item.plot(
            pen=pg.mkPen(SHARE_COLOR, width=2),
            symbol="o",
            symbolSize=6,
            symbolBrush=SHARE_COLOR,
            symbolPen=None,
            name="drift share",
        )
        self.drifted = item.plot(
            pen=None,
            symbol="x",
            symbolSize=12,
            symbolPen=pg.mkPen(DRIFTED_COLOR, width=2),
            symbolBrush=DRIFTED_COLOR,
            name="dataset drift",
        )
        self.threshold = pg.InfiniteLine(
            pos=SHARE_THRESHOLD,
            angle=0,
            pen=pg.mkPen(DRIFTED_COLOR, width=1, style=Qt.PenStyle.DashLine),
        )
        item.addItem(self.threshold)
        self.legend.addItem(
            pg.PlotDataItem(pen=self.threshold.pen), f"threshold {SHARE_THRESHOLD:g}"
        )
        item.setYRange(0, HEADROOM, padding=0.02)
        ticks = [(v, f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]
        item.getAxis("left").setTicks([ticks])

    def set_windows(self, windows: list[DriftWindow], threshold: float = SHARE_THRESHOLD) -> None:
        """One point per checked window; windows whose data could not be checked are gaps."""
        x = np.array([w.index for w in windows], dtype=float)
        y = np.array([w.report.drift_share if w.report else np.nan for w in windows], dtype=float)
        self.line.setData(x, y, connect="finite")
        marked = [w for w in windows if w.report and w.report.dataset_drift]
        self.drifted.setData(
            np.array([w.index for w in marked], dtype=float),
            np.array([w.report.drift_share for w in marked if w.report], dtype=float),
        )
        self.threshold.setValue(threshold)
        if x.size:
            self.getPlotItem().setXRange(x.min() - 0.5, x.max() + 0.5, padding=0)

    def share_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(window, drift share) as drawn."""
        return _xy(self.line)

    def drifted_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(window, drift share) of the windows marked as dataset drift."""
        return _xy(self.drifted)


class PerformanceChart(DriftPlot):
    """The model's metrics per window, where the window had labels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Performance", "window", "metric", parent)
        self.lines: dict[str, pg.PlotDataItem] = {}

    def set_windows(self, windows: list[DriftWindow]) -> bool:
        """Draw a line per metric; False when no window has one (the chart can hide)."""
        names: dict[str, None] = {}
        for w in windows:
            names.update(dict.fromkeys(w.performance))
        for name in [n for n in self.lines if n not in names]:
            self.getPlotItem().removeItem(self.lines.pop(name))
            self.legend.removeItem(name)
        for i, name in enumerate(names):
            line = self.lines.get(name)
            if line is None:
                color = run_color(i)
                line = self.getPlotItem().plot(
                    pen=pg.mkPen(color, width=2),
                    symbol="o",
                    symbolSize=5,
                    symbolBrush=color,
                    symbolPen=None,
                    name=name,
                )
                self.lines[name] = line
            x = np.array([w.index for w in windows], dtype=float)
            y = np.array([w.performance.get(name, np.nan) for w in windows], dtype=float)
            line.setData(x, y, connect="finite")
        values = np.array(
            [v for w in windows for v in w.performance.values() if np.isfinite(v)], dtype=float
        )
        if values.size:
            low, high = float(values.min()), float(values.max())
            low = min(low, 0.0) if low >= 0 and high <= 1 else low
            self.getPlotItem().setYRange(low, high + (high - low or 1.0) * (HEADROOM - 1))
        return bool(names)


class DistributionChart(DriftPlot):
    """A column's reference beside one window: histogram bars, or bars per category."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Click a cell", "value", "share of rows", parent)
        self.bars: list[pg.BarGraphItem] = []
        self.distribution: ColumnDistribution | None = None
        for name, color in (("reference", REFERENCE_COLOR), ("current", CURRENT_COLOR)):
            self.legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=1, brush=color), name)

    def clear_bars(self) -> None:
        for bar in self.bars:
            self.getPlotItem().removeItem(bar)
        self.bars = []

    def set_distribution(self, d: ColumnDistribution) -> None:
        self.distribution = d
        self.clear_bars()
        item = self.getPlotItem()
        ref = np.asarray(d.reference, dtype=float)
        cur = np.asarray(d.current, dtype=float)
        faint = QColor(REFERENCE_COLOR)
        faint.setAlpha(150)
        if d.edges:
            edges = np.asarray(d.edges, dtype=float)
            centers = (edges[:-1] + edges[1:]) / 2
            widths = np.diff(edges)
            self.bars = [
                pg.BarGraphItem(x=centers, height=ref, width=widths, brush=faint, pen=None),
                pg.BarGraphItem(
                    x=centers,
                    height=cur,
                    width=widths * 0.55,
                    brush=QColor(CURRENT_COLOR),
                    pen=None,
                ),
            ]
            item.getAxis("bottom").setTicks(None)
            self.labels["bottom"] = d.column
        else:
            x = np.arange(len(d.categories), dtype=float)
            self.bars = [
                pg.BarGraphItem(x=x - 0.2, height=ref, width=0.4, brush=faint, pen=None),
                pg.BarGraphItem(
                    x=x + 0.2, height=cur, width=0.4, brush=QColor(CURRENT_COLOR), pen=None
                ),
            ]
            ticks = [(float(i), _short(c)) for i, c in enumerate(d.categories)]
            item.getAxis("bottom").setTicks([ticks])
            self.labels["bottom"] = f"{d.column} (categories)"
        for bar in self.bars:
            item.addItem(bar)
        self.title = f"Window {d.window} vs reference"
        item.enableAutoRange(axis="x")
        top = max([*d.reference, *d.current, 0.0]) or 1.0
        item.setYRange(0, top * HEADROOM, padding=0)
        self.apply_palette()

    def bar_heights(self) -> tuple[np.ndarray, np.ndarray]:
        """(reference, current) heights as drawn."""
        if not self.bars:
            return np.array([]), np.array([])
        return tuple(np.asarray(b.opts["height"], dtype=float) for b in self.bars)  # type: ignore[return-value]


def _xy(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    x, y = item.getData()
    if x is None or y is None:
        return np.array([]), np.array([])
    return np.asarray(x), np.asarray(y)


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
