"""The heat map of a monitor: a row per column of the data, a column per window.

A cell's colour is the column's statistic relative to its threshold (its *severity*: 1 at the
threshold), calm below it, warm at it, red when the column drifted; grey when the column could
not be tested. Its tooltip gives the column, window, method, statistic and p-value. A
QTableView with coloured cells: headers, tooltips, keyboard and clicks come with it.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from mlops_desktop.core.drift import P_VALUE_METHODS, ColumnDrift, DriftWindow
from mlops_desktop.ui.formatting import count_noun

_Index = QModelIndex | QPersistentModelIndex
CELL_ROLE = Qt.ItemDataRole.UserRole + 1  # the cell's ColumnDrift (None: not tested)
SEVERITY_ROLE = Qt.ItemDataRole.UserRole + 3  # its severity (float, None when unknown)
SEVERITY_CAP = 3.0
# (calm, at the threshold, drifted, drifted far, untested) per theme
_LIGHT = ("#e3f1e8", "#f6c85f", "#f08a5d", "#b8283a", "#c8c8cc")
_DARK = ("#213b2c", "#a5822b", "#c8583a", "#ff5a6e", "#4a4a4f")


def severity(cell: ColumnDrift) -> float | None:
    """The statistic relative to the threshold: 0 no shift, 1 at the threshold, capped at 3.

    For p-value methods, ``log p / log threshold`` (p = threshold gives 1, p = 1 gives 0);
    for distances, ``statistic / threshold``.
    """
    if cell.problem is not None:
        return None
    if cell.method in P_VALUE_METHODS or cell.p_value is not None:
        p = cell.p_value
        if p is None or not 0.0 < cell.threshold < 1.0:
            return None
        if p <= 0.0:
            return SEVERITY_CAP
        return min(SEVERITY_CAP, max(0.0, math.log(min(p, 1.0)) / math.log(cell.threshold)))
    if cell.statistic is None or cell.threshold <= 0 or not math.isfinite(cell.statistic):
        return None if cell.statistic is None else SEVERITY_CAP
    return min(SEVERITY_CAP, max(0.0, cell.statistic / cell.threshold))


def _mix(a: str, b: str, t: float) -> QColor:
    ca, cb = QColor(a), QColor(b)
    t = min(1.0, max(0.0, t))
    return QColor.fromRgbF(
        ca.redF() + (cb.redF() - ca.redF()) * t,
        ca.greenF() + (cb.greenF() - ca.greenF()) * t,
        ca.blueF() + (cb.blueF() - ca.blueF()) * t,
    )


def cell_color(cell: ColumnDrift | None, dark: bool) -> QColor:
    """Calm to warm up to the threshold; orange to deep red once drifted; grey untested."""
    calm, warm, hot, hottest, grey = _DARK if dark else _LIGHT
    s = severity(cell) if cell is not None else None
    if cell is None or s is None:
        return QColor(grey)
    if cell.drifted:
        return _mix(hot, hottest, (s - 1.0) / (SEVERITY_CAP - 1.0))
    return _mix(calm, warm, s)


def cell_tooltip(cell: ColumnDrift | None, window: DriftWindow) -> str:
    if cell is None:
        why = window.problem or "not in this window"
        return f"Window {window.index}: {why}"
    lines = [f"<b>{cell.column}</b> · window {window.index} ({count_noun(window.rows, 'row')})"]
    if cell.problem:
        lines.append(cell.problem)
        return "<br>".join(lines)
    stat = "-" if cell.statistic is None else f"{cell.statistic:.4g}"
    lines.append(f"{cell.method}: statistic {stat}")
    if cell.p_value is not None:
        lines.append(f"p-value {cell.p_value:.3g} (drift below {cell.threshold:g})")
    else:
        lines.append(f"drift at {cell.threshold:g} or more")
    if cell.effect_size is not None:
        lines.append(f"effect size {cell.effect_size:.3g}")
    if cell.missing_share:
        lines.append(f"missing {cell.missing_share:.1%}")
    lines.append("<b>drifted</b>" if cell.drifted else "no drift")
    lines.append("<i>click: distributions</i>")
    return "<br>".join(lines)


class HeatmapModel(QAbstractTableModel):
    """Columns of the data (rows) x windows (columns); see the module docstring."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.windows: list[DriftWindow] = []
        self.columns: list[str] = []
        self._cells: dict[tuple[str, int], ColumnDrift] = {}
        self.dark = False

    def set_windows(self, windows: list[DriftWindow], columns: list[str] | None = None) -> None:
        """Show ``windows`` (oldest first); rows in the order of ``columns`` (the monitor's
        plans), then any other column a window reported."""
        self.beginResetModel()
        self.windows = list(windows)
        self._cells = {}
        names: dict[str, None] = dict.fromkeys(columns or [])
        for w in self.windows:
            for c in w.report.columns if w.report else ():
                names.setdefault(c.column)
                self._cells[(c.column, w.index)] = c
        self.columns = list(names)
        self.endResetModel()

    def set_dark(self, dark: bool) -> None:
        if dark != self.dark:
            self.dark = dark
            if self.rowCount() and self.columnCount():
                self.dataChanged.emit(
                    self.index(0, 0),
                    self.index(self.rowCount() - 1, self.columnCount() - 1),
                    [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole],
                )

    def cell(self, row: int, column: int) -> ColumnDrift | None:
        return self._cells.get((self.columns[row], self.windows[column].index))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.windows)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        count = len(self.windows) if horizontal else len(self.columns)
        if not 0 <= section < count:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.windows[section].index) if horizontal else self.columns[section]
        if role == Qt.ItemDataRole.ToolTipRole and horizontal:
            w = self.windows[section]
            share = f"{w.report.drift_share:.0%} of columns drifted" if w.report else w.problem
            return f"Window {w.index}: {count_noun(w.rows, 'row')} from {w.source or '?'}; {share}"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.columns):
            return None
        if index.column() >= len(self.windows):
            return None
        cell = self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.BackgroundRole:
            return cell_color(cell, self.dark)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#ffffff" if cell is not None and cell.drifted else "#303030")
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if cell is not None and cell.problem is None else "-"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell_tooltip(cell, self.windows[index.column()])
        if role == CELL_ROLE:
            return cell
        if role == SEVERITY_ROLE:
            return severity(cell) if cell is not None else None
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def heatmap_view(model: HeatmapModel, parent: QWidget | None = None) -> QTableView:
    """Small square-ish cells, the column names on the left, window numbers on top."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setShowGrid(True)
    view.setMouseTracking(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.horizontalHeader().setDefaultSectionSize(30)
    view.horizontalHeader().setMinimumSectionSize(18)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(20)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    return view
