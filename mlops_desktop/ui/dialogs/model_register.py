"""Register a model version: from a run's artifact (run id + artifact) or from a file or folder.

``service.register`` runs on the TaskRunner; the dialog stays open to say what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.models import ModelVersion
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.dialogs.register_dataset import parse_tags
from mlops_desktop.ui.dialogs.service_dialog import PathField, ServiceDialog
from mlops_desktop.ui.formatting import shown_text
from mlops_desktop.ui.tasks import TaskRunner, TaskState


@dataclass(frozen=True)
class RegisterRequest:
    """The arguments of ``ModelService.register``."""

    name: str
    run_id: str | None
    artifact: str | None
    path: str | None
    description: str
    tags: dict[str, str] | None


def register_model(
    service: ModelService, request: RegisterRequest, *, state: TaskState
) -> ModelVersion:
    return service.register(
        request.name,
        run_id=request.run_id,
        artifact=request.artifact,
        path=request.path,
        description=request.description,
        tags=request.tags,
    )


class RegisterModelDialog(ServiceDialog):
    """See the module docstring.

    Signals:
        registered(object): the new :class:`ModelVersion`.
    """

    registered = Signal(object)

    def __init__(
        self,
        service: ModelService,
        runner: TaskRunner,
        name: str = "",
        run_id: str = "",
        artifact: str = "",
        path: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, "Register model", parent)
        self.resize(560, 0)
        self._service = service
        self.result_version: ModelVersion | None = None
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("wine-classifier")
        self.run_edit = QLineEdit(run_id)
        self.run_edit.setPlaceholderText("optional: the run that made it")
        self.artifact_edit = QLineEdit(artifact)
        self.artifact_edit.setPlaceholderText("model.joblib (an artifact of the run)")
        self.path_edit = PathField(
            path,
            "or a file or folder on disk",
            file_caption="Model file",
            folder_caption="Model folder",
        )
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("team=vision, stage=test")
        self.description_edit = QLineEdit()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.register_button = self.buttons.addButton(
            "Register", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self._lay_out()
        self.register_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.name_edit, self.run_edit, self.artifact_edit):
            edit.textChanged.connect(self._on_input_changed)
        self.path_edit.textChanged.connect(self._on_input_changed)
        self._on_input_changed()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Run id", self.run_edit)
        form.addRow("Artifact", self.artifact_edit)
        form.addRow("Path", self.path_edit)
        form.addRow("Tags", self.tags_edit)
        form.addRow("Description", self.description_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Name a run's artifact (run id and artifact), or a file or folder on disk.")
        )
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def request(self) -> RegisterRequest:
        """The arguments of ``service.register`` (raises ValueError for bad tags)."""
        run_id = self.run_edit.text().strip() or None
        artifact = self.artifact_edit.text().strip() or None
        path = self.path_edit.text() or None
        return RegisterRequest(
            name=self.name_edit.text().strip(),
            run_id=run_id,
            artifact=artifact if run_id else None,
            path=path if not (run_id and artifact) else None,
            description=self.description_edit.text().strip(),
            tags=parse_tags(self.tags_edit.text()) or None,
        )

    def start(self) -> None:
        if self.is_running():
            return
        try:
            request = self.request()
        except ValueError as exc:
            self.show_message(str(exc), error=True)
            return
        self.show_message("Registering…")
        self.run_task(
            register_model,
            self._service,
            request,
            on_done=self._on_done,
            failure_text="Cannot register",
            label="Registering a model",
        )

    def _on_input_changed(self, _text: str = "") -> None:
        path = self.path_edit.text()
        if path and not self.name_edit.isModified() and not self.name_edit.text():
            self.name_edit.setText(Path(path).stem)
        self.update_enabled()

    def update_enabled(self) -> None:
        has_source = bool(self.path_edit.text()) or bool(
            self.run_edit.text().strip() and self.artifact_edit.text().strip()
        )
        ok = bool(self.name_edit.text().strip()) and has_source and not self.is_running()
        self.register_button.setEnabled(ok)

    def _on_done(self, version: ModelVersion) -> None:
        self.result_version = version
        self.show_message(
            f"{shown_text(version.name)} v{version.version} registered "
            f"({version.fingerprint[:19]})."
        )
        self.registered.emit(version)
