"""The small square of a run's colour in front of its name: the colour of its curves."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from mlops_desktop.ui.charts.palette import stable_run_color

SWATCH_PX = 10


@lru_cache(maxsize=256)
def _swatch_icon(rgb: str) -> QIcon:
    """One icon per colour, shared by every run of that colour."""
    pixmap = QPixmap(SWATCH_PX, SWATCH_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = QColor(rgb)
    painter.setPen(color.darker(130))
    painter.setBrush(color)
    painter.drawRoundedRect(0, 0, SWATCH_PX - 1, SWATCH_PX - 1, 2, 2)
    painter.end()
    return QIcon(pixmap)


def run_swatch_color(
    run_id: str, tags: Mapping[str, str] | None = None, index: int | None = None
) -> QColor:
    """The colour the swatch shows: :func:`stable_run_color`, as in every chart."""
    return stable_run_color(run_id, tags, index)


def run_swatch(
    run_id: str, tags: Mapping[str, str] | None = None, index: int | None = None
) -> QIcon:
    """The swatch icon of a run (cached per colour)."""
    return _swatch_icon(run_swatch_color(run_id, tags, index).name())
