"""ParamDiffModel and ParamDiffView: params and tags of runs side by side, differences marked.

Rows are param keys and ``tags.KEY`` keys, columns are runs. By default only rows whose values
differ between the runs are listed; a cell that differs from the row's most common value is
highlighted (every cell of the row when no value is shared by several runs).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QCheckBox, QHeaderView, QTableView, QVBoxLayout, QWidget

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.charts.palette import run_label

MISSING_TEXT = "—"
DIFF_BRUSH = QBrush(QColor("#fff3c4"))
DIFF_TEXT = QBrush(QColor("#222222"))
_MISSING = object()

AnyIndex = QModelIndex | QPersistentModelIndex


def format_value(value: Any) -> str:
    """A param or tag value as the table shows it."""
    if value is _MISSING:
        return MISSING_TEXT
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class ParamDiffModel(QAbstractTableModel):
    """Rows: param keys then ``tags.`` keys; columns: runs; cells: the values as text.

    Args:
        show_all: also list rows whose value is the same in every run.
    """

    def __init__(self, parent: Any = None, show_all: bool = False) -> None:
        super().__init__(parent)
        self._runs: list[RunSummary] = []
        self._show_all = show_all
        self._rows: list[str] = []
        self._cells: list[list[str]] = []  # [row][column] text
        self._differs: list[list[bool]] = []  # [row][column] highlighted

    @property
    def show_all(self) -> bool:
        return self._show_all

    def set_show_all(self, show_all: bool) -> None:
        if show_all != self._show_all:
            self._show_all = show_all
            self._rebuild()

    def set_runs(self, runs: list[RunSummary]) -> None:
        """Compare ``runs`` (one column each, in the given order)."""
        self._runs = list(runs)
        self._rebuild()

    def row_keys(self) -> list[str]:
        """The keys listed, top to bottom (``tags.`` prefixed for tags)."""
        return list(self._rows)

    def is_different(self, row: int, column: int) -> bool:
        return self._differs[row][column]

    # -- Qt model interface -------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._runs)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._cells[row][column]
        if role == Qt.ItemDataRole.BackgroundRole and self._differs[row][column]:
            return DIFF_BRUSH
        if role == Qt.ItemDataRole.ForegroundRole and self._differs[row][column]:
            return DIFF_TEXT  # dark on the light highlight, in light and dark themes
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._runs):
                return None
            run = self._runs[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return run.name or run.id[:8]
            if role == Qt.ItemDataRole.ToolTipRole:
                return run_label(run.name, run.id)
        elif 0 <= section < len(self._rows) and role == Qt.ItemDataRole.DisplayRole:
            return self._rows[section]
        return None

    # -- building -----------------------------------------------------------------------------

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._rows, self._cells, self._differs = [], [], []
        params = sorted({key for run in self._runs for key in run.params})
        tags = sorted({key for run in self._runs for key in run.tags})
        keys = [(key, key, "params") for key in params]
        keys += [(f"tags.{key}", key, "tags") for key in tags]
        for row_key, key, source in keys:
            values = [getattr(run, source).get(key, _MISSING) for run in self._runs]
            texts = [format_value(value) for value in values]
            counts = Counter(texts)
            if len(counts) <= 1 and not self._show_all:
                continue
            self._rows.append(row_key)
            self._cells.append(texts)
            self._differs.append(_highlights(texts, counts))
        self.endResetModel()


def _highlights(texts: list[str], counts: Counter[str]) -> list[bool]:
    """Cells that differ from the row's unique most common value (all if there is none)."""
    if len(counts) <= 1:
        return [False] * len(texts)
    ranked = counts.most_common(2)
    mode, top = ranked[0]
    if top < 2 or ranked[1][1] == top:
        return [True] * len(texts)
    return [text != mode for text in texts]


class ParamDiffView(QWidget):
    """A "Show equal values" checkbox above a table of :class:`ParamDiffModel`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ParamDiffModel(self)
        self.show_equal_check = QCheckBox("Show equal values")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.show_equal_check)
        layout.addWidget(self.table, 1)
        self.show_equal_check.toggled.connect(self._on_show_equal_toggled)

    def set_runs(self, runs: list[RunSummary]) -> None:
        """Compare ``runs``; columns are sized to their contents (up to a readable width)."""
        self.model.set_runs(runs)
        self._fit_columns()

    def _on_show_equal_toggled(self, checked: bool) -> None:
        self.model.set_show_all(checked)
        self._fit_columns()

    def _fit_columns(self) -> None:
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount()):
            header.resizeSection(column, min(max(header.sectionSize(column), 80), 260))
