"""Register a file or folder as a dataset version: path, name, message, tags, snapshot.

The dialog runs ``service.add`` on the TaskRunner with a byte progress bar and a Cancel button
and stays open to say what happened ("v3 registered", "Unchanged: same content as v2", skipped
files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.datasets import AddResult
from mlops_desktop.core.errors import OperationCancelled
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.dialogs.service_dialog import PathField, ServiceDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, format_duration, human_bytes, shown_html
from mlops_desktop.ui.tasks import TaskRunner, TaskState

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
    details = f"{count_noun(result.files, 'file')}, {human_bytes(result.bytes)}"
    if result.seconds:
        details += f", {format_duration(result.seconds)}"
    return f"{head} ({details})."


def add_dataset(service: DatasetService, request: AddRequest, *, state: TaskState) -> AddResult:
    """Task body: ``service.add`` reporting bytes hashed and watching for cancel."""

    def progress(done: int, total: int, message: str) -> None:
        state.progress(done / total if total else 0.0, message)

    return service.add(
        request.path,
        request.name,
        request.message,
        request.tags,
        request.snapshot,
        progress=progress,
        cancelled=lambda: state.cancelled,
    )


@dataclass(frozen=True)
class AddRequest:
    """What the form asks ``DatasetService.add`` to do."""

    path: str
    name: str
    message: str
    tags: dict[str, str]
    snapshot: bool


class RegisterDatasetDialog(ServiceDialog):
    """See the module docstring.

    Signals:
        registered(object): the :class:`AddResult` of a finished add.
    """

    registered = Signal(object)

    def __init__(
        self,
        service: DatasetService,
        runner: TaskRunner,
        path: str = "",
        name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, "Register dataset", parent)
        self.setMinimumWidth(560)
        self._service = service
        self.result_value: AddResult | None = None
        self._name_edited = bool(name)
        self.path_edit = PathField(
            path, "A file or a folder", file_caption="Dataset file", folder_caption="Dataset folder"
        )
        self.name_edit = QLineEdit(name or self._basename(path))
        self.message_edit = QLineEdit()
        self.message_edit.setPlaceholderText("What is new in this version")
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("source=kaggle, split=train")
        self.snapshot_check = QCheckBox(SNAPSHOT_TEXT)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setVisible(False)
        self.skipped_text = QPlainTextEdit()
        self.skipped_text.setReadOnly(True)
        self.skipped_text.setMaximumHeight(110)
        self.skipped_text.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.register_button = self.buttons.addButton(
            "Register", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._lay_out()
        self.path_edit.textChanged.connect(self._on_path_changed)
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.register_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.update_enabled()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Path", self.path_edit)
        form.addRow("Name", self.name_edit)
        form.addRow("Message", self.message_edit)
        form.addRow("Tags", self.tags_edit)
        form.addRow("", self.snapshot_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.message)
        layout.addWidget(self.skipped_text)
        layout.addWidget(self.buttons)

    @staticmethod
    def _basename(path: str) -> str:
        return Path(path.rstrip("/\\")).stem if path else ""

    def request(self) -> AddRequest:
        """The form as a request.

        Raises:
            ValueError: no path or name, or tags that are not key=value pairs.
        """
        path, name = self.path_edit.text(), self.name_edit.text().strip()
        if not path or not name:
            raise ValueError("Choose a file or folder and give the dataset a name.")
        tags = parse_tags(self.tags_edit.text())
        snapshot = self.snapshot_check.isChecked()
        return AddRequest(path, name, self.message_edit.text().strip(), tags, snapshot)

    def start(self) -> None:
        """Validate the form and start the add on the runner."""
        try:
            request = self.request()
        except ValueError as exc:
            self._show_error(str(exc))
            return
        self.result_value = None
        self.skipped_text.setVisible(False)
        self.show_message("Hashing…")
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(True)
        handle = self.run_task(
            add_dataset,
            self._service,
            request,
            on_done=self._on_done,
            on_failed=self._on_failed,
            on_progress=self._on_progress,
        )
        if handle is not None:
            handle.cancelled.connect(self._on_cancelled)

    def cancel_task(self) -> None:
        if self.is_running():
            super().cancel_task()
            self.show_message("Cancelling…")

    # --- slots ---------------------------------------------------------------------------
    def _on_path_changed(self, text: str) -> None:
        if not self._name_edited:
            self.name_edit.setText(self._basename(text.strip()))
        self.update_enabled()

    def _on_name_edited(self, _text: str) -> None:
        self._name_edited = True

    def _on_cancel_clicked(self) -> None:
        if self.is_running():
            self.cancel_task()
        else:
            self.reject()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))
        if message:
            self.show_message(message)

    def _on_done(self, result: AddResult) -> None:
        self.result_value = result
        self.progress_bar.setValue(1000)
        self.message.setText(f"<b>{shown_html(describe_result(result))}</b>")
        if result.skipped:
            self.skipped_text.setPlainText(
                f"Skipped {count_noun(len(result.skipped), 'file')}:\n" + "\n".join(result.skipped)
            )
            self.skipped_text.setVisible(True)
        self.registered.emit(result)

    def _on_failed(self, failure: Failure) -> None:
        if isinstance(failure.exc, OperationCancelled):
            self._on_cancelled()
        else:
            self._show_error(f"Cannot register: {failure}")

    def _on_cancelled(self) -> None:
        self.progress_bar.setVisible(False)
        self.show_message("Cancelled: nothing was registered.")

    def _show_error(self, text: str) -> None:
        self.progress_bar.setVisible(False)
        self.show_message(text, error=True)

    def update_enabled(self) -> None:
        running = self.is_running()
        for widget in (
            self.path_edit,
            self.name_edit,
            self.message_edit,
            self.tags_edit,
            self.snapshot_check,
        ):
            widget.setEnabled(not running)
        self.register_button.setEnabled(not running and bool(self.path_edit.text()))
        self.cancel_button.setText(
            "Close" if self.result_value is not None and not running else "Cancel"
        )
