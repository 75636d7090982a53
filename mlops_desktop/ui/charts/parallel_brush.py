"""Brushing on parallel axes: drag along an axis to keep the runs whose value lies in a range.

:class:`BrushViewBox` turns drags near an axis into ranges; :func:`runs_inside` says which runs
lie inside every brushed range. Positions are the axes' ``[0, 1]`` positions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt

NEAR_AXIS_PX = 24.0  # a drag starting this close to an axis brushes it
MIN_BRUSH = 0.01  # a shorter drag is a click: it clears the axis's brush
SNAP = 0.01  # a brush end this close to an end of the axis snaps to it

BrushRange = tuple[float, float]


def runs_inside(
    positions: Mapping[str, np.ndarray], brushes: Mapping[str, BrushRange], count: int
) -> list[bool]:
    """For each of ``count`` runs, whether it lies in every brush (a missing value never does)."""
    inside = np.ones(count, dtype=bool)
    for column, (low, high) in brushes.items():
        values = positions.get(column)
        if values is None:
            continue
        with np.errstate(invalid="ignore"):
            inside &= np.isfinite(values) & (values >= low) & (values <= high)
    return [bool(v) for v in inside]


class BrushViewBox(pg.ViewBox):
    """A view box that reports drags along an axis and clicks near one.

    ``on_brush(axis_index, low, high, finished)`` gets each drag step (``low`` < ``high``, within
    ``[0, 1]``); ``on_axis_click(axis_index, button, screen_pos)`` gets clicks near an axis.
    """

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)
        self.axis_count = 0
        self.on_brush: Callable[[int, float, float, bool], None] | None = None
        self.on_axis_click: Callable[[int, Qt.MouseButton, QPointF], None] | None = None
        self._dragging: int | None = None

    def axis_near(self, scene_pos: QPointF) -> int | None:
        """The index of the axis within reach of a scene position, if any."""
        if self.axis_count == 0:
            return None
        point = self.mapSceneToView(scene_pos)
        index = round(point.x())
        if not 0 <= index < self.axis_count:
            return None
        pixel = self.viewPixelSize()[0]
        if pixel <= 0 or abs(point.x() - index) / pixel > NEAR_AXIS_PX:
            return None
        return index

    def mouseDragEvent(self, ev, axis=None) -> None:  # type: ignore[no-untyped-def]
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            self._dragging = self.axis_near(ev.buttonDownScenePos())
        if self._dragging is None:
            ev.ignore()
            return
        ev.accept()
        start = self.mapSceneToView(ev.buttonDownScenePos()).y()
        end = self.mapSceneToView(ev.scenePos()).y()
        low, high = sorted((_clamp(start), _clamp(end)))
        index = self._dragging
        if ev.isFinish():
            self._dragging = None
        if self.on_brush is not None:
            self.on_brush(index, low, high, bool(ev.isFinish()))

    def mouseClickEvent(self, ev, axis=None) -> None:  # type: ignore[no-untyped-def]
        index = self.axis_near(ev.scenePos())
        if index is None or self.on_axis_click is None:
            ev.ignore()
            return
        ev.accept()
        self.on_axis_click(index, ev.button(), ev.screenPos())


def _clamp(value: float) -> float:
    """A position within the axis; within 1 % of an end, that end (so its runs are inside)."""
    if not math.isfinite(value) or value < SNAP:
        return 0.0
    return 1.0 if value > 1 - SNAP else value
