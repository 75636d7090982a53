"""A small modal progress dialog bound to one background task: progress bar and Cancel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from mlops_desktop.ui.tasks import TaskHandle

STEPS = 1000


class TaskProgressDialog(QProgressDialog):
    """Follows ``handle``'s progress; Cancel cancels the task; closes when the task ends."""

    def __init__(self, handle: TaskHandle, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, "Cancel", 0, STEPS, parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.handle = handle
        handle.progress.connect(self._on_progress)
        handle.finished.connect(self._on_finished)
        self.canceled.connect(self._on_cancel_clicked)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.setValue(max(0, min(STEPS, round(fraction * STEPS))))
        if message:
            self.setLabelText(message)

    def _on_cancel_clicked(self) -> None:
        self.handle.cancel()
        self.setLabelText("Cancelling…")

    def _on_finished(self) -> None:
        self.canceled.disconnect(self._on_cancel_clicked)
        self.close()
