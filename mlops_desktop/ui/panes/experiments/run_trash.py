"""The Trash: runs moved to the trash, restorable, and emptied for good after a confirmation."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.run_edits import EmptiedTrash, TrashedRun
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import format_time
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import ReadOnlyTable, heading_label

ID_COLUMN = 4
EMPTY_TEXT = "The trash is empty. Runs you delete (Del in the runs table) wait here."


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask yes or no (tests replace this)."""
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


def _trashed(service: Any, *, state: TaskState) -> list[TrashedRun]:
    return list(service.trashed_runs())


def _restore(service: Any, run_ids: list[str], *, state: TaskState) -> list[str]:
    return list(service.restore_runs(run_ids))


def _empty(service: Any, *, state: TaskState) -> EmptiedTrash:
    result: EmptiedTrash = service.empty_trash()
    return result


def _runs_word(n: int) -> str:
    return count_noun(n, "run")


class TrashView(QWidget):
    """The runs in the trash with Restore and "Empty trash…".

    Signals:
        changed(): runs left the trash (restored or deleted for good).
        countChanged(int): how many runs are in the trash, after each load.
    """

    changed = Signal()
    countChanged = Signal(int)

    def __init__(self, service: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.runs: list[TrashedRun] = []
        self._note = ""  # what the last restore or emptying did, shown above the list
        self.table = ReadOnlyTable(["Name", "Experiment", "Status", "Moved to trash", "ID"])
        self.table.itemSelectionChanged.connect(self._update_enabled)
        self.restore_button = QPushButton("Restore")
        self.restore_button.setToolTip("Put the selected runs back in their experiments")
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button = QPushButton("Empty trash…")
        self.empty_button.setToolTip("Delete every run in the trash for good")
        self.empty_button.clicked.connect(self.empty_trash)
        self.message = QLabel(EMPTY_TEXT)
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(heading_label("Trash"))
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.empty_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self._update_enabled()

    def open(self) -> None:
        """Shown anew: forget what the last restore or emptying did, and list the runs."""
        self._note = ""
        self.load()

    def load(self) -> None:
        """List the trashed runs, on the runner (keeping the note of the last change)."""
        self._runner.submit(
            _trashed,
            self._service,
            key=(self, "trash"),
            on_done=self._on_loaded,
            on_failed=self._on_failed,
        )

    def _on_loaded(self, runs: list[TrashedRun]) -> None:
        self.runs = runs
        self.table.set_rows(
            (r.name or r.id[:8], r.experiment, r.status, format_time(r.deleted_at), r.id)
            for r in runs
        )
        self.table.sortItems(3, Qt.SortOrder.DescendingOrder)  # the latest moved first
        self.table.resizeColumnsToContents()
        listing = (
            EMPTY_TEXT
            if not runs
            else f"{_runs_word(len(runs))} in the trash. Restore puts them back; "
            "emptying the trash deletes them for good."
        )
        self.message.setText(f"{self._note} {listing}".strip())
        self._update_enabled()
        self.countChanged.emit(len(runs))

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        ids = []
        for row in rows:
            item = self.table.item(row, ID_COLUMN)
            if item is not None:
                ids.append(str(item.text()))
        return ids

    def _update_enabled(self) -> None:
        self.restore_button.setEnabled(bool(self.selected_ids()))
        self.empty_button.setEnabled(bool(self.runs))

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        self._runner.submit(
            _restore,
            self._service,
            ids,
            on_done=lambda done: self._after(f"Restored {_runs_word(len(done))}."),
            on_failed=self._on_failed,
        )

    def empty_trash(self) -> None:
        if not self.runs:
            return
        n = len(self.runs)
        if not confirm(
            self,
            "Empty the trash",
            f"Delete {_runs_word(n)} for good? Their metrics, params, tags and logs are "
            "removed; this cannot be undone.",
        ):
            return
        self._runner.submit(
            _empty, self._service, on_done=self._on_emptied, on_failed=self._on_failed
        )

    def _on_emptied(self, emptied: EmptiedTrash) -> None:
        text = f"Deleted {_runs_word(len(emptied.deleted))} for good."
        if emptied.kept:
            text += f" Kept {_runs_word(len(emptied.kept))}: {emptied.kept[0].reason}."
        self._after(text)

    def _after(self, text: str) -> None:
        self._note = text
        self.changed.emit()
        self.load()

    def _on_failed(self, failure: Failure) -> None:
        self.message.setText(str(failure))
