"""The Artifacts tab: files a run logged, with their size and digest."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from mlops_desktop.core.runs import ArtifactRef
from mlops_desktop.ui.formatting import human_bytes
from mlops_desktop.ui.widgets import ReadOnlyTable


class ArtifactsView(QWidget):
    """A table of artifacts plus "Open folder", "Copy path" and "Register as model…".

    Signals:
        registerRequested(str): register the artifact of this name as a model version.
    """

    registerRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._artifacts: list[ArtifactRef] = []
        self.table = ReadOnlyTable(["Name", "Size", "Digest"])
        self.table.setSortingEnabled(False)
        self.open_button = QPushButton("Open folder")
        self.copy_button = QPushButton("Copy path")
        self.register_button = QPushButton("Register as model…")
        self.register_button.setToolTip("Register this artifact as a new model version")
        self.empty_label = QLabel("This run logged no artifacts.")
        self.empty_label.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty_label, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.register_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
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
        enabled = self.current() is not None
        self.open_button.setEnabled(enabled)
        self.copy_button.setEnabled(enabled)
        self.register_button.setEnabled(enabled)

    def _on_open_clicked(self) -> None:
        artifact = self.current()
        if artifact is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(artifact.path).parent)))

    def _on_copy_clicked(self) -> None:
        artifact = self.current()
        if artifact is not None:
            QGuiApplication.clipboard().setText(artifact.path)

    def _on_register_clicked(self) -> None:
        artifact = self.current()
        if artifact is not None:
            self.registerRequested.emit(artifact.name)
