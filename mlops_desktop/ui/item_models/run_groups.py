"""Rows of the runs table grouped by a param or tag, with a header row per group.

:class:`RunGroupsModel` sits between :class:`RunsTableModel` (the flat, sorted runs) and the
view. Without grouping it is the identity: same rows, signals passed through, so live updates
stay in place and cost nothing more. Grouped, each group shows a header row (the value, the
count, and mean [min, max] of every shown metric column) followed by its runs in the table's
sort order; a collapsed group shows only its header. Header rows cannot be selected, so the
selection is always runs.

Nested runs (a run whose parent is among the rows) show right under their parent, indented,
with a disclosure triangle and the number of children on the parent's name; children are
folded until their parent is unfolded (remembered per run id while the app runs). With
nesting the rows are laid out like groups; runs of a filter's context (parents kept so a
matching child is not orphaned) show greyed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.formatting import count_noun, format_number, shown_text
from mlops_desktop.ui.item_models.run_group_layout import (
    GroupLayout,
    RunGroup,
    aggregate,
    group_label,
    layout_groups,
    layout_tree,
)
from mlops_desktop.ui.item_models.run_tree_layout import RunTree, ancestors, run_tree
from mlops_desktop.ui.item_models.runs_table import COL_NAME, RunsTableModel, column_value

GROUP_ROLE = Qt.ItemDataRole.UserRole + 10
RANGE_DASH = "\u2013"  # an en dash: a group row reads "mean (min to max)" with it
_Index = QModelIndex | QPersistentModelIndex
_RUN_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
_GROUP_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren  # not selectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_NAME_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
NEST_INDENT = "\u2003\u2003"  # two em spaces per level of nesting, before a child's name


def _compact(number: float) -> str:
    """Three significant digits: a group row shows mean (min to max) in a narrow column."""
    return f"{number:.3g}"


class RunGroupsModel(QAbstractTableModel):
    """See the module docstring. Rows are either a group header or a run of the source."""

    def __init__(self, source: RunsTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._key: str | None = None
        self._groups: list[RunGroup] = []
        self._entries: list[int] = []  # >= 0: a source row; < 0: group -(i + 1)
        self._proxy_row: dict[int, int] = {}  # source row -> row here (shown runs only)
        self._group_of_source: list[int] = []  # source row -> its group's number
        self._header_row: list[int] = []  # group number -> the row of its header
        self._collapsed: set[str] = set()
        self._mapped = False  # rows are laid out (grouped or nested), not the source's rows
        self._tree: RunTree | None = None
        self._depth: dict[int, int] = {}  # source row -> nesting depth (nested runs only)
        self._kids: dict[int, int] = {}  # source row -> number of children (parents only)
        self._parents: list[str | None] = []  # source row -> its parent id, when laid out
        self._wanted: set[str] = set()  # parent ids that rows name (to notice a parent coming)
        self._expanded: set[str] = set()  # parents whose children show (run ids)
        self._context: frozenset[str] = frozenset()  # runs shown greyed: a filter's context
        self._stale = False
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(0)
        self._rebuild_timer.timeout.connect(self._relayout)
        self._saved: list[tuple[QModelIndex, str | None, str | None, int]] = []
        s = source
        s.dataChanged.connect(self._on_data_changed)
        s.headerDataChanged.connect(self.headerDataChanged)
        s.modelAboutToBeReset.connect(self.beginResetModel)
        s.modelReset.connect(self._on_reset)
        s.layoutAboutToBeChanged.connect(self._before_layout)
        s.layoutChanged.connect(self._after_layout)
        s.rowsAboutToBeInserted.connect(self._on_rows_about_to_be_inserted)
        s.rowsInserted.connect(self._on_rows_inserted)
        s.rowsAboutToBeRemoved.connect(self._on_rows_about_to_be_removed)
        s.rowsRemoved.connect(self._on_rows_removed)
        s.rowsAboutToBeMoved.connect(self._on_rows_about_to_be_moved)
        s.rowsMoved.connect(self._on_rows_moved)

    # --- grouping ------------------------------------------------------------------------
    def source(self) -> RunsTableModel:
        return self._source

    def group_by(self) -> str | None:
        return self._key

    def set_group_by(self, key: str | None) -> None:
        """Group by ``key`` (``"params.opt"``, ``"tags.team"``), or stop grouping (None)."""
        key = key or None
        if key == self._key:
            return
        self.beginResetModel()
        self._key = key
        self._collapsed.clear()
        self._build()
        self.endResetModel()

    def groups(self) -> list[RunGroup]:
        return list(self._groups)

    def is_group_row(self, row: int) -> bool:
        return self._key is not None and 0 <= row < len(self._entries) and self._entries[row] < 0

    def set_collapsed(self, label: str, collapsed: bool) -> None:
        """Collapse (only the header row shows) or expand the group ``label``."""
        if self._key is None or (label in self._collapsed) == collapsed:
            return
        self._before_layout()
        if collapsed:
            self._collapsed.add(label)
        else:
            self._collapsed.discard(label)
        self._after_layout()

    def toggle_group_at(self, row: int) -> bool:
        """Collapse or expand the group whose header is ``row``; False when it is a run."""
        if not self.is_group_row(row):
            return False
        label = self._groups[-self._entries[row] - 1].label
        self.set_collapsed(label, label not in self._collapsed)
        return True

    # --- nesting -------------------------------------------------------------------------
    def is_parent_row(self, row: int) -> bool:
        """Whether ``row`` shows a run with children among the rows."""
        source = self.source_row(row)
        return source is not None and source in self._kids

    def depth_at(self, row: int) -> int:
        """How deep the run of ``row`` is nested (0: a top run or a group header)."""
        source = self.source_row(row)
        return 0 if source is None else self._depth.get(source, 0)

    def child_count(self, run_id: str) -> int:
        """How many children of ``run_id`` are among the rows."""
        source = self._source.row_of(run_id)
        return 0 if source is None else self._kids.get(source, 0)

    def is_expanded(self, run_id: str) -> bool:
        return run_id in self._expanded

    def set_expanded(self, run_id: str, expanded: bool) -> None:
        """Show (True) or fold (False) the children of the run ``run_id``."""
        if (run_id in self._expanded) == expanded:
            return
        if not self._mapped:  # no nesting shown: only remember it
            self._expanded.symmetric_difference_update({run_id})
            return
        self._before_layout()
        self._expanded.symmetric_difference_update({run_id})
        self._after_layout()

    def toggle_children_at(self, row: int) -> bool:
        """Fold or unfold the children of the parent in ``row``; False when it has none."""
        if not self.is_parent_row(row):
            return False
        run = self.run_at(row)
        assert run is not None
        self.set_expanded(run.id, run.id not in self._expanded)
        return True

    def set_context_runs(self, run_ids: frozenset[str]) -> None:
        """Grey these runs: parents shown only so that their matching children have one."""
        if run_ids == self._context:
            return
        self._context = frozenset(run_ids)
        if self.rowCount() and self.columnCount():
            last = self.index(self.rowCount() - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.ForegroundRole])

    def context_runs(self) -> frozenset[str]:
        return self._context

    def set_stale(self, stale: bool) -> None:
        """Grey every row: they are the result of an older filter than the one typed."""
        if stale == self._stale:
            return
        self._stale = stale
        if self.rowCount() and self.columnCount():
            last = self.index(self.rowCount() - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.ForegroundRole])

    def is_stale(self) -> bool:
        return self._stale

    # --- rows <-> runs -------------------------------------------------------------------
    def source_row(self, row: int) -> int | None:
        """The source row of a run row; None for a group header or a row out of range."""
        if not self._mapped:
            return row if 0 <= row < self._source.row_count() else None
        if not 0 <= row < len(self._entries) or self._entries[row] < 0:
            return None
        return self._entries[row]

    def run_at(self, row: int) -> RunSummary | None:
        source = self.source_row(row)
        return None if source is None else self._source.run_at(source)

    def row_of(self, run_id: str, expand: bool = False) -> int | None:
        """The row showing ``run_id``; a run in a collapsed group has none unless ``expand``."""
        source = self._source.row_of(run_id)
        if source is None or not self._mapped:
            return source
        row = self._proxy_row.get(source)
        if row is None and expand:
            if self._key is not None:
                run = self._source.run_at(source)
                self.set_collapsed(group_label(run, self._key), False)
            hidden_by = [] if self._tree is None else ancestors(self._tree, source)
            folded = [self._source.run_at(r).id for r in hidden_by]
            if any(run_id not in self._expanded for run_id in folded):
                self._before_layout()
                self._expanded.update(folded)
                self._after_layout()
            row = self._proxy_row.get(source)
        return row

    # --- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._entries) if self._mapped else self._source.row_count()

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._source.columnCount()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return self._source.headerData(section, orientation, role)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        row = index.row()  # -1 for an invalid index
        if not self._mapped:
            return _RUN_FLAGS if 0 <= row < self._source.row_count() else _NO_FLAGS
        if not 0 <= row < len(self._entries):
            return _NO_FLAGS
        return _GROUP_FLAGS if self._entries[row] < 0 else _RUN_FLAGS

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every painted cell: kept short on purpose.
        row = index.row()  # -1 for an invalid index, which cell_data answers with None
        if self._mapped:
            if not 0 <= row < len(self._entries):
                return None
            entry = self._entries[row]
            if entry < 0:
                return self._group_data(self._groups[-entry - 1], index.column(), role)
            row = entry
            if index.column() == COL_NAME and role in _NAME_ROLES:
                nested = self._nested_name(row, role)
                if nested is not None:
                    return nested
        if role == Qt.ItemDataRole.ForegroundRole and (
            self._stale or (self._context and self._source.run_at(row).id in self._context)
        ):
            return QGuiApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        return self._source.cell_data(row, index.column(), role)

    def _nested_name(self, source: int, role: int) -> str | None:
        """The name cell of a nested run or a parent (indent, triangle, child count)."""
        depth = self._depth.get(source, 0)
        kids = self._kids.get(source)
        if not depth and kids is None:
            return None
        run = self._source.run_at(source)
        name = shown_text(run.name or run.id[:8])
        if role == Qt.ItemDataRole.ToolTipRole:
            family = f"\n{count_noun(kids, 'child run')} (click the triangle)" if kids else ""
            parent = f"\nchild of {run.parent_run_id}" if depth else ""
            return f"{name}\n{run.id}{parent}{family}"
        lead = NEST_INDENT * depth
        if kids is None:
            return f"{lead}{name}"
        arrow = "▾" if run.id in self._expanded else "▸"
        return f"{lead}{arrow} {name} · {count_noun(kids, 'child', 'children')}"

    def _group_data(self, group: RunGroup, column: int, role: int) -> Any:
        key = self._source.key_of_column(column)
        if role == GROUP_ROLE:
            return group.label
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole:
            return QGuiApplication.palette().color(QPalette.ColorRole.Button)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QGuiApplication.palette().color(QPalette.ColorRole.ButtonText)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if column == COL_NAME:
            arrow = "▸" if group.label in self._collapsed else "▾"
            runs = f"{len(group.rows):,} run" + ("" if len(group.rows) == 1 else "s")
            if role == Qt.ItemDataRole.ToolTipRole:
                return shown_text(f"{self._key} = {group.label}: {runs} (click to fold)")
            short = (self._key or "").split(".", 1)[-1]
            return shown_text(f"{arrow} {short} = {group.label} · {runs}")
        if key is None or not key.startswith("metrics."):
            return None
        stats = self.group_stats(group, key)
        if stats is None:
            return None
        mean, low, high = stats
        if role == Qt.ItemDataRole.ToolTipRole:
            return shown_text(
                f"{key} over {count_noun(len(group.rows), 'run')}: mean {format_number(mean)}, "
                f"min {format_number(low)}, max {format_number(high)}"
            )
        return f"{_compact(mean)} ({_compact(low)}{RANGE_DASH}{_compact(high)})"

    def group_stats(self, group: RunGroup, key: str) -> tuple[float, float, float] | None:
        """(mean, min, max) of ``key`` over the group's runs (cached until they change)."""
        if key not in group.stats:
            values = [column_value(self._source.run_at(r), -1, key) for r in group.rows]
            group.stats[key] = aggregate(values)
        return group.stats[key]

    # --- building ------------------------------------------------------------------------
    def _build(self) -> None:
        runs = self._source.runs()
        tree = run_tree(runs)
        if self._key is not None:
            layout = layout_groups(runs, self._key, self._collapsed, tree, self._expanded)
        elif tree is not None:
            layout = layout_tree(runs, tree, self._expanded)
        else:
            layout = GroupLayout()
        self._mapped = self._key is not None or tree is not None
        self._tree = tree
        self._depth, self._kids = layout.depth, layout.kids
        self._parents = [run.parent_run_id for run in runs] if self._mapped else []
        self._wanted = {r.parent_run_id for r in runs if r.parent_run_id not in (None, r.id)}
        self._groups, self._entries = layout.groups, layout.entries
        self._proxy_row, self._group_of_source = layout.proxy_row, layout.group_of_source
        self._header_row = layout.header_row

    def _on_reset(self) -> None:
        self._build()
        self.endResetModel()

    def _before_layout(self) -> None:
        """Remember what every persistent index shows (a run id or a group label)."""
        self.layoutAboutToBeChanged.emit()
        self._saved = []
        for persistent in self.persistentIndexList():
            row = persistent.row()
            run = self.run_at(row)
            label = self._groups[-self._entries[row] - 1].label if self.is_group_row(row) else None
            self._saved.append(
                (persistent, run.id if run is not None else None, label, persistent.column())
            )

    def _after_layout(self) -> None:
        self._build()
        rows_of_labels = {
            self._groups[-e - 1].label: r for r, e in enumerate(self._entries) if e < 0
        }
        for persistent, run_id, label, column in self._saved:
            row = self.row_of(run_id) if run_id is not None else rows_of_labels.get(label or "")
            new = self.index(row, column) if row is not None else QModelIndex()
            self.changePersistentIndex(persistent, new)
        self._saved = []
        self.layoutChanged.emit()

    def _relayout(self) -> None:
        self._before_layout()
        self._after_layout()

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: Any = ()) -> None:
        if not self._mapped:
            if self._nesting_starts(top.row(), bottom.row()):
                self._rebuild_timer.start()
            self.dataChanged.emit(
                self.index(top.row(), top.column()),
                self.index(bottom.row(), bottom.column()),
                list(roles or []),
            )
            return
        if self._rebuild_timer.isActive():
            return  # a relayout is due anyway
        last = self.columnCount() - 1
        changed: list[int] = []
        for source in range(top.row(), bottom.row() + 1):
            run = self._source.run_at(source) if 0 <= source < self._source.row_count() else None
            if run is None or self._moved(source, run):
                self._rebuild_timer.start()  # the run changed group or parent: lay out again
                return
            changed.append(source)
        for source in changed:
            row = self._proxy_row.get(source)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))
            if self._key is None:
                continue
            number = self._group_of_source[source]
            self._groups[number].stats.clear()  # its aggregates change
            header = self._header_row[number]
            self.dataChanged.emit(self.index(header, 0), self.index(header, last))

    def _moved(self, source: int, run: RunSummary) -> bool:
        """Whether a changed run left its place in the layout (its group or its parent)."""
        if source >= len(self._parents) or self._parents[source] != run.parent_run_id:
            return True
        if self._key is None:
            return False
        number = self._group_of_source[source] if source < len(self._group_of_source) else -1
        return number < 0 or group_label(run, self._key) != self._groups[number].label

    def _nesting_starts(self, first: int, last: int) -> bool:
        """Whether source rows ``first``..``last`` (new or changed, shown as they are) make
        runs nested: a child whose parent is a row, or the parent of rows."""
        source = self._source
        starts = False
        for row in range(max(first, 0), min(last + 1, source.row_count())):
            run = source.run_at(row)
            parent = run.parent_run_id
            if parent is not None and parent != run.id:
                self._wanted.add(parent)
                if source.row_of(parent) is not None:
                    starts = True
            if run.id in self._wanted:
                starts = True
        return starts

    def _on_rows_about_to_be_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        if not self._mapped:
            self.beginInsertRows(QModelIndex(), first, last)
        else:
            self._before_layout()

    def _on_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        if not self._mapped:
            self.endInsertRows()
            if self._nesting_starts(first, last):
                self._rebuild_timer.start()
        else:
            self._after_layout()

    def _on_rows_about_to_be_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        if not self._mapped:
            self.beginRemoveRows(QModelIndex(), first, last)
        else:
            self._before_layout()

    def _on_rows_removed(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if not self._mapped:
            self.endRemoveRows()
        else:
            self._after_layout()

    def _on_rows_about_to_be_moved(
        self, _parent: QModelIndex, first: int, last: int, _dest: QModelIndex, row: int
    ) -> None:
        if not self._mapped:
            self.beginMoveRows(QModelIndex(), first, last, QModelIndex(), row)
        else:
            self._before_layout()

    def _on_rows_moved(self, *_args: Any) -> None:
        if not self._mapped:
            self.endMoveRows()
        else:
            self._after_layout()
