"""The Artifacts tab: files a run logged, with their size and digest, and a preview of the
chosen one beside the list; "Open" shows it in the system's viewer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.runs import ArtifactRef
from mlops_desktop.services.artifact_content import copy_for_viewer
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import human_bytes
from mlops_desktop.ui.panes.experiments.artifact_preview import ArtifactPreview, readable_path
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import ReadOnlyTable


def viewer_copy(
    store: LabStoreService | None, path: str, name: str, digest: str, *, state: TaskState
) -> Path:
    """The artifact copied under its own name for the system's viewer (on the runner),
    fetched from the lab store first when this home lacks it."""
    return copy_for_viewer(readable_path(store, path, digest, state), name, digest)


class ArtifactsView(QWidget):
    """A table of artifacts and a preview of the chosen one, plus "Open", "Show in folder",
    "Copy path" and "Register as model…".

    Signals:
        registerRequested(str): register the artifact of this name as a model version.
    """

    registerRequested = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        parent: QWidget | None = None,
        store: LabStoreService | None = None,
    ) -> None:
        """``store``: the lab store an artifact this home lacks is fetched from."""
        super().__init__(parent)
        self._runner = runner
        self._store = store
        self._artifacts: list[ArtifactRef] = []
        self.table = ReadOnlyTable(["Name", "Size", "Digest"])
        self.table.setSortingEnabled(False)
        self.preview = ArtifactPreview(runner, store=store)
        self.view_button = QPushButton("Open")
        self.view_button.setToolTip("Open the artifact in the system's viewer")
        self.open_button = QPushButton("Show in folder")
        self.open_button.setToolTip("Show the folder of the artifact store that holds this file")
        self.copy_button = QPushButton("Copy path")
        self.register_button = QPushButton("Register as model…")
        self.register_button.setToolTip("Register this artifact as a new model version")
        self.empty_label = QLabel("This run logged no artifacts.")
        self.empty_label.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty_label, 1)
        buttons.addWidget(self.view_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.register_button)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)
        self.view_button.clicked.connect(self._on_view_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.register_button.clicked.connect(self._on_register_clicked)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.set_artifacts([])

    def set_artifacts(self, artifacts: list[ArtifactRef]) -> None:
        self._artifacts = sorted(artifacts, key=lambda a: a.name.casefold())
        self.table.setRowCount(0)
        self.table.set_rows((a.name, human_bytes(a.size), a.digest) for a in self._artifacts)
        self.table.setSortingEnabled(False)
        self.empty_label.setText("This run logged no artifacts.")
        self.empty_label.setVisible(not self._artifacts)
        if self._artifacts:
            self.table.selectRow(0)
        self._on_selection_changed()

    def current(self) -> ArtifactRef | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        if item is None:
            return None
        name = item.data(Qt.ItemDataRole.UserRole)  # the stored name; the text is escaped
        return next((a for a in self._artifacts if a.name == name), None)

    def _on_selection_changed(self) -> None:
        artifact = self.current()
        enabled = artifact is not None
        if (
            artifact is None
            or self.preview.content is None
            or (self.preview.content.name != artifact.name)
        ):
            self.preview.show_artifact(artifact)
        self.view_button.setEnabled(enabled)
        self.open_button.setEnabled(enabled)
        self.copy_button.setEnabled(enabled)
        self.register_button.setEnabled(enabled)

    def _on_open_clicked(self) -> None:
        artifact = self.current()
        if artifact is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(artifact.path).parent)))

    def _on_view_clicked(self) -> None:
        artifact = self.current()
        if artifact is None:
            return
        self._runner.submit(
            viewer_copy,
            self._store,
            artifact.path,
            artifact.name,
            artifact.digest,
            key=(self, "view"),
            on_done=self._open_in_viewer,
            on_failed=self._on_view_failed,
        )

    def _open_in_viewer(self, copy: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(copy)))

    def _on_view_failed(self, failure: Failure) -> None:
        self.empty_label.setText(str(failure))
        self.empty_label.setVisible(True)

    def _on_copy_clicked(self) -> None:
        artifact = self.current()
        if artifact is not None:
            QGuiApplication.clipboard().setText(artifact.path)

    def _on_register_clicked(self) -> None:
        artifact = self.current()
        if artifact is not None:
            self.registerRequested.emit(artifact.name)
