"""The runs table: fixed columns plus chosen ``params.*``/``metrics.*``/``tags.*`` columns.

Fed whole rows (:class:`RunSummary`), never touches the catalog. Sorting happens here on a list
of keys (no proxy over 10,000 rows); missing and NaN values always sort last. Live updates go
through :meth:`RunsTableModel.update_runs`, which changes rows in place and inserts new ones,
so views keep their selection and scroll position.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QGuiApplication, QPalette

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.formatting import (
    format_duration,
    format_number,
    format_time,
    format_value,
    short_id,
    shown_lines,
    shown_text,
)
from mlops_desktop.ui.icons import idle_gpu_icon, status_icon
from mlops_desktop.ui.item_models.run_swatch import run_swatch

COL_STATUS = 0
COL_NAME = 1
COL_ID = 2
COL_STARTED = 3
COL_DURATION = 4
COL_TARGET = 5
COL_USER = 6
FIXED_HEADERS = ("Status", "Name", "ID", "Started", "Duration", "Target", "User")
# Ids of the fixed columns in saved setups (pins, sort of a saved view); dynamic ones use the key.
FIXED_IDS = ("status", "name", "id", "started", "duration", "target", "user")
USER_KEY = "user"  # grouping by the OS user who ran each run (the key of "Group by user")
UNKNOWN_USER = "unknown"  # what a run shows whose user was not recorded (an older spool)

RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

DYNAMIC_PREFIXES = ("params.", "metrics.", "tags.")
_MISSING = object()
_NUMERIC_ALIGN = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_Index = QModelIndex | QPersistentModelIndex


def _running_duration(run: RunSummary) -> float | None:
    if run.ended_at is not None:
        return run.ended_at - run.started_at
    if run.status == "running":
        return max(0.0, time.time() - run.started_at)
    return None


def column_value(run: RunSummary, column: int, key: str | None) -> Any:
    """The raw value of one cell; ``_MISSING`` when the run lacks the key (``key`` is a
    params/metrics/tags key, or :data:`USER_KEY` for the user, as grouping asks)."""
    if key == USER_KEY or (key is None and column == COL_USER):
        return run.user or _MISSING
    if key is not None:
        prefix, _, name = key.partition(".")
        source = {"params": run.params, "metrics": run.metrics, "tags": run.tags}.get(prefix, {})
        return source.get(name, _MISSING)
    if column == COL_STATUS:
        return run.status
    if column == COL_NAME:
        return run.name
    if column == COL_ID:
        return run.id
    if column == COL_STARTED:
        return run.started_at
    if column == COL_DURATION:
        duration = _running_duration(run)
        return _MISSING if duration is None else duration
    return run.target


def sort_key(value: Any) -> tuple[int, Any] | None:
    """A key that orders numbers before texts; None for missing or NaN (sorted last)."""
    if value is _MISSING or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return None if math.isnan(number) else (0, number)
    return (1, str(value).casefold())


class RunsTableModel(QAbstractTableModel):
    """Runs as rows; see the module docstring."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runs: list[RunSummary] = []
        self._row_of: dict[str, int] = {}
        self._keys: list[str] = []
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._idle: dict[str, str] = {}

    # --- feeding -------------------------------------------------------------------------
    def set_idle_runs(self, notes: dict[str, str]) -> None:
        """Badge the runs whose GPUs stay idle; ``notes`` says why, per run id."""
        if notes == self._idle:
            return
        changed = set(notes) ^ set(self._idle) | {r for r in notes if notes[r] != self._idle.get(r)}
        self._idle = dict(notes)
        for run_id in changed:
            row = self._row_of.get(run_id)
            if row is not None:
                index = self.index(row, COL_STATUS)
                self.dataChanged.emit(index, index)

    def set_runs(self, runs: Iterable[RunSummary], columns: Iterable[str] | None = None) -> None:
        """Replace every row (a new experiment or filter), and the dynamic columns when
        ``columns`` is given (one reset and one sort for both)."""
        self.beginResetModel()
        self._runs = list(runs)
        if columns is not None:
            self._keys = [k for k in dict.fromkeys(columns) if k.startswith(DYNAMIC_PREFIXES)]
            if self._sort_column >= len(FIXED_HEADERS) + len(self._keys):
                self._sort_column = -1
        self._apply_sort()
        self.endResetModel()

    def update_runs(self, runs: Iterable[RunSummary], remove_missing: bool = False) -> None:
        """Change known rows in place, insert new ones where the sort puts them.

        Args:
            runs: fresh summaries; unknown ids become new rows.
            remove_missing: also drop rows whose run is not in ``runs`` (a full reload).
        """
        runs = list(runs)
        last_col = self.columnCount() - 1
        fresh: list[RunSummary] = []
        for run in runs:
            row = self._row_of.get(run.id)
            if row is None:
                fresh.append(run)
            elif self._runs[row] != run:
                self._runs[row] = run
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_col))
        if remove_missing:
            keep = {run.id for run in runs}
            for row in range(len(self._runs) - 1, -1, -1):
                if self._runs[row].id not in keep:
                    self.beginRemoveRows(QModelIndex(), row, row)
                    del self._runs[row]
                    self.endRemoveRows()
            self._reindex()
        for run in fresh:
            row = self._insert_position(run)
            self.beginInsertRows(QModelIndex(), row, row)
            self._runs.insert(row, run)
            self._reindex()
            self.endInsertRows()

    def set_columns(self, keys: Iterable[str]) -> None:
        """Choose the dynamic columns, e.g. ``["params.lr", "metrics.acc"]``."""
        keys = [k for k in dict.fromkeys(keys) if k.startswith(DYNAMIC_PREFIXES)]
        if keys == self._keys:
            return
        self.beginResetModel()
        self._keys = keys
        if self._sort_column >= len(FIXED_HEADERS) + len(keys):
            self._sort_column = -1
        self._apply_sort()
        self.endResetModel()

    # --- queries -------------------------------------------------------------------------
    def columns(self) -> list[str]:
        return list(self._keys)

    def runs(self) -> list[RunSummary]:
        return list(self._runs)

    def row_count(self) -> int:
        """The number of rows (runs), without going through Qt."""
        return len(self._runs)

    def run_at(self, row: int) -> RunSummary:
        return self._runs[row]

    def row_of(self, run_id: str) -> int | None:
        return self._row_of.get(run_id)

    def _short_header(self, key: str) -> str:
        """``metrics.val/acc`` shows as ``val/acc`` unless another column has that short name."""
        short = key.split(".", 1)[1] if "." in key else key
        clashes = sum(1 for k in self._keys if k.split(".", 1)[-1] == short)
        return short if clashes == 1 else key

    def key_of_column(self, column: int) -> str | None:
        """The dynamic key shown in ``column``, or None for a fixed column."""
        offset = column - len(FIXED_HEADERS)
        return self._keys[offset] if 0 <= offset < len(self._keys) else None

    def column_id(self, column: int) -> str:
        """A name of ``column`` that survives column changes: its key, or e.g. ``"name"``."""
        key = self.key_of_column(column)
        if key is not None:
            return key
        return FIXED_IDS[column] if 0 <= column < len(FIXED_IDS) else ""

    def column_of_id(self, column_id: str) -> int | None:
        """The column shown for ``column_id`` (see :meth:`column_id`), None when not shown."""
        if column_id in FIXED_IDS:
            return FIXED_IDS.index(column_id)
        if column_id in self._keys:
            return len(FIXED_HEADERS) + self._keys.index(column_id)
        return None

    def sort_state(self) -> tuple[int, Qt.SortOrder]:
        """The sorted column (-1 for none) and its order."""
        return self._sort_column, self._sort_order

    def available_keys(self) -> tuple[list[str], list[str]]:
        """Param keys and metric keys present in the current rows, each sorted."""
        params: set[str] = set()
        metrics: set[str] = set()
        for run in self._runs:
            params.update(run.params)
            metrics.update(run.metrics)
        return sorted(params), sorted(metrics)

    # --- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED_HEADERS) + len(self._keys)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        key = self.key_of_column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return FIXED_HEADERS[section] if key is None else shown_text(self._short_header(key))
        if role == Qt.ItemDataRole.ToolTipRole and key is not None:
            return shown_text(f"{key} (use it in the filter, e.g. {key} > 0)")
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self.cell_data(index.row(), index.column(), role)

    def cell_data(self, row: int, column: int, role: int) -> Any:
        """What :meth:`data` answers for a cell, without building an index (views over this
        model, such as the grouped rows, call it for every painted cell)."""
        if not 0 <= row < len(self._runs):
            return None
        run = self._runs[row]
        key = self.key_of_column(column)
        if role == Qt.ItemDataRole.DisplayRole:
            return shown_text(self._display(run, column, key))
        if role == SORT_ROLE:
            value = column_value(run, column, key)
            return None if value is _MISSING else value
        if role == RUN_ID_ROLE:
            return run.id
        if role == Qt.ItemDataRole.DecorationRole and column == COL_NAME:
            return run_swatch(run.id, run.tags, run.color_index)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_STATUS:
            if run.id in self._idle and run.status == "running":
                return idle_gpu_icon()
            return status_icon(run.status)
        if role == Qt.ItemDataRole.ToolTipRole:
            return shown_lines(self._tooltip(run, column, key))
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_USER and not run.user:
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            value = column_value(run, column, key)
            numeric = column in (COL_DURATION, COL_STARTED) or (
                key is not None and isinstance(value, (int, float)) and not isinstance(value, bool)
            )
            return _NUMERIC_ALIGN if numeric else None
        return None

    def _display(self, run: RunSummary, column: int, key: str | None) -> str:
        value = column_value(run, column, key)
        if column == COL_USER and key is None:
            return UNKNOWN_USER if value is _MISSING else str(value)
        if value is _MISSING:
            return ""
        if column == COL_ID and key is None:
            return short_id(run.id)
        if column == COL_STARTED and key is None:
            return format_time(run.started_at)
        if column == COL_DURATION and key is None:
            return format_duration(value)
        if isinstance(value, float):
            return format_number(value)
        return format_value(value)

    def _tooltip(self, run: RunSummary, column: int, key: str | None) -> str | None:
        value = column_value(run, column, key)
        if key is not None:
            return None if value is _MISSING else f"{key} = {value!r}"
        if column == COL_ID:
            return run.id
        if column == COL_STATUS:
            idle = self._idle.get(run.id) if run.status == "running" else None
            return f"{shown_text(run.name)}: {run.status}" + (f"\n{idle}" if idle else "")
        if column == COL_NAME:
            return f"{shown_text(run.name)}\n{run.id}"
        if column == COL_USER:
            user, host = run.user or UNKNOWN_USER, run.host or "an unknown machine"
            return f"{shown_text(user)} ran it on {shown_text(host)}"
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not -1 <= column < self.columnCount():
            return
        self.layoutAboutToBeChanged.emit()
        old_ids = [run.id for run in self._runs]
        self._sort_column = column
        self._sort_order = order
        self._apply_sort()
        for persistent in self.persistentIndexList():
            if not persistent.isValid() or persistent.row() >= len(old_ids):
                continue
            run_id = old_ids[persistent.row()]
            self.changePersistentIndex(
                persistent, self.index(self._row_of[run_id], persistent.column())
            )
        self.layoutChanged.emit()

    # --- internals -----------------------------------------------------------------------
    def _key_for(self, run: RunSummary) -> tuple[int, Any] | None:
        column = self._sort_column
        return sort_key(column_value(run, column, self.key_of_column(column)))

    def _apply_sort(self) -> None:
        if self._sort_column >= 0:
            present: list[tuple[tuple[int, Any], RunSummary]] = []
            missing: list[RunSummary] = []
            column = self._sort_column
            dynamic = self.key_of_column(column)
            for run in self._runs:
                key = sort_key(column_value(run, column, dynamic))
                if key is None:
                    missing.append(run)
                else:
                    present.append((key, run))
            descending = self._sort_order == Qt.SortOrder.DescendingOrder
            present.sort(key=lambda pair: pair[0], reverse=descending)
            self._runs = [run for _, run in present] + missing
        self._reindex()

    def _reindex(self) -> None:
        self._row_of = {run.id: row for row, run in enumerate(self._runs)}

    def _insert_position(self, run: RunSummary) -> int:
        if self._sort_column < 0:
            return 0  # unsorted: the service lists newest first, so new runs go on top
        key = self._key_for(run)
        if key is None:
            return len(self._runs)
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        for row, other in enumerate(self._runs):
            other_key = self._key_for(other)
            if other_key is None or (other_key < key if descending else other_key > key):
                return row
        return len(self._runs)

    # --- live updates: only the rows an ingest changed ------------------------------------
    def update_rows(self, runs: Iterable[RunSummary], removed: Iterable[str] = ()) -> None:
        """Change, move, insert or remove only the rows of these runs; others stay untouched.

        A known run's row changes in place and, under a sort whose key for it changed, moves
        to its new place; an unknown run is inserted where the sort puts it; the rows of
        ``removed`` leave. Selection and persistent indexes follow the rows (no reset).
        """
        root = QModelIndex()
        for run_id in removed:
            row = self._row_of.get(run_id)
            if row is None:
                continue
            self.beginRemoveRows(root, row, row)
            del self._runs[row]
            del self._row_of[run_id]
            self._reindex_rows(row, len(self._runs))
            self.endRemoveRows()
        last_col = self.columnCount() - 1
        for run in runs:
            row = self._row_of.get(run.id)
            if row is None:
                row = self._sorted_position(run)
                self.beginInsertRows(root, row, row)
                self._runs.insert(row, run)
                self._reindex_rows(row, len(self._runs))
                self.endInsertRows()
                continue
            old = self._runs[row]
            if old == run:
                continue
            self._runs[row] = run
            self.dataChanged.emit(self.index(row, 0), self.index(row, last_col))
            if self._sort_column >= 0 and self._key_for(old) != self._key_for(run):
                self._move_to_sorted_position(row)

    def _move_to_sorted_position(self, row: int) -> None:
        target = self._sorted_position(self._runs[row], skip=row)
        if target == row:
            return
        root = QModelIndex()
        # beginMoveRows counts the destination in the rows before the move
        if not self.beginMoveRows(root, row, row, root, target if target < row else target + 1):
            return
        run = self._runs.pop(row)
        self._runs.insert(target, run)
        self._reindex_rows(min(row, target), max(row, target) + 1)
        self.endMoveRows()

    def _sorted_position(self, run: RunSummary, skip: int | None = None) -> int:
        """Where ``run`` goes among the rows (without row ``skip``): after its equals, by a
        binary search over the sorted rows (missing values last)."""
        count = len(self._runs) - (skip is not None)
        if self._sort_column < 0:
            return 0  # unsorted: the service lists newest first, so new runs go on top
        key = self._key_for(run)
        if key is None:
            return count
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        lo, hi = 0, count
        while lo < hi:
            mid = (lo + hi) // 2
            other = self._key_for(self._runs[mid if skip is None or mid < skip else mid + 1])
            if other is None or (other < key if descending else other > key):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _reindex_rows(self, first: int, end: int) -> None:
        runs, row_of = self._runs, self._row_of
        for row in range(first, end):
            row_of[runs[row].id] = row
