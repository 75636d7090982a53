"""Pinned columns of the runs table: moved to the left and kept in sight while scrolling.

The Qt "frozen column" pattern: a second QTableView lies over the left edge of the table, shares
its model and selection model, shows only the pinned columns, and scrolls vertically with it.
Only visible rows are painted by either view, so it costs nothing more at 10,000 rows. The
header menu (right-click on a column title) pins, unpins, groups by and hides columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHeaderView,
    QMenu,
    QTableView,
    QWidget,
)

from mlops_desktop.services.table_views import DEFAULT_PINNED
from mlops_desktop.ui.item_models.runs_table import USER_KEY

if TYPE_CHECKING:
    from mlops_desktop.ui.panes.experiments.runs_view import RunsTableView

GROUPABLE_PREFIXES = ("params.", "tags.")
EDGE_PX = 1
MIN_SCROLLED_PX = 80  # however many columns are pinned, this much of the table still scrolls


def _arrange(header: QHeaderView, count: int, pinned: list[int]) -> None:
    """Columns in their own order, except ``pinned`` first (in that order)."""
    for logical in range(count):
        at = header.visualIndex(logical)
        if at != logical:
            header.moveSection(at, logical)
    for position, logical in enumerate(pinned):
        header.moveSection(header.visualIndex(logical), position)


class PinnedColumns(QObject):
    """The frozen view and the header menu of one :class:`RunsTableView`.

    A right-click on a pinned cell is handed to the table, so the table's context menu works
    the same on every column.
    """

    def __init__(self, table: RunsTableView) -> None:
        super().__init__(table)
        self._table = table
        self._ids: list[str] = list(DEFAULT_PINNED)
        frozen = QTableView(table)
        frozen.setObjectName("pinnedColumns")
        frozen.setModel(table.model())
        frozen.setSelectionModel(table.selectionModel())
        frozen.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        frozen.setFrameShape(QFrame.Shape.NoFrame)
        frozen.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        frozen.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        frozen.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        frozen.setAlternatingRowColors(True)
        frozen.setWordWrap(False)
        frozen.setShowGrid(False)
        frozen.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        frozen.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        frozen.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        vertical = frozen.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.verticalHeader().defaultSectionSize())
        header = frozen.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)
        header.sectionClicked.connect(self._on_frozen_header_clicked)
        header.sectionResized.connect(self._on_frozen_section_resized)
        main_header = table.horizontalHeader()
        main_header.sortIndicatorChanged.connect(
            lambda column, order: header.setSortIndicator(column, order)
        )
        for h in (header, main_header):
            h.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            h.customContextMenuRequested.connect(
                lambda pos, source=h: self._show_header_menu(source, pos)
            )
        frozen.verticalScrollBar().valueChanged.connect(table.verticalScrollBar().setValue)
        table.verticalScrollBar().valueChanged.connect(frozen.verticalScrollBar().setValue)
        # A sideways scroll moves the table's pixels under the pinned view: paint it again
        # once the table has painted (an X11 window otherwise kept a sliver of scrolled text).
        table.horizontalScrollBar().valueChanged.connect(self._repaint_soon)
        frozen.clicked.connect(table.clicked)
        frozen.doubleClicked.connect(table.doubleClicked)
        self.view = frozen
        # A line at the pinned view's right edge: columns scrolled sideways pass under it.
        self.edge = QWidget(table)
        self.edge.setObjectName("pinnedColumnsEdge")
        self.edge.setBackgroundRole(QPalette.ColorRole.Mid)
        self.edge.setAutoFillBackground(True)
        frozen.viewport().installEventFilter(self)
        table.viewport().stackUnder(frozen)
        table.model().layoutChanged.connect(self.place)
        table.model().rowsInserted.connect(self.place)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            target = self._table.viewport()
            pos = target.mapFromGlobal(event.globalPos())
            forwarded = QContextMenuEvent(event.reason(), pos, event.globalPos(), event.modifiers())
            QApplication.sendEvent(target, forwarded)
            return True
        return super().eventFilter(watched, event)

    def _repaint_soon(self, _value: int) -> None:
        QTimer.singleShot(0, self.view.viewport().update)

    def pinned(self) -> list[str]:
        return list(self._ids)

    def set_pinned(self, column_ids: list[str]) -> None:
        self._ids = list(dict.fromkeys(column_ids))
        self.apply()

    def pinned_columns(self) -> list[int]:
        """The logical columns pinned now, in the order they show."""
        model = self._table.groups.source()
        columns = (model.column_of_id(i) for i in self._ids)
        return [c for c in columns if c is not None]

    def apply(self) -> None:
        """Move the pinned columns to the left of the table and show them in the frozen view."""
        table, frozen = self._table, self.view
        header = table.horizontalHeader()
        frozen_header = frozen.horizontalHeader()
        count = table.model().columnCount()
        pinned = self.pinned_columns()
        for h in (header, frozen_header):
            _arrange(h, count, pinned)
        for logical in range(count):
            frozen.setColumnHidden(logical, logical not in pinned)
            if logical in pinned:
                frozen.setColumnWidth(logical, table.columnWidth(logical))
        frozen_header.setSortIndicator(header.sortIndicatorSection(), header.sortIndicatorOrder())
        frozen.setVisible(bool(pinned))
        self.place()

    def place(self) -> None:
        """Lay the frozen view over the pinned columns (after a resize or a scroll)."""
        table, frozen = self._table, self.view
        width = sum(table.columnWidth(c) for c in self.pinned_columns())
        width = min(width, max(0, table.viewport().width() - MIN_SCROLLED_PX))
        frame = table.frameWidth()
        header_height = table.horizontalHeader().height()
        height = table.viewport().height() + header_height
        frozen.setGeometry(frame, frame, width, height)
        self.edge.setGeometry(frame + width, frame, EDGE_PX, height)
        self.edge.setVisible(not frozen.isHidden() and width > 0)
        self.edge.raise_()
        frozen.horizontalHeader().setFixedHeight(header_height)
        frozen.verticalScrollBar().setValue(table.verticalScrollBar().value())

    def _on_frozen_section_resized(self, column: int, _old: int, new: int) -> None:
        if new > 0 and self._table.columnWidth(column) != new:
            self._table.setColumnWidth(column, new)

    def _on_frozen_header_clicked(self, column: int) -> None:
        header = self._table.horizontalHeader()
        order = Qt.SortOrder.DescendingOrder
        if header.sortIndicatorSection() == column:
            ascending = header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
            order = Qt.SortOrder.DescendingOrder if ascending else Qt.SortOrder.AscendingOrder
        self._table.sortByColumn(column, order)

    def _show_header_menu(self, header: QHeaderView, pos: QPoint) -> None:
        column = header.logicalIndexAt(pos)
        if column < 0:
            return
        menu = self.header_menu(column)
        menu.exec(header.mapToGlobal(pos))

    def header_menu(self, column: int) -> QMenu:
        """The menu of a column title: pin or unpin, group by, hide."""
        table = self._table
        model = table.groups.source()
        column_id = model.column_id(column)
        menu = QMenu(table)
        if column_id in self._ids:
            menu.addAction("Unpin column", lambda: self._set_pin(column_id, False))
        else:
            menu.addAction("Pin column", lambda: self._set_pin(column_id, True))
        if column_id.startswith(GROUPABLE_PREFIXES) or column_id == USER_KEY:
            if table.groups.group_by() == column_id:
                menu.addAction("Stop grouping", lambda: table.groupByRequested.emit(""))
            else:
                menu.addAction(
                    "Group by this column", lambda: table.groupByRequested.emit(column_id)
                )
        if model.key_of_column(column) is not None:
            menu.addAction("Hide column", lambda: table.hideColumnRequested.emit(column_id))
        return menu

    def _set_pin(self, column_id: str, pin: bool) -> None:
        ids = [i for i in self._ids if i != column_id] + ([column_id] if pin else [])
        self.set_pinned(ids)
        self._table.pinsChanged.emit(self.pinned())
