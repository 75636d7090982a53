"""Markers at a chart's edge where a run logged NaN or infinity, so none is silently dropped.

+Inf is a triangle at the top edge, -Inf a triangle at the bottom edge and NaN a cross at the
bottom edge, each at the x where it was logged, in the run's colour. A stretch of non-finite
points gets a marker where it starts and where it ends.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

# kind -> (symbol, at the top edge?)
MARK_KINDS = {"+inf": ("t1", True), "-inf": ("t", False), "nan": ("x", False)}
MAX_MARKS = 400  # per run and kind: more would only blot the edge
_EDGE_INSET = 0.03  # fraction of the view height between the edge and a marker


def block_edges(mask: np.ndarray) -> np.ndarray:
    """Indices where a stretch of True in ``mask`` starts or ends (a lone True once)."""
    if mask.size == 0 or not mask.any():
        return np.empty(0, dtype=np.int64)
    padded = np.concatenate(([False], mask, [False]))
    starts = np.flatnonzero(mask & ~padded[:-2])
    ends = np.flatnonzero(mask & ~padded[2:])
    edges = np.union1d(starts, ends)
    if edges.size > MAX_MARKS:
        edges = edges[np.linspace(0, edges.size - 1, MAX_MARKS).astype(np.int64)]
    return edges


def nonfinite_positions(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The x of each marker by kind (``+inf``, ``-inf``, ``nan``), for a series' raw values."""
    finite = np.isfinite(y)
    if finite.all():
        return {}
    good_x = np.isfinite(x)
    masks = {"+inf": np.isposinf(y), "-inf": np.isneginf(y), "nan": np.isnan(y)}
    out = {}
    for kind, mask in masks.items():
        mask &= good_x
        edges = block_edges(mask)
        if edges.size:
            out[kind] = x[edges]
    return out


class EdgeMarks(pg.ScatterPlotItem):
    """One run's non-finite markers: they follow the view's top and bottom edges.

    They widen the automatic x range to where they happen (a run whose last points are NaN is
    shown to its end) but never its y range.
    """

    def __init__(self, color: QColor) -> None:
        super().__init__(pen=pg.mkPen(color, width=1.5), brush=pg.mkBrush(color), size=9)
        self.setZValue(20)
        self._positions: dict[str, np.ndarray] = {}
        self._y_range = (0.0, 1.0)

    @property
    def positions(self) -> dict[str, np.ndarray]:
        """The x of the markers by kind, as drawn."""
        return self._positions

    def set_positions(self, positions: dict[str, np.ndarray]) -> None:
        self._positions = positions
        self._place()

    def follow_view(self, y_low: float, y_high: float) -> None:
        """Move the markers to the edges of the view's new y range."""
        if (y_low, y_high) != self._y_range:
            self._y_range = (y_low, y_high)
            if self._positions:
                self._place()

    def _place(self) -> None:
        low, high = self._y_range
        inset = (high - low) * _EDGE_INSET
        spots: list[dict[str, object]] = []
        for kind, xs in self._positions.items():
            symbol, top = MARK_KINDS[kind]
            y = high - inset if top else low + inset
            spots.extend({"pos": (float(x), y), "symbol": symbol} for x in xs)
        self.setData(spots=spots)

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: object = None
    ) -> tuple[float | None, float | None]:
        if ax != 0 or not self._positions:
            return (None, None)
        xs = np.concatenate(list(self._positions.values()))
        return (float(xs.min()), float(xs.max()))
