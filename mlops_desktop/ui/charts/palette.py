"""Colours shared by the chart widgets: one distinct, stable colour per run."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

# Tableau 10: distinct on white, and readable for the common colour-vision deficiencies.
RUN_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def run_color(index: int) -> QColor:
    """The colour of the ``index``-th run in a chart (cycles after ten)."""
    return QColor(RUN_COLORS[index % len(RUN_COLORS)])


def run_label(name: str, run_id: str) -> str:
    """How a run is named in legends: its name and short id, or the short id alone."""
    short = run_id[:8]
    return f"{name} ({short})" if name else short


def chart_foreground(widget: QWidget) -> QColor:
    """Text and axis colour that reads on the widget's current (light or dark) palette."""
    return widget.palette().color(QPalette.ColorRole.WindowText)


def chart_background(widget: QWidget) -> QColor:
    """Plot background for the widget's current palette."""
    return widget.palette().color(QPalette.ColorRole.Base)


def label_fill(widget: QWidget, alpha: int = 200) -> QColor:
    """A translucent fill behind labels and legends, matching the background."""
    color = QColor(chart_background(widget))
    color.setAlpha(alpha)
    return color
