"""The launch dialog's Datasets field: dataset versions to make available to the run.

The registered datasets and their versions are loaded on the TaskRunner from a
:class:`~mlops_desktop.services.datasets.DatasetService`; the user picks a dataset and a version
("latest" or "v3") and adds it to the list. The spec gets ``["wine@v3", "iris", ...]``.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState

LATEST = "latest"


def _load(service: DatasetService, *, state: TaskState) -> dict[str, list[str]]:
    """{dataset: ["v3", "v2", ...]} of every registered dataset, newest version first."""
    return {d.name: [v.version for v in service.versions(d.name)] for d in service.list_datasets()}


class DatasetList(QWidget):
    """Pick ``dataset`` + ``version``, Add… to the list; Remove drops the selected entries."""

    def __init__(
        self, service: DatasetService | None, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.available: dict[str, list[str]] = {}
        self.loading = service is not None
        self.dataset_combo = QComboBox()
        self.version_combo = QComboBox()
        self.add_button = QPushButton("Add…")
        self.remove_button = QPushButton("Remove")
        self.list = QListWidget()
        self.list.setMaximumHeight(90)
        self.status = QLabel("Loading datasets…" if service is not None else "")
        row = QHBoxLayout()
        row.addWidget(self.dataset_combo, 2)
        row.addWidget(self.version_combo, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list)
        layout.addWidget(self.status)
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset_changed)
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)
        self._update_buttons()
        if service is None:
            self.status.setText("No dataset registry: datasets cannot be added here.")
        else:
            runner.submit(_load, service, on_done=self._on_loaded, on_failed=self._on_failed)

    # --- public --------------------------------------------------------------------------
    def datasets(self) -> list[str]:
        """The refs to launch with: "name@v3", or "name" for the latest."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_datasets(self, refs: list[str]) -> None:
        self.list.clear()
        for ref in refs:
            self.add(ref)

    def add(self, ref: str) -> None:
        """Add ``ref``, replacing an entry of the same dataset."""
        name = ref.partition("@")[0]
        for i in reversed(range(self.list.count())):
            if self.list.item(i).text().partition("@")[0] == name:
                self.list.takeItem(i)
        self.list.addItem(ref)
        self._update_buttons()

    # --- slots ---------------------------------------------------------------------------
    def _on_loaded(self, available: dict[str, list[str]]) -> None:
        self.loading = False
        self.available = available
        self.dataset_combo.clear()
        self.dataset_combo.addItems(sorted(available))
        self.status.setText("" if available else "No datasets are registered yet.")
        self._update_buttons()

    def _on_failed(self, failure: Failure) -> None:
        self.loading = False
        self.status.setText(f"Cannot list datasets: {failure}")
        self._update_buttons()

    def _on_dataset_changed(self, _index: int = 0) -> None:
        self.version_combo.clear()
        versions = self.available.get(self.dataset_combo.currentText(), [])
        if versions:
            self.version_combo.addItems([LATEST, *versions])

    def _on_add(self) -> None:
        name = self.dataset_combo.currentText()
        if not name:
            return
        version = self.version_combo.currentText()
        self.add(name if version in ("", LATEST) else f"{name}@{version}")

    def _on_remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(bool(self.available))
        self.remove_button.setEnabled(self.list.count() > 0)
