"""The stage graph: one box per stage, coloured by its state, with arrows from the stages it
needs; laid out by graph layer from left to right (:mod:`graph_layout`).

The view shows a :class:`~mlops_desktop.core.pipelines.Pipeline` and, for each stage, what a
status said (:meth:`StageGraphView.show_status`), what a pipeline run did
(:meth:`StageGraphView.show_run`), or a live update of one stage
(:meth:`StageGraphView.update_stage`). Clicking a box selects the stage; a right click asks for
its context menu (the pane fills it: Run from here, Force stage).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from mlops_desktop.core.pipelines import Pipeline, PipelineRunInfo, StageRun, StageStatus
from mlops_desktop.ui.formatting import short_id
from mlops_desktop.ui.panes.pipelines.graph_layout import layout_stages
from mlops_desktop.ui.panes.pipelines.stage_colors import state_color, text_color_on
from mlops_desktop.ui.panes.pipelines.stage_reasons import reasons_for

NODE_W, NODE_H = 150.0, 48.0
H_GAP, V_GAP, MARGIN = 44.0, 18.0, 14.0
MIN_SCALE = 0.75  # below this the text is too small to read: the view scrolls instead


@dataclass
class StageShown:
    """What the graph shows of one stage (its tooltip says the rest)."""

    state: str = ""
    reasons: tuple[str, ...] = ()
    run_id: str | None = None
    source_run_id: str | None = None
    target: str = "local"
    detail: str = ""

    def tooltip(self, name: str) -> str:
        lines = [f"{name}: {self.state or 'unknown'}"]
        label, reasons = reasons_for(self.state, self.reasons)
        if reasons and label != "Why":
            lines.append(f"{label}:")
        lines += [f"  {r}" for r in reasons]
        if self.run_id:
            lines.append(f"run {short_id(self.run_id)}")
        if self.source_run_id:
            lines.append(f"outs of run {short_id(self.source_run_id)}")
        if self.target != "local":
            lines.append(f"on {self.target}")
        return "\n".join(lines)


class _Style:
    """Colours from the view's palette, shared by every item (changed with the theme)."""

    def __init__(self) -> None:
        self.edge = QColor("#808080")
        self.selected = QColor("#3d6fb6")
        self.font = QFont()
        self.bold = QFont()

    def update(self, palette: QPalette, font: QFont) -> None:
        edge = QColor(palette.color(QPalette.ColorRole.Text))
        edge.setAlpha(150)
        self.edge = edge
        self.selected = palette.color(QPalette.ColorRole.Highlight)
        self.font = QFont(font)
        self.bold = QFont(font)
        self.bold.setBold(True)


class StageNode(QGraphicsItem):
    """One stage's box."""

    def __init__(self, name: str, subtitle: str, style: _Style, about: str = "") -> None:
        super().__init__()
        self.name = name
        self.subtitle = subtitle  # "ssh:gpu1", "gate"
        self.about = about  # a line for the tooltip: "registers wine-classifier"
        self.shown = StageShown()
        self._style = style
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_shown(self, shown: StageShown) -> None:
        self.shown = shown
        self.setToolTip(shown.tooltip(self.name) + (f"\n{self.about}" if self.about else ""))
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -3, NODE_W + 6, NODE_H + 6)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        fill = state_color(self.shown.state)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        pen = QPen(self._style.selected, 3.5) if selected else QPen(fill.darker(135), 1.2)
        if self.shown.state == "queued":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(QRectF(0, 0, NODE_W, NODE_H), 8, 8)
        painter.setPen(text_color_on(fill))
        text_rect = QRectF(10, 5, NODE_W - 20, NODE_H / 2 - 3)
        painter.setFont(self._style.bold)
        metrics = QFontMetrics(self._style.bold)
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(self.name, Qt.TextElideMode.ElideRight, int(text_rect.width())),
        )
        second = self.shown.state or "…"
        if self.subtitle:
            second = f"{second} · {self.subtitle}"
        painter.setFont(self._style.font)
        metrics = QFontMetrics(self._style.font)
        low = QRectF(10, NODE_H / 2, NODE_W - 20, NODE_H / 2 - 5)
        painter.drawText(
            low,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(second, Qt.TextElideMode.ElideRight, int(low.width())),
        )


def _subtitle(pipeline: Pipeline, name: str) -> str:
    stage = pipeline.stage(name)
    parts = []
    if stage.register is not None:
        parts.append("gate")  # the model is in the tooltip: the box is too narrow for it
    if stage.target != "local":
        parts.append(stage.target)
    if stage.gpus:
        parts.append(f"{stage.gpus} GPU")
    return " · ".join(parts)


