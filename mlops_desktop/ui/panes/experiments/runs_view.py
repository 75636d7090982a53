"""The runs table view: row selection, header sorting, remembered column widths, pinned columns
kept at the left while scrolling, and group header rows that fold on a click.

The view shows a :class:`RunGroupsModel` over the flat :class:`RunsTableModel`: without grouping
its rows are the flat model's rows.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.item_models.run_groups import NEST_INDENT, RunGroupsModel
from mlops_desktop.ui.item_models.runs_table import (
    COL_DURATION,
    COL_ID,
    COL_NAME,
    COL_STARTED,
    COL_STATUS,
    COL_TARGET,
    COL_USER,
    RunsTableModel,
)
from mlops_desktop.ui.panes.experiments.pinned_columns import PinnedColumns

DEFAULT_WIDTHS = {
    COL_STATUS: 92,
    COL_NAME: 190,
    COL_ID: 78,
    COL_STARTED: 140,
    COL_DURATION: 76,
    COL_TARGET: 64,
    COL_USER: 80,
}
DYNAMIC_WIDTH = 96
GROUPED_METRIC_WIDTH = 140  # a group row shows mean (min to max) there


class RunsTableView(QTableView):
    """A QTableView over :class:`RunsTableModel` (no per-row widgets: fine for 10,000 rows).

    Signals:
        pinsChanged(list): the ids of the pinned columns, after the person pinned or unpinned.
        groupByRequested(str): "Group by this column" (a key), or "" to stop grouping.
        hideColumnRequested(str): "Hide column" on a param, metric or tag column (its key).
    """

    pinsChanged = Signal(list)
    groupByRequested = Signal(str)
    hideColumnRequested = Signal(str)

    def __init__(self, model: RunsTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.groups = RunGroupsModel(model, self)
        self._widths: dict[str, int] = {}
        self._applying = False
        self.setModel(self.groups)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(False)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)
        header.sectionResized.connect(self._on_section_resized)
        self.setSortingEnabled(True)
        self.sortByColumn(COL_STARTED, Qt.SortOrder.DescendingOrder)
        self.pinned = PinnedColumns(self)
        self.groups.modelReset.connect(self.apply_column_widths)
        self.clicked.connect(self._on_clicked)
        self.apply_column_widths()

    def _column_name(self, column: int) -> str:
        key = self._model.key_of_column(column)
        return key if key is not None else f"#{column}"

    def apply_column_widths(self) -> None:
        """Give each column its remembered or default width (after a model reset)."""
        self._applying = True
        try:
            for column in range(self._model.columnCount()):
                name = self._column_name(column)
                default = DEFAULT_WIDTHS.get(column, DYNAMIC_WIDTH)
                key = self._model.key_of_column(column)
                if key is not None:
                    grouped = self.groups.group_by() is not None and key.startswith("metrics.")
                    default = GROUPED_METRIC_WIDTH if grouped else DYNAMIC_WIDTH
                self.setColumnWidth(column, self._widths.get(name, default))
        finally:
            self._applying = False
        self.pinned.apply()

    def _on_section_resized(self, column: int, _old: int, new: int) -> None:
        if not self._applying and new > 0:
            self._widths[self._column_name(column)] = new
        self.pinned.place()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.pinned.place()

    def _on_clicked(self, index: QModelIndex) -> None:
        self.groups.toggle_group_at(index.row())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A press on a parent's triangle folds or unfolds its children (no selection)."""
        index = self.indexAt(event.position().toPoint())
        if (
            event.button() == Qt.MouseButton.LeftButton
            and index.isValid()
            and index.column() == COL_NAME
            and self.groups.is_parent_row(index.row())
            and event.position().x() <= self.triangle_right(index.row())
        ):
            self.groups.toggle_children_at(index.row())
            event.accept()
            return
        super().mousePressEvent(event)

    def triangle_right(self, row: int) -> int:
        """The x (in the viewport) where the triangle of the parent in ``row`` ends: the
        swatch, the indent of its depth and the triangle itself."""
        rect = self.visualRect(self.groups.index(row, COL_NAME))
        lead = NEST_INDENT * self.groups.depth_at(row) + "▸ "
        icon = self.iconSize().width()
        if icon <= 0:
            icon = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        return rect.left() + icon + 10 + self.fontMetrics().horizontalAdvance(lead)

    def toggle_children(self, run_id: str) -> bool:
        """Fold or unfold the children of a parent run; False when it shows none."""
        row = self.groups.row_of(run_id)
        return row is not None and self.groups.toggle_children_at(row)

    def set_pinned_columns(self, column_ids: list[str]) -> None:
        """Keep these columns (ids such as ``"name"`` or ``"metrics.acc"``) at the left."""
        self.pinned.set_pinned(column_ids)

    def pinned_columns(self) -> list[str]:
        return self.pinned.pinned()

    def set_group_by(self, key: str | None) -> None:
        """Group the rows by a param or tag key, or stop grouping (None or "")."""
        keep = [run.id for run in self.selected_runs()]
        self.groups.set_group_by(key)
        self.select_run_ids(keep, scroll=False)

    def set_stale(self, stale: bool) -> None:
        """Grey the rows: they are the result of an older filter than the one typed."""
        self.groups.set_stale(stale)

    def run_at_row(self, row: int) -> RunSummary | None:
        """The run shown in ``row`` of this view (None for a group header row)."""
        return self.groups.run_at(row)

    def selected_runs(self) -> list[RunSummary]:
        """The selected runs in table order."""
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        runs = (self.groups.run_at(row) for row in rows)
        return [run for run in runs if run is not None]

    def select_run_ids(self, run_ids: list[str], scroll: bool = True) -> None:
        """Select the rows of these runs (unknown ids are ignored)."""
        selection = QItemSelection()
        last = self.groups.columnCount() - 1
        first_index = None
        for run_id in run_ids:
            self.groups.row_of(run_id, expand=True)  # unfold its group first: rows move
        for run_id in run_ids:
            row = self.groups.row_of(run_id)
            if row is None:
                continue
            left = self.groups.index(row, 0)
            selection.select(left, self.groups.index(row, last))
            first_index = first_index or left
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.selectionModel().select(selection, flags)
        if first_index is not None:
            self.selectionModel().setCurrentIndex(
                first_index, QItemSelectionModel.SelectionFlag.NoUpdate
            )
            if scroll:
                self.scrollTo(first_index)
