"""The Lineage tab: dataset versions → run → model version (→ monitors), left to right.

Nodes sit in columns by kind, coloured by kind; clicking one emits ``nodeActivated(kind, key)``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from mlops_desktop.core.models import Lineage, LineageNode
from mlops_desktop.ui.charts.palette import chart_foreground
from mlops_desktop.ui.formatting import shown_text

KIND_COLUMNS = {"dataset": 0, "alert": 0, "run": 1, "model": 2, "monitor": 3}
KIND_COLORS = {
    "dataset": "#1f77b4",
    "alert": "#d62728",
    "run": "#9467bd",
    "model": "#2ca02c",
    "monitor": "#ff7f0e",
}
KIND_TITLES = {
    "dataset": "dataset",
    "alert": "alert",
    "run": "run",
    "model": "model",
    "monitor": "monitor",
}
NODE_W = 190.0
NODE_H = 48.0
COL_GAP = 90.0
ROW_GAP = 22.0


class LineageNodeItem(QGraphicsRectItem):
    """A rounded, coloured node with the kind above its label; clicking activates it."""

    def __init__(self, node: LineageNode, view: LineageView) -> None:
        super().__init__(0, 0, NODE_W, NODE_H)
        self.node = node
        self._view = view
        color = QColor(KIND_COLORS.get(node.kind, "#7f7f7f"))
        self.setBrush(QBrush(color))
        self.setPen(QPen(color.darker(130), 1.2))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        tip = f"{node.kind} {node.key}" + (f" ({node.status})" if node.status else "")
        self.setToolTip(shown_text(tip))
        kind = QGraphicsSimpleTextItem(KIND_TITLES.get(node.kind, node.kind).upper(), self)
        font = kind.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.75))
        kind.setFont(font)
        kind.setBrush(QColor(255, 255, 255, 210))
        kind.setPos(8, 4)
        label_text = shown_text(node.label + (f" · {node.status}" if node.status else ""))
        self.label = QGraphicsSimpleTextItem(label_text, self)
        self.label.setBrush(QColor("white"))
        bold = self.label.font()
        bold.setBold(True)
        self.label.setFont(bold)
        while self.label.boundingRect().width() > NODE_W - 14 and len(label_text) > 4:
            label_text = label_text[:-2]
            self.label.setText(label_text + "…")
        self.label.setPos(8, NODE_H - self.label.boundingRect().height() - 5)

    def paint(self, painter: QPainter, option: object, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(self.brush())
        painter.setPen(self.pen())
        painter.drawRoundedRect(self.rect(), 8, 8)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.contains(event.pos()):
            self._view.nodeActivated.emit(self.node.kind, self.node.key)


def _arrow(start: QPointF, end: QPointF) -> tuple[QPainterPath, QPolygonF]:
    """A horizontal S-curve from ``start`` to ``end`` and the arrow head at ``end``."""
    path = QPainterPath(start)
    dx = max(20.0, (end.x() - start.x()) / 2)
    path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
    angle = 0.0  # the curve arrives horizontally
    size = 9.0
    head = QPolygonF(
        [
            end,
            end - QPointF(math.cos(angle - 0.45) * size, math.sin(angle - 0.45) * size),
            end - QPointF(math.cos(angle + 0.45) * size, math.sin(angle + 0.45) * size),
        ]
    )
    return path, head


class LineageView(QGraphicsView):
    """See the module docstring.

    Signals:
        nodeActivated(str, str): (kind, key) of the clicked node.
    """

    nodeActivated = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.items_by_key: dict[str, LineageNodeItem] = {}
        self.lineage: Lineage | None = None

    def set_lineage(self, lineage: Lineage | None) -> None:
        """Lay out ``lineage`` in columns by kind; None clears the view."""
        scene = self.scene()
        scene.clear()
        self.items_by_key = {}
        self.lineage = lineage
        if lineage is None or not lineage.nodes:
            text = scene.addSimpleText("No lineage recorded for this version.")
            text.setBrush(chart_foreground(self))
            return
        columns: dict[int, list[LineageNode]] = {}
        for node in lineage.nodes:
            columns.setdefault(KIND_COLUMNS.get(node.kind, 4), []).append(node)
        tallest = max(len(nodes) for nodes in columns.values())
        total_h = tallest * NODE_H + (tallest - 1) * ROW_GAP
        for x_index, column in enumerate(sorted(columns)):
            nodes = columns[column]
            height = len(nodes) * NODE_H + (len(nodes) - 1) * ROW_GAP
            top = (total_h - height) / 2
            for row, node in enumerate(nodes):
                item = LineageNodeItem(node, self)
                item.setPos(x_index * (NODE_W + COL_GAP), top + row * (NODE_H + ROW_GAP))
                item.setZValue(1)
                scene.addItem(item)
                self.items_by_key[node.key] = item
        pen = QPen(chart_foreground(self), 1.4)
        for source, target in lineage.edges:
            a, b = self.items_by_key.get(source), self.items_by_key.get(target)
            if a is None or b is None:
                continue
            start = a.pos() + QPointF(NODE_W, NODE_H / 2)
            end = b.pos() + QPointF(0, NODE_H / 2)
            curve, head = _arrow(start, end)
            edge = QGraphicsPathItem(curve)
            edge.setPen(pen)
            scene.addItem(edge)
            scene.addPolygon(head, pen, QBrush(pen.color()))
        rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
        scene.setSceneRect(rect)
        self._fit()

    def _fit(self) -> None:
        """Shrink to fit when the graph is wider or taller than the view; never enlarge."""
        self.resetTransform()
        rect = self.sceneRect()
        view = self.viewport().rect()
        if rect.width() > view.width() or rect.height() > view.height():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.items_by_key:
            self._fit()

    def node_keys(self, kind: str | None = None) -> list[str]:
        return [k for k, item in self.items_by_key.items() if kind in (None, item.node.kind)]

    def click_node(self, key: str) -> None:
        """Activate a node as a click would (keyboard users and tests)."""
        item = self.items_by_key[key]
        self.nodeActivated.emit(item.node.kind, item.node.key)

    def node_rect(self, key: str) -> QRectF:
        item = self.items_by_key[key]
        return item.sceneBoundingRect()
