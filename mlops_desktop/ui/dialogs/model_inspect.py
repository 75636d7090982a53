"""Inspect a model version: the service loads it in a separate process and describes it."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

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


def inspect_model(service: ModelService, ref: str, *, state: TaskState) -> InspectResult:
    return service.inspect(ref)


class InspectDialog(QDialog):
    """Starts ``service.inspect(ref)`` on the runner at once and shows the result."""

    def __init__(
        self, service: ModelService, runner: TaskRunner, ref: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
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
        self.handle: TaskHandle = runner.submit(
            inspect_model,
            service,
            ref,
            on_done=self._on_done,
            on_failed=self._on_failed,
            label=f"Inspecting {shown_text(ref)}",
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
        self.status.setText(message_html(f"Cannot inspect: {failure}", error=True))
