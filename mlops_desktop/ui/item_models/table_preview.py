"""A table file's first rows and its per-column profile, as virtual tables."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from mlops_desktop.core.datasets import ColumnProfile, TablePreview
from mlops_desktop.ui.formatting import count_noun, format_value
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

_Index = QModelIndex | QPersistentModelIndex

PCOL_NAME = 0
PCOL_TYPE = 1
PCOL_MISSING = 2
PCOL_DISTINCT = 3
PCOL_MIN = 4
PCOL_MAX = 5
PCOL_MEAN = 6
PCOL_STD = 7


class PreviewTableModel(RowsTableModel[list[str]]):
    """The rows of a :class:`TablePreview`; headers are its column names (type as tooltip)."""

    BATCH = 500

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[str] = []
        self._types: list[str] = []

    def set_preview(self, preview: TablePreview | None) -> None:
        self.beginResetModel()
        self._columns = list(preview.columns) if preview else []
        self._types = list(preview.types) if preview else []
        self._rows = list(preview.rows) if preview else []
        self._shown = min(len(self._rows), self.BATCH)
        self.endResetModel()

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self._shown:
                return str(section + 1)
            return None
        if not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self._types):
            return f"{self._columns[section]}: {self._types[section]}"
        return None

    def display(self, item: list[str], column: int) -> str:
        return item[column] if column < len(item) else ""


class ProfileTableModel(RowsTableModel[ColumnProfile]):
    """Rows are :class:`ColumnProfile`: one line of statistics per column."""

    HEADERS = ("Column", "Type", "Missing", "Distinct", "Min", "Max", "Mean", "Std")
    NUMERIC_COLUMNS = frozenset({PCOL_MISSING, PCOL_DISTINCT, PCOL_MEAN, PCOL_STD})

    def display(self, item: ColumnProfile, column: int) -> str:
        if column == PCOL_NAME:
            return item.name
        if column == PCOL_TYPE:
            return item.type
        if column == PCOL_MISSING:
            return f"{item.missing_share * 100:.1f}%"
        if column == PCOL_DISTINCT:
            return "" if item.distinct is None else f"{item.distinct:,}"
        value = {PCOL_MIN: item.min, PCOL_MAX: item.max, PCOL_MEAN: item.mean}.get(column, item.std)
        return "" if value is None else format_value(value)

    def tooltip(self, item: ColumnProfile, column: int) -> str | None:
        if column == PCOL_MISSING:
            return f"{item.missing:,} of {count_noun(item.count, 'value')} missing"
        if column == PCOL_TYPE:
            return item.kind
        return None
