"""A read-only table model over a list of plain rows, shown lazily in batches.

Subclasses name their columns (``HEADERS``) and say how a row reads in each column
(:meth:`RowsTableModel.display`). Rows arrive whole (:meth:`RowsTableModel.set_rows`); the view
sees them in batches of ``BATCH`` through ``canFetchMore``/``fetchMore``, so 100,000 rows cost
nothing until someone scrolls to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

from mlops_desktop.ui.formatting import shown_lines, shown_text

_Index = QModelIndex | QPersistentModelIndex
RowT = TypeVar("RowT")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value to sort by (numbers stay numbers)
NUMERIC_ALIGN = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class RowsTableModel(QAbstractTableModel, Generic[RowT]):
    """Rows of one type (``RowsTableModel[JobInfo]``); see the module docstring."""

    HEADERS: ClassVar[tuple[str, ...]] = ()
    NUMERIC_COLUMNS: ClassVar[frozenset[int]] = frozenset()
    BATCH: ClassVar[int] = 1000

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []
        self._shown = 0

    # --- feeding -------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[RowT]) -> None:
        """Replace every row; the first batch becomes visible at once."""
        self.beginResetModel()
        self._rows = list(rows)
        self._shown = min(len(self._rows), self.BATCH)
        self.endResetModel()

    def rows(self) -> list[RowT]:
        return list(self._rows)

    def row_at(self, row: int) -> RowT:
        return self._rows[row]

    def total_rows(self) -> int:
        """Every row, shown or not yet fetched."""
        return len(self._rows)

    # --- subclass hooks ------------------------------------------------------------------
    def display(self, item: RowT, column: int) -> str:
        raise NotImplementedError

    def sort_value(self, item: RowT, column: int) -> object:
        return self.display(item, column)

    def tooltip(self, item: RowT, column: int) -> str | None:
        return None

    def foreground(self, item: RowT, column: int) -> QColor | None:
        return None

    def decoration(self, item: RowT, column: int) -> QIcon | None:
        return None

    # --- QAbstractTableModel -------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._shown < len(self._rows)

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        count = min(self.BATCH, len(self._rows) - self._shown)
        if count <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + count - 1)
        self._shown += count
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < self._shown):
            return None
        item = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return shown_text(self.display(item, column))
        if role == Qt.ItemDataRole.ToolTipRole:
            return shown_lines(self.tooltip(item, column))
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(item, column)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.decoration(item, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.NUMERIC_COLUMNS:
            return int(NUMERIC_ALIGN.value)
        if role == ROW_ROLE:
            return item
        if role == SORT_ROLE:
            return self.sort_value(item, column)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
