"""Register a model version: from a run's artifact (run id + artifact) or from a file or folder.

``service.register`` runs on the TaskRunner; the dialog stays open to say what happened.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.models import ModelVersion
from mlops_desktop.ui.dialogs.register_dataset import parse_tags
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner


def register_model(service: Any, kwargs: dict[str, Any], *, state: Any) -> ModelVersion:
    return service.register(**kwargs)


class RegisterModelDialog(QDialog):
    """See the module docstring.

    Signals:
        registered(object): the new :class:`ModelVersion`.
    """

    registered = Signal(object)

    def __init__(
        self,
        service: Any,
        runner: TaskRunner,
        name: str = "",
        run_id: str = "",
        artifact: str = "",
        path: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Register model")
        self.resize(560, 0)
        self._service = service
        self._runner = runner
        self._handle: TaskHandle | None = None
        self.result_version: ModelVersion | None = None
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("wine-classifier")
        self.run_edit = QLineEdit(run_id)
        self.run_edit.setPlaceholderText("optional: the run that made it")
        self.artifact_edit = QLineEdit(artifact)
        self.artifact_edit.setPlaceholderText("model.joblib (an artifact of the run)")
        self.path_edit = QLineEdit(path)
        self.path_edit.setPlaceholderText("or a file or folder on disk")
        self.file_button = QPushButton("File…")
        self.folder_button = QPushButton("Folder…")
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("team=vision, stage=test")
        self.description_edit = QLineEdit()
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.file_button)
        path_row.addWidget(self.folder_button)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Run id", self.run_edit)
        form.addRow("Artifact", self.artifact_edit)
        form.addRow("Path", path_row)
        form.addRow("Tags", self.tags_edit)
        form.addRow("Description", self.description_edit)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.register_button = self.buttons.addButton(
            "Register", QDialogButtonBox.ButtonRole.AcceptRole
        )
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Name a run's artifact (run id and artifact), or a file or folder on disk.")
        )
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.file_button.clicked.connect(self._on_pick_file)
        self.folder_button.clicked.connect(self._on_pick_folder)
        self.register_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.name_edit, self.run_edit, self.artifact_edit, self.path_edit):
            edit.textChanged.connect(self._on_input_changed)
        self._on_input_changed()

    def is_running(self) -> bool:
        return self._handle is not None

    def kwargs(self) -> dict[str, Any]:
        """The arguments of ``service.register`` (raises ValueError for bad tags)."""
        run_id = self.run_edit.text().strip() or None
        artifact = self.artifact_edit.text().strip() or None
        path = self.path_edit.text().strip() or None
        return {
            "name": self.name_edit.text().strip(),
            "run_id": run_id,
            "artifact": artifact if run_id else None,
            "path": path if not (run_id and artifact) else None,
            "description": self.description_edit.text().strip(),
            "tags": parse_tags(self.tags_edit.text()) or None,
        }

    def start(self) -> None:
        if self._handle is not None:
            return
        try:
            kwargs = self.kwargs()
        except ValueError as exc:
            self._show(str(exc), error=True)
            return
        self._show("Registering…")
        self.register_button.setEnabled(False)
        self._handle = self._runner.submit(
            register_model,
            self._service,
            kwargs,
            on_done=self._on_done,
            on_failed=self._on_failed,
            label="Registering a model",
        )
        self._handle.finished.connect(self._on_finished)

    def _show(self, text: str, error: bool = False) -> None:
        body = html.escape(text).replace("\n", "<br>")
        self.message.setText(f"<span style='color:#d62728'>{body}</span>" if error else body)

    def _on_pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Model file")
        if path:
            self.path_edit.setText(path)

    def _on_pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model folder")
        if path:
            self.path_edit.setText(path)

    def _on_input_changed(self, _text: str = "") -> None:
        path = self.path_edit.text().strip()
        if path and not self.name_edit.isModified() and not self.name_edit.text():
            self.name_edit.setText(Path(path).stem)
        has_source = bool(path) or bool(
            self.run_edit.text().strip() and self.artifact_edit.text().strip()
        )
        ok = bool(self.name_edit.text().strip()) and has_source and self._handle is None
        self.register_button.setEnabled(ok)

    def _on_done(self, version: ModelVersion) -> None:
        self.result_version = version
        self._show(f"{version.name} v{version.version} registered ({version.fingerprint[:19]}).")
        self.registered.emit(version)

    def _on_failed(self, exc: BaseException, _tb: str) -> None:
        self._show(f"Cannot register: {exc}", error=True)

    def _on_finished(self) -> None:
        self._handle = None
        self._on_input_changed()
