"""The runs table view: row selection, header sorting, remembered column widths."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.item_models.runs_table import (
    COL_DURATION,
    COL_ID,
    COL_NAME,
    COL_STARTED,
    COL_STATUS,
    COL_TARGET,
    RunsTableModel,
)

DEFAULT_WIDTHS = {
    COL_STATUS: 92,
    COL_NAME: 190,
    COL_ID: 78,
    COL_STARTED: 140,
    COL_DURATION: 76,
    COL_TARGET: 64,
}
DYNAMIC_WIDTH = 96


class RunsTableView(QTableView):
    """A QTableView over :class:`RunsTableModel` (no per-row widgets: fine for 10,000 rows)."""

    def __init__(self, model: RunsTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._widths: dict[str, int] = {}
        self._applying = False
        self.setModel(model)
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
        model.modelReset.connect(self.apply_column_widths)
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
                if self._model.key_of_column(column) is not None:
                    default = DYNAMIC_WIDTH
                self.setColumnWidth(column, self._widths.get(name, default))
        finally:
            self._applying = False

    def _on_section_resized(self, column: int, _old: int, new: int) -> None:
        if not self._applying and new > 0:
            self._widths[self._column_name(column)] = new

    def selected_runs(self) -> list[RunSummary]:
        """The selected runs in table order."""
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [self._model.run_at(row) for row in rows]

    def select_run_ids(self, run_ids: list[str], scroll: bool = True) -> None:
        """Select the rows of these runs (unknown ids are ignored)."""
        selection = QItemSelection()
        last = self._model.columnCount() - 1
        first_index = None
        for run_id in run_ids:
            row = self._model.row_of(run_id)
            if row is None:
                continue
            left = self._model.index(row, 0)
            selection.select(left, self._model.index(row, last))
            first_index = first_index or left
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.selectionModel().select(selection, flags)
        if first_index is not None:
            self.selectionModel().setCurrentIndex(
                first_index, QItemSelectionModel.SelectionFlag.NoUpdate
            )
            if scroll:
                self.scrollTo(first_index)
