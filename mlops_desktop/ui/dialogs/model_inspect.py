"""Inspect a model version: the service loads it in a separate process and describes it.

Where no sandbox works (:class:`~mlops_desktop.core.errors.SandboxUnavailableError`), the
dialog asks whether to load the model without isolation and tries again only on "Yes".
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import SandboxUnavailableError
from mlops_desktop.core.models import InspectResult
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.dialogs.service_dialog import message_html
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import format_duration, format_value, shown_text
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState
from mlops_desktop.ui.widgets import ReadOnlyTable

SAFETY_NOTE = (
    "The model is loaded in a separate process, never in the app. Loading a pickled model runs "
    "code from its file: inspect only models you trust."
)
UNSANDBOXED_QUESTION = (
    "No sandbox (bubblewrap or user namespaces) works on this machine, so the model would be "
    "loaded without isolation: its code would run with your rights, files and network. Load "
    "{ref} anyway? Answer Yes only for a model you trust."
)


def inspect_model(
    service: ModelService, ref: str, allow_unsandboxed: bool = False, *, state: TaskState
) -> InspectResult:
    return service.inspect(ref, allow_unsandboxed=allow_unsandboxed)


class InspectDialog(QDialog):
    """Starts ``service.inspect(ref)`` on the runner at once and shows the result."""

    def __init__(
        self, service: ModelService, runner: TaskRunner, ref: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ref = ref
        self._service = service
        self._runner = runner
        self.setWindowTitle(f"Inspect {shown_text(ref)}")
        self.resize(620, 460)
        self.result_value: InspectResult | None = None
        self.note = QLabel(f"<i>{html.escape(SAFETY_NOTE)}</i>")
        self.note.setWordWrap(True)
        self.status = QLabel(f"Loading {html.escape(shown_text(ref))} in a separate process…")
        self.status.setWordWrap(True)
        self.params = ReadOnlyTable(["Param", "Value"])
        self.params.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        layout.addWidget(self.params, 1)
        layout.addWidget(buttons)
        self.handle: TaskHandle = self._submit(allow_unsandboxed=False)

    def _submit(self, allow_unsandboxed: bool) -> TaskHandle:
        return self._runner.submit(
            inspect_model,
            self._service,
            self.ref,
            allow_unsandboxed,
            on_done=self._on_done,
            on_failed=self._on_failed,
            label=f"Inspecting {shown_text(self.ref)}",
        )

    def text(self) -> str:
        return self.status.text()

    def _on_done(self, result: InspectResult) -> None:
        self.result_value = result
        kind = f"{result.module}.{result.type}" if result.module else result.type
        kind = html.escape(shown_text(kind))
        summary = html.escape(shown_text(result.summary))
        self.status.setText(
            f"<b>Type</b>: {kind}<br><b>Summary</b>: {summary}<br>"
            f"<small>loaded in {format_duration(result.seconds)}</small>"
        )
        self.params.set_rows((k, format_value(v)) for k, v in sorted(result.params.items()))
        self.params.setVisible(True)

    def _on_failed(self, failure: Failure) -> None:
        if isinstance(failure.exc, SandboxUnavailableError):
            answer = QMessageBox.question(
                self,
                "Load without isolation?",
                UNSANDBOXED_QUESTION.format(ref=self.ref),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.status.setText(f"Loading {html.escape(self.ref)} without isolation…")
                self.handle = self._submit(allow_unsandboxed=True)
                return
            self.status.setText(
                message_html("Not loaded: no sandbox works here and you chose not to load it.")
            )
            return
        self.status.setText(message_html(f"Cannot inspect: {failure}", error=True))
