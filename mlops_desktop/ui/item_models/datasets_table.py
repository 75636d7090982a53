"""The datasets list: one row per dataset, with a marker on datasets whose files changed."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from mlops_desktop.core.datasets import DatasetSummary
from mlops_desktop.ui.formatting import count_noun, format_time, human_bytes
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

COL_NAME = 0
COL_LATEST = 1
COL_KIND = 2
COL_FILES = 3
COL_SIZE = 4
COL_UPDATED = 5
HEADERS = ("Name", "Latest", "Kind", "Files", "Size", "Last change")

CHANGED_MARK = "● "  # before the name of a dataset whose files changed
CHANGED_COLOR = "#e08a00"  # amber: reads on light and dark backgrounds


class DatasetsTableModel(RowsTableModel[DatasetSummary]):
    """Rows are :class:`DatasetSummary`; ``set_changed`` marks datasets with changed files."""

    HEADERS = HEADERS
    NUMERIC_COLUMNS = frozenset({COL_FILES, COL_SIZE})

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._changed: dict[str, str] = {}

    def set_datasets(self, datasets: list[DatasetSummary]) -> None:
        self.set_rows(sorted(datasets, key=lambda d: d.name.casefold()))

    def set_changed(self, changed: dict[str, str]) -> None:
        """Mark these datasets (name: sentence saying what changed); others lose their mark."""
        if changed == self._changed:
            return
        self._changed = dict(changed)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, COL_NAME))

    def changed(self) -> dict[str, str]:
        return dict(self._changed)

    def row_of(self, name: str) -> int | None:
        for row, summary in enumerate(self._rows):
            if summary.name == name:
                return row
        return None

    def display(self, item: DatasetSummary, column: int) -> str:
        if column == COL_NAME:
            return (CHANGED_MARK if item.name in self._changed else "") + item.name
        if column == COL_LATEST:
            return item.latest or "—"
        if column == COL_KIND:
            return item.kind
        if column == COL_FILES:
            return f"{item.files:,}"
        if column == COL_SIZE:
            return human_bytes(item.bytes)
        return format_time(item.updated_at)

    def sort_value(self, item: DatasetSummary, column: int) -> object:
        if column == COL_FILES:
            return item.files
        if column == COL_SIZE:
            return item.bytes
        if column == COL_UPDATED:
            return item.updated_at or 0.0
        return self.display(item, column)

    def tooltip(self, item: DatasetSummary, column: int) -> str | None:
        if column == COL_NAME and item.name in self._changed:
            return self._changed[item.name]
        if column == COL_NAME:  # the whole name, which the list may elide, and its source
            return "\n".join(t for t in (item.name, item.source_path) if t)
        if column == COL_LATEST:
            return count_noun(item.versions, "version")
        return None

    def foreground(self, item: DatasetSummary, column: int) -> QColor | None:
        if column == COL_NAME and item.name in self._changed:
            return QColor(CHANGED_COLOR)
        return None
