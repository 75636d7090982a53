"""The crosshair of a metric chart: a vertical line at the cursor and every run's value there.

The readout is a strip of text above the plot (never over the curves): each shown run's colour
swatch, name (in the full-size chart) and value at the cursor's x, taken from the run's last
point at or before that x. NaN and infinity read "nan" and "inf". Away from the plot the strip
shows each run's last value.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from mlops_desktop.ui.charts.chart_axes import compact_number
from mlops_desktop.ui.charts.chart_legend import unbroken


@dataclass(frozen=True)
class ReadoutRow:
    """One run's entry in the readout: ``value`` is what the solid line shows (smoothed or raw),
    ``raw`` the logged value; both None before the run's first point."""

    run_id: str
    label: str
    color: QColor
    value: float | None
    raw: float | None


def value_text(value: float | None) -> str:
    """A value as the readout writes it: 4 significant digits, ``nan``, ``inf``, or a dash."""
    return "-" if value is None else compact_number(value)


def readout_html(x_text: str, rows: list[ReadoutRow]) -> str:
    """Rich text of the readout: the x, then a swatch, name and value per run."""
    parts = [f"<span>{html.escape(x_text)}</span>"] if x_text else []
    for row in rows:
        text = value_text(row.value)
        if row.label and _differs(row.raw, row.value):
            text += f" (raw {value_text(row.raw)})"
        name = f"{unbroken(row.label)} " if row.label else ""
        parts.append(
            f'<span style="color:{row.color.name()}">■</span>&nbsp;{name}<b>{text}</b>'.replace(
                " <b>", "&nbsp;<b>"
            )
        )
    return " &nbsp; ".join(parts)


def _differs(raw: float | None, value: float | None) -> bool:
    if raw is None or value is None:
        return False
    return raw != value and not (math.isnan(raw) and math.isnan(value))


class Crosshair:
    """Vertical line plus readout for one PlotItem; follows the mouse over its scene.

    Args:
        item: the plot.
        label: the strip above the plot that shows the readout.
        rows_at: the readout rows at a data x (``math.inf``: each run's last point).
        x_text: how the x at the cursor is written (step, date, seconds).
    """

    def __init__(
        self,
        item: pg.PlotItem,
        label: QLabel,
        rows_at: Callable[[float], list[ReadoutRow]],
        x_text: Callable[[float], str],
    ) -> None:
        self._item = item
        self._label = label
        self._rows_at = rows_at
        self._x_text = x_text
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
        self.line.setZValue(30)
        self.line.hide()
        item.addItem(self.line, ignoreBounds=True)
        self.rows: list[ReadoutRow] = []
        item.scene().sigMouseMoved.connect(self.on_mouse_moved)

    @property
    def visible(self) -> bool:
        return self.line.isVisible()

    def on_mouse_moved(self, scene_pos: QPointF) -> None:
        """Show the readout at the plot's x under ``scene_pos``; hide it outside the plot."""
        vb = self._item.vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            self.hide()
            return
        self.show_at(vb.mapSceneToView(scene_pos).x())

    def show_at(self, x: float) -> list[ReadoutRow]:
        """Put the line at data ``x`` and the values there in the strip."""
        self.line.setPos(x)
        self.line.show()
        self.rows = self._rows_at(x)
        self._label.setText(readout_html(self._x_text(x), self.rows))
        return self.rows

    def hide(self) -> None:
        """Hide the line; the strip goes back to each run's last value."""
        self.line.hide()
        self.show_last()

    def show_last(self) -> None:
        self.rows = self._rows_at(math.inf)
        self._label.setText(readout_html("last" if self.rows else "", self.rows) or " ")

    def apply_palette(self, foreground: QColor) -> None:
        grey = QColor(foreground)
        grey.setAlpha(140)
        self.line.setPen(pg.mkPen(grey, width=1))
