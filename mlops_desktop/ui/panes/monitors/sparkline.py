"""Sparklines painted with QPainter: the last minute of one figure in a few pixels.

Cheaper than a pyqtgraph plot per line when a grid shows hundreds of them: the path is built
from numpy in one call (NaN breaks the line: a gap stays a gap) and painted only when visible.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LOAD_THRESHOLDS = (50.0, 85.0)  # green below the first, amber below the second, red above
_LIGHT = ("#1e9e50", "#d08700", "#d93a32")
_DARK = ("#4cc27a", "#f0b429", "#ff6b62")


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Base).lightness() < 128


def load_color(percent: float | None, dark: bool) -> QColor:
    """Green, amber or red by load (percent); grey when unknown."""
    if percent is None or not np.isfinite(percent):
        return QColor("#8e8e93")
    colors = _DARK if dark else _LIGHT
    if percent < LOAD_THRESHOLDS[0]:
        return QColor(colors[0])
    return QColor(colors[1] if percent < LOAD_THRESHOLDS[1] else colors[2])


class Sparkline(QWidget):
    """A line of ``values`` (0 to ``top``) over ``span`` seconds ending at ``end``.

    Coloured by the newest value's load; grey when ``stale`` (the machine stopped answering).
    """

    def __init__(self, top: float = 100.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.top = top
        self.stale = False
        self._path = QPainterPath()
        self._color = QColor("#8e8e93")
        self._points = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    def sizeHint(self) -> QSize:
        return QSize(120, 22)

    def minimumSizeHint(self) -> QSize:
        return QSize(40, 18)

    @property
    def points(self) -> int:
        """How many points the line has (NaN gaps included)."""
        return self._points

    def set_values(
        self, t: np.ndarray, values: np.ndarray, end: float, span: float, color: QColor
    ) -> None:
        """Draw ``values`` at times ``t`` over ``[end - span, end]``; NaN is a gap."""
        self._points = int(values.size)
        self._color = color
        if values.size == 0:
            self._path = QPainterPath()
        else:
            x = (t - (end - span)) / span
            y = 1.0 - np.clip(values / self.top, 0.0, 1.0)
            self._path = pg.arrayToQPath(x, y, connect="finite")
        if self.isVisible():
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 2, -1, -2)
        mid = self.palette().color(QPalette.ColorRole.Mid)
        painter.setPen(QPen(mid, 1))
        painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))
        if not self._path.isEmpty():
            color = QColor("#8e8e93") if self.stale else self._color
            painter.translate(rect.topLeft())
            painter.scale(rect.width(), rect.height())
            pen = QPen(color, 1.6)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPath(self._path)
        painter.end()