class StageGraphView(QGraphicsView):
    """See the module docstring.

    Signals:
        stageSelected(str): the selected stage ("" when none).
        stageMenuRequested(str, QPoint): a right click on a stage, at this global position.
        stageActivated(str): a double click on a stage.
    """

    stageSelected = Signal(str)
    stageMenuRequested = Signal(str, QPoint)
    stageActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setMinimumHeight(120)
        self._style = _Style()
        self._edges: list[tuple[QGraphicsPathItem, QGraphicsPolygonItem]] = []
        self.nodes: dict[str, StageNode] = {}
        self.pipeline: Pipeline | None = None
        self._restyle()
        self.scene().selectionChanged.connect(self._on_selection_changed)

    # --- feeding -------------------------------------------------------------------------
    def set_pipeline(self, pipeline: Pipeline | None) -> None:
        """Draw ``pipeline``'s stages (states unknown until shown); None: an empty view."""
        selected = self.selected_stage()
        scene = self.scene()
        scene.blockSignals(True)
        scene.clear()
        scene.blockSignals(False)
        self.nodes.clear()
        self._edges.clear()
        self.pipeline = pipeline
        if pipeline is None:
            self._on_selection_changed()
            return
        layout = layout_stages(pipeline)
        heights = [0] * max(layout.columns, 1)
        for col, _row in layout.cells.values():
            heights[col] += 1
        tallest = max(layout.rows, 1)
        for name, (col, row) in layout.cells.items():
            register = pipeline.stage(name).register
            about = f"registers {register.model} when its gate passes" if register else ""
            node = StageNode(name, _subtitle(pipeline, name), self._style, about)
            offset = (tallest - heights[col]) * (NODE_H + V_GAP) / 2
            node.setPos(col * (NODE_W + H_GAP), offset + row * (NODE_H + V_GAP))
            node.setZValue(1)
            scene.addItem(node)
            self.nodes[name] = node
        for up, down in layout.edges:
            self._add_edge(self.nodes[up], self.nodes[down])
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))
        if selected in self.nodes:
            self.select_stage(selected)
        else:
            self._on_selection_changed()
        self._fit()

    def show_status(self, statuses: Iterable[StageStatus]) -> None:
        """Colour each stage by what a status says (cached, restorable, stale)."""
        self._apply(
            {s.name: StageShown(s.state, s.reasons, None, s.source_run_id) for s in statuses}
        )

    def show_run(self, run: PipelineRunInfo) -> None:
        """Colour each stage by what it became in ``run``."""
        self._apply({s.stage: _shown_of(s) for s in run.stages})

    def update_stage(self, stage_run: StageRun) -> None:
        """One stage changed state (a live run)."""
        node = self.nodes.get(stage_run.stage)
        if node is not None:
            node.set_shown(_shown_of(stage_run))

    def _apply(self, shown: dict[str, StageShown]) -> None:
        for name, node in self.nodes.items():
            node.set_shown(shown.get(name, StageShown()))

    # --- reading -------------------------------------------------------------------------
    def state_of(self, name: str) -> str:
        node = self.nodes.get(name)
        return node.shown.state if node is not None else ""

    def shown_of(self, name: str) -> StageShown | None:
        node = self.nodes.get(name)
        return node.shown if node is not None else None

    def selected_stage(self) -> str | None:
        for name, node in self.nodes.items():
            if node.isSelected():
                return name
        return None

    def select_stage(self, name: str | None) -> None:
        """Select the stage ``name`` (None: none) and bring it into view."""
        self.scene().clearSelection()
        node = self.nodes.get(name or "")
        if node is not None:
            node.setSelected(True)
            self.ensureVisible(node)

    def node_center(self, name: str) -> QPoint:
        """Where the stage's box is, in viewport coordinates (tests click there)."""
        node = self.nodes[name]
        return self.mapFromScene(node.sceneBoundingRect().center())

    # --- drawing -------------------------------------------------------------------------
    def _add_edge(self, up: StageNode, down: StageNode) -> None:
        start = up.pos() + QPointF(NODE_W, NODE_H / 2)
        end = down.pos() + QPointF(-2, NODE_H / 2)
        path = QPainterPath(start)
        bend = max(30.0, (end.x() - start.x()) / 2)
        path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
        line = QGraphicsPathItem(path)
        arrow = QGraphicsPolygonItem(
            QPolygonF([end, end + QPointF(-10, -5), end + QPointF(-10, 5)])
        )
        self.scene().addItem(line)
        self.scene().addItem(arrow)
        self._edges.append((line, arrow))
        self._paint_edge(line, arrow)

    def _paint_edge(self, line: QGraphicsPathItem, arrow: QGraphicsPolygonItem) -> None:
        line.setPen(QPen(self._style.edge, 1.6))
        arrow.setPen(QPen(self._style.edge, 1))
        arrow.setBrush(QBrush(self._style.edge))

    def _restyle(self) -> None:
        palette = self.palette()
        self._style.update(palette, self.font())
        self.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        for line, arrow in self._edges:
            self._paint_edge(line, arrow)
        self.scene().update()

    def _fit(self) -> None:
        rect = self.scene().sceneRect()
        view = self.viewport().rect()
        if rect.isEmpty() or view.isEmpty():
            return
        scale = min(1.0, view.width() / rect.width(), view.height() / rect.height())
        self.resetTransform()
        scale = max(scale, MIN_SCALE)
        self.scale(scale, scale)

    # --- events --------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._restyle()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        node = self._node_at(event.pos())
        if node is None:
            return
        self.select_stage(node.name)
        self.stageMenuRequested.emit(node.name, event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        node = self._node_at(event.position().toPoint())
        if node is not None:
            self.stageActivated.emit(node.name)
            return
        super().mouseDoubleClickEvent(event)

    def _node_at(self, pos: QPoint) -> StageNode | None:
        for item in self.items(pos):
            if isinstance(item, StageNode):
                return item
        return None

    def _on_selection_changed(self) -> None:
        self.stageSelected.emit(self.selected_stage() or "")


def _shown_of(stage_run: StageRun) -> StageShown:
    return StageShown(
        stage_run.state,
        stage_run.reasons,
        stage_run.run_id,
        stage_run.source_run_id,
        stage_run.target,
        stage_run.detail,
    )
