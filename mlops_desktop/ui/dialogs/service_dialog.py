"""What the app's form dialogs share: a message line, one service call at a time, path fields.

Register dataset, Register model, Add host and Launch all collect a form, run one service call
on the TaskRunner, keep the form disabled while it runs and say what happened in a line under
the form. :class:`ServiceDialog` does that once; each dialog builds its form and says what to
run and what to do with the answer.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import shown_lines
from mlops_desktop.ui.tasks import DoneCallback, ProgressCallback, TaskHandle, TaskRunner

ERROR_COLOR = "#d62728"


def message_html(text: str, error: bool = False) -> str:
    """``text`` as escaped HTML for a message label (newlines kept), red for an error."""
    body = html.escape(shown_lines(text)).replace("\n", "<br>")
    return f"<span style='color:{ERROR_COLOR}'>{body}</span>" if error else body


class ServiceDialog(QDialog):
    """A form dialog that runs one service call at a time and reports in :attr:`message`.

    Subclasses build the form, call :meth:`run_task` from their start button and override
    :meth:`update_enabled` to enable their inputs and buttons (``self.is_running()`` says
    whether a call is under way). Closing the dialog cancels the call in flight.
    """

    def __init__(self, runner: TaskRunner, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._runner = runner
        self._handle: TaskHandle | None = None
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_message(self, text: str, error: bool = False) -> None:
        """Say ``text`` under the form (red for an error)."""
        self.message.setText(message_html(text, error))

    def is_running(self) -> bool:
        """True while the dialog's service call runs."""
        return self._handle is not None

    def run_task(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: DoneCallback,
        failure_text: str = "",
        on_failed: Callable[[Failure], None] | None = None,
        on_progress: ProgressCallback | None = None,
        label: str | None = None,
    ) -> TaskHandle | None:
        """Run ``fn(*args)`` on the runner unless a call is under way.

        Args:
            failure_text: how a failure is introduced ("Cannot register"); ignored when
                ``on_failed`` is given.
            label: announce the call in the status bar with these words.
        """
        if self._handle is not None:
            return None
        handle = self._runner.submit(
            fn,
            *args,
            on_done=on_done,
            on_failed=on_failed or (lambda failure: self.show_failure(failure, failure_text)),
            on_progress=on_progress,
            label=label,
        )
        self._handle = handle
        handle.finished.connect(self._on_task_finished)
        self.update_enabled()
        return handle

    def show_failure(self, failure: Failure, intro: str = "") -> None:
        """Say why the call failed (a bug says where its traceback went)."""
        self.show_message(f"{intro}: {failure}" if intro else str(failure), error=True)

    def cancel_task(self) -> None:
        """Ask the call in flight to stop."""
        if self._handle is not None:
            self._handle.cancel()

    def update_enabled(self) -> None:
        """Enable the inputs and buttons that make sense now (subclasses)."""

    def reject(self) -> None:
        """Closing while a call runs cancels it first."""
        self.cancel_task()
        super().reject()

    def _on_task_finished(self) -> None:
        self._handle = None
        self.update_enabled()


class PathField(QWidget):
    """A path line edit with "File…" and/or "Folder…" buttons that fill it in.

    Signals:
        textChanged(str): the path's text changed (typed or picked).
    """

    textChanged = Signal(str)

    def __init__(
        self,
        text: str = "",
        placeholder: str = "",
        file_caption: str | None = None,
        folder_caption: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``file_caption``/``folder_caption``: the picker's title; None leaves that button out."""
        super().__init__(parent)
        self.edit = QLineEdit(text)
        self.edit.setPlaceholderText(placeholder)
        self.file_button = QPushButton("File…" if folder_caption else "Browse…")
        self.folder_button = QPushButton("Folder…" if file_caption else "Browse…")
        self._file_caption = file_caption
        self._folder_caption = folder_caption
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        for button, caption in (
            (self.file_button, file_caption),
            (self.folder_button, folder_caption),
        ):
            button.setVisible(caption is not None)
            row.addWidget(button)
        self.file_button.clicked.connect(self._on_pick_file)
        self.folder_button.clicked.connect(self._on_pick_folder)
        self.edit.textChanged.connect(self.textChanged)

    def text(self) -> str:
        """The path, stripped."""
        return self.edit.text().strip()

    def setText(self, text: str) -> None:  # a QLineEdit-like name for the form code
        self.edit.setText(text)

    def _on_pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self._file_caption or "", self.edit.text())
        if path:
            self.edit.setText(path)

    def _on_pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self._folder_caption or "", self.edit.text())
        if path:
            self.edit.setText(path)
