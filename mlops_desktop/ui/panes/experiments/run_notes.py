"""Editable run notes, saved with Ctrl+S, on leaving the box and before showing another run."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.ui.dialogs.about import SHORTCUT_WHERE
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState


def _save_notes(service: ExperimentService, run_id: str, notes: str, *, state: TaskState) -> None:
    service.set_notes(run_id, notes)


class NotesEditor(QWidget):
    """A plain-text (markdown) notes box bound to one run.

    Signals:
        saved(str): the notes of this run id were written to the catalog.
    """

    saved = Signal(str)

    def __init__(
        self, service: ExperimentService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._run_id: str | None = None
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText("Notes about this run (markdown). Ctrl+S saves.")
        self.edit.installEventFilter(self)
        self.state_label = QLabel()
        self.state_label.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.state_label)
        shortcut = QShortcut(QKeySequence.StandardKey.Save, self.edit)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.setWhatsThis("Save the run's notes")
        shortcut.setProperty(SHORTCUT_WHERE, "in notes")
        shortcut.activated.connect(self.save)
        self.edit.document().modificationChanged.connect(self._on_modification_changed)

    @property
    def run_id(self) -> str | None:
        return self._run_id

    def text(self) -> str:
        return self.edit.toPlainText()

    def is_modified(self) -> bool:
        return self.edit.document().isModified()

    def set_run(self, run_id: str | None, notes: str) -> None:
        """Show a run's notes; unsaved edits of the previous run are saved first."""
        if run_id == self._run_id:
            self.update_notes(notes)
            return
        self.save()
        self._run_id = run_id
        self.edit.setEnabled(run_id is not None)
        self._replace_text(notes)
        self.state_label.clear()

    def update_notes(self, notes: str) -> None:
        """Take notes changed elsewhere, unless the person is editing them here."""
        if not self.is_modified() and not self.edit.hasFocus() and notes != self.text():
            self._replace_text(notes)

    def save(self) -> None:
        """Write the notes on the runner if they changed."""
        if self._run_id is None or not self.is_modified():
            return
        run_id, text = self._run_id, self.text()
        self.edit.document().setModified(False)
        self.state_label.setText("Saving…")
        self._runner.submit(
            _save_notes,
            self._service,
            run_id,
            text,
            on_done=lambda _r: self._on_saved(run_id),
            on_failed=lambda failure: self._on_save_failed(run_id, failure),
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.FocusOut:
            self.save()
        return super().eventFilter(watched, event)

    def _replace_text(self, notes: str) -> None:
        self.edit.setPlainText(notes)
        self.edit.document().setModified(False)

    def _on_modification_changed(self, modified: bool) -> None:
        if modified:
            self.state_label.setText("Unsaved changes")

    def _on_saved(self, run_id: str) -> None:
        if run_id == self._run_id and not self.is_modified():
            self.state_label.setText("Saved at " + time.strftime("%H:%M:%S"))
        self.saved.emit(run_id)

    def _on_save_failed(self, run_id: str, failure: Failure) -> None:
        if run_id == self._run_id:
            self.edit.document().setModified(True)
            self.state_label.setText(f"Not saved: {failure}")
