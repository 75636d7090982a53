"""Register a file or folder as a dataset version: path, name, message, tags, snapshot.

The dialog runs ``service.add`` on the TaskRunner with a byte progress bar and a Cancel button
and stays open to say what happened ("v3 registered", "Unchanged: same content as v2", skipped
files).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.datasets import AddResult
from mlops_desktop.core.errors import OperationCancelled
from mlops_desktop.ui.formatting import format_duration, human_bytes
from mlops_desktop.ui.tasks import TaskCancelled, TaskHandle, TaskRunner

SNAPSHOT_TEXT = "Snapshot (copy into the store so it can be restored)"


def parse_tags(text: str) -> dict[str, str]:
    """``"a=1, b=x"`` → ``{"a": "1", "b": "x"}``.

    Raises:
        ValueError: an entry has no ``=`` or an empty key.
    """
    tags: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"Tags are key=value pairs separated by commas; “{part}” is not.")
        tags[key.strip()] = value.strip()
    return tags


def describe_result(result: AddResult) -> str:
    """One line for people: what ``add`` did."""
    if result.new_version:
        head = f"{result.version} registered"
    else:
        head = f"Unchanged: same content as {result.version}"
    details = f"{result.files:,} files, {human_bytes(result.bytes)}"
    if result.seconds:
        details += f", {format_duration(result.seconds)}"
    return f"{head} ({details})."


def add_dataset(service: Any, kwargs: dict[str, Any], *, state: Any) -> AddResult:
    """Task body: ``service.add`` reporting bytes hashed and watching for cancel."""

    def progress(done: int, total: int, message: str) -> None:
        state.progress(done / total if total else 0.0, message)

    return service.add(**kwargs, progress=progress, cancelled=lambda: state.cancelled)


class RegisterDatasetDialog(QDialog):
    """See the module docstring.

    Signals:
        registered(object): the :class:`AddResult` of a finished add.
    """

    registered = Signal(object)

    def __init__(
        self,
        service: Any,
        runner: TaskRunner,
        path: str = "",
        name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Register dataset")
        self.setMinimumWidth(560)
        self._service = service
        self._runner = runner
        self.handle: TaskHandle | None = None
        self.result_value: AddResult | None = None
        self._name_edited = bool(name)

        self.path_edit = QLineEdit(path)
        self.path_edit.setPlaceholderText("A file or a folder")
        self.file_button = QPushButton("File…")
        self.folder_button = QPushButton("Folder…")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.file_button)
        path_row.addWidget(self.folder_button)
        self.name_edit = QLineEdit(name or self._basename(path))
        self.message_edit = QLineEdit()
        self.message_edit.setPlaceholderText("What is new in this version")
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("source=kaggle, split=train")
        self.snapshot_check = QCheckBox(SNAPSHOT_TEXT)
        form = QFormLayout()
        form.addRow("Path", path_row)
        form.addRow("Name", self.name_edit)
        form.addRow("Message", self.message_edit)
        form.addRow("Tags", self.tags_edit)
        form.addRow("", self.snapshot_check)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setVisible(False)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.skipped_text = QPlainTextEdit()
        self.skipped_text.setReadOnly(True)
        self.skipped_text.setMaximumHeight(110)
        self.skipped_text.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.register_button = self.buttons.addButton(
            "Register", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.skipped_text)
        layout.addWidget(self.buttons)

        self.file_button.clicked.connect(self._on_pick_file)
        self.folder_button.clicked.connect(self._on_pick_folder)
        self.path_edit.textChanged.connect(self._on_path_changed)
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.register_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self._update_enabled()

    @staticmethod
    def _basename(path: str) -> str:
        return Path(path.rstrip("/\\")).stem if path else ""

    def is_running(self) -> bool:
        return self.handle is not None

    def start(self) -> None:
        """Validate the form and start the add on the runner."""
        path, name = self.path_edit.text().strip(), self.name_edit.text().strip()
        if not path or not name:
            self._show_error("Choose a file or folder and give the dataset a name.")
            return
        try:
            tags = parse_tags(self.tags_edit.text())
        except ValueError as exc:
            self._show_error(str(exc))
            return
        kwargs = {
            "path": path,
            "name": name,
            "message": self.message_edit.text().strip(),
            "tags": tags,
            "snapshot": self.snapshot_check.isChecked(),
        }
        self.result_value = None
        self.skipped_text.setVisible(False)
        self.status_label.setText("Hashing…")
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(True)
        self.handle = self._runner.submit(
            add_dataset,
            self._service,
            kwargs,
            on_done=self._on_done,
            on_failed=self._on_failed,
            on_progress=self._on_progress,
        )
        self.handle.cancelled.connect(self._on_cancelled)
        self.handle.finished.connect(self._on_finished)
        self._update_enabled()

    def cancel_task(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.status_label.setText("Cancelling…")

    # --- slots ---------------------------------------------------------------------------
    def _on_pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Dataset file", self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def _on_pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Dataset folder", self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def _on_path_changed(self, text: str) -> None:
        if not self._name_edited:
            self.name_edit.setText(self._basename(text.strip()))
        self._update_enabled()

    def _on_name_edited(self, _text: str) -> None:
        self._name_edited = True

    def _on_cancel_clicked(self) -> None:
        if self.handle is not None:
            self.cancel_task()
        else:
            self.reject()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))
        if message:
            self.status_label.setText(message)

    def _on_done(self, result: AddResult) -> None:
        self.result_value = result
        self.progress_bar.setValue(1000)
        self.status_label.setText(f"<b>{html.escape(describe_result(result))}</b>")
        if result.skipped:
            self.skipped_text.setPlainText(
                f"Skipped {len(result.skipped)} files:\n" + "\n".join(result.skipped)
            )
            self.skipped_text.setVisible(True)
        self.registered.emit(result)

    def _on_failed(self, exc: BaseException, _tb: str) -> None:
        if isinstance(exc, (OperationCancelled, TaskCancelled)):
            self._on_cancelled()
        else:
            self._show_error(f"Cannot register: {exc}")

    def _on_cancelled(self) -> None:
        self.progress_bar.setVisible(False)
        self.status_label.setText("Cancelled: nothing was registered.")

    def _on_finished(self) -> None:
        self.handle = None
        self._update_enabled()
        if self.result_value is not None:
            self.cancel_button.setText("Close")

    def _show_error(self, text: str) -> None:
        self.progress_bar.setVisible(False)
        self.status_label.setText(f'<span style="color:#e0433b">{html.escape(text)}</span>')

    def _update_enabled(self) -> None:
        running = self.handle is not None
        for widget in (
            self.path_edit,
            self.file_button,
            self.folder_button,
            self.name_edit,
            self.message_edit,
            self.tags_edit,
            self.snapshot_check,
        ):
            widget.setEnabled(not running)
        self.register_button.setEnabled(not running and bool(self.path_edit.text().strip()))
        self.cancel_button.setText("Cancel")

    def reject(self) -> None:
        """Closing while hashing cancels the task first."""
        self.cancel_task()
        super().reject()
