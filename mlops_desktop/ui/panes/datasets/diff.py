"""The Diff tab: two versions chosen with combo boxes; files and table changes between them."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.datasets import DatasetDiff, DatasetVersion, TableDiff
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.formatting import count_noun, format_value, shown_text
from mlops_desktop.ui.panes.datasets.tabs import VersionTab
from mlops_desktop.ui.tasks import TaskRunner, TaskState

ADDED_COLOR = "#2ca02c"
REMOVED_COLOR = "#e0433b"
CHANGED_COLOR = "#e08a00"
MAX_LISTED = 2000  # files listed per group; the count says how many there are


def _diff(
    service: DatasetService, name: str, old: str, new: str, *, state: TaskState
) -> DatasetDiff:
    return service.diff(name, old, new)


def _stat(value: Any) -> str:
    return "—" if value is None else format_value(value)


class DiffTab(VersionTab):
    """Choose "from" and "to" versions; shows added, removed and changed files and tables."""

    def __init__(
        self, service: DatasetService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, parent)
        self.diff: DatasetDiff | None = None
        self.old_combo = QComboBox()
        self.new_combo = QComboBox()
        self.summary_label = QLabel()
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Change", "Detail"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(0, 360)
        row = QHBoxLayout()
        row.addWidget(QLabel("From"))
        row.addWidget(self.old_combo)
        row.addWidget(QLabel("to"))
        row.addWidget(self.new_combo)
        row.addSpacing(12)
        row.addWidget(self.summary_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.message_label)
        layout.addWidget(self.tree, 1)
        self.old_combo.currentIndexChanged.connect(self._on_versions_chosen)
        self.new_combo.currentIndexChanged.connect(self._on_versions_chosen)

    def set_versions(self, versions: list[DatasetVersion], selected: str) -> None:
        """Offer ``versions``; compare ``selected`` with the version before it."""
        names = [v.version for v in sorted(versions, key=lambda v: v.number)]
        new_index = names.index(selected) if selected in names else len(names) - 1
        for combo, index in ((self.old_combo, max(0, new_index - 1)), (self.new_combo, new_index)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

    def _reload(self) -> None:
        self._on_versions_chosen()

    def _on_versions_chosen(self, *_args: Any) -> None:
        old, new = self.old_combo.currentText(), self.new_combo.currentText()
        if not (self.name and old and new):
            return
        if old == new:
            self.tree.clear()
            self.summary_label.setText("")
            self.set_message("Choose two different versions to compare.")
            return
        self._submit(_diff, self.name, old, new, on_done=self.show_diff)

    def show_diff(self, diff: DatasetDiff) -> None:
        self.diff = diff
        self.tree.clear()
        self.summary_label.setText(
            f"{shown_text(diff.old)} → {shown_text(diff.new)}: {len(diff.added)} added, "
            f"{len(diff.removed)} removed, {len(diff.changed)} changed"
        )
        groups = (
            ("Added", diff.added, ADDED_COLOR, "+"),
            ("Removed", diff.removed, REMOVED_COLOR, "-"),
            ("Changed", diff.changed, CHANGED_COLOR, "~"),
        )
        for title, paths, color, sign in groups:
            title_text = f"{title} files ({len(paths):,})"
            group = self._item(None, title_text, "", color if paths else None)
            for path in paths[:MAX_LISTED]:
                self._item(group, f"{sign} {path}", "", color).setFirstColumnSpanned(True)
            if len(paths) > MAX_LISTED:
                self._item(group, f"… and {len(paths) - MAX_LISTED:,} more", "", None)
            group.setExpanded(bool(paths) and len(paths) <= 200)
        if diff.tables:
            tables = self._item(None, f"Tables ({len(diff.tables)})", "", None)
            for table in diff.tables:
                self._add_table(tables, table)
            tables.setExpanded(True)
        if diff.problems:
            problems = self._item(None, f"Problems ({len(diff.problems)})", "", REMOVED_COLOR)
            for text in diff.problems:
                self._item(problems, text, "", None).setFirstColumnSpanned(True)
            problems.setExpanded(True)
        if not (diff.added or diff.removed or diff.changed or diff.tables):
            self.set_message("No differences: both versions have the same files.")

    def _add_table(self, parent: QTreeWidgetItem, table: TableDiff) -> None:
        rows = f"rows {table.rows_old:,} → {table.rows_new:,}"
        node = self._item(parent, table.path, rows, CHANGED_COLOR)
        if table.rows_added:
            self._item(node, f"+ {count_noun(table.rows_added, 'row')} added", "", ADDED_COLOR)
        if table.rows_removed:
            self._item(
                node, f"- {count_noun(table.rows_removed, 'row')} removed", "", REMOVED_COLOR
            )
        for change in table.columns:
            color = {"added": ADDED_COLOR, "removed": REMOVED_COLOR}.get(
                change.change, CHANGED_COLOR
            )
            if change.change == "retyped":
                detail = f"{change.old_type} → {change.new_type}"
            elif change.change == "added":
                detail = change.new_type or ""
            elif change.change == "removed":
                detail = change.old_type or ""
            else:
                detail = ", ".join(
                    f"{shown_text(stat)} {_stat(old)} → {_stat(new)}"
                    for stat, (old, new) in change.stats.items()
                )
            text = f"column {shown_text(change.column)}: {change.change}"
            item = self._item(node, text, shown_text(detail), color)
            item.setToolTip(1, shown_text(detail))
        node.setExpanded(True)

    def _item(
        self, parent: QTreeWidgetItem | None, text: str, detail: str, color: str | None
    ) -> QTreeWidgetItem:
        item = QTreeWidgetItem([text, detail])
        if len(text) > 40:
            item.setToolTip(0, text)
        if color is not None:
            item.setForeground(0, QBrush(QColor(color)))
        if parent is None:
            self.tree.addTopLevelItem(item)
        else:
            parent.addChild(item)
        return item
