"""The simpler tabs of a dataset version: Files, Preview and Used by.

Each tab loads its data on the TaskRunner when asked (:meth:`VersionTab.load`); a newer request
supersedes the one in flight, so fast clicking never shows the wrong version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.datasets import DatasetUse, ManifestEntry, TablePreview
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, human_bytes, shown_html
from mlops_desktop.ui.item_models.dataset_versions import (
    FCOL_PATH,
    ManifestTableModel,
    UsesTableModel,
)
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE
from mlops_desktop.ui.item_models.table_preview import PreviewTableModel
from mlops_desktop.ui.tasks import ProgressCallback, TaskHandle, TaskRunner, TaskState

T = TypeVar("T")
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".npy", ".npz")


def table_files(entries: list[ManifestEntry]) -> list[str]:
    """The paths of the entries that can be previewed and profiled as tables."""
    return [e.path for e in entries if e.path.lower().endswith(TABLE_SUFFIXES)]


def make_table_view(model: QAbstractItemModel) -> QTableView:
    """A read-only, row-selecting, smoothly scrolling table view."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setShowGrid(False)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(22)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _manifest(
    service: DatasetService, name: str, version: str, *, state: TaskState
) -> list[ManifestEntry]:
    return service.manifest(name, version)


def _preview(
    service: DatasetService, name: str, version: str, path: str, *, state: TaskState
) -> TablePreview:
    return service.preview(name, version, path)


def _used_by(
    service: DatasetService, name: str, version: str | None, *, state: TaskState
) -> list[DatasetUse]:
    return service.used_by(name, version)


class VersionTab(QWidget):
    """Base of a tab that shows something of one dataset version."""

    def __init__(
        self, service: DatasetService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.name: str | None = None
        self.version: str | None = None
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)

    def load(self, name: str, version: str) -> None:
        """Show ``name`` at ``version`` (loads on the runner)."""
        self.name, self.version = name, version
        self._reload()

    def _reload(self) -> None:
        raise NotImplementedError

    def _submit(
        self,
        fn: Callable[..., T],
        *args: Any,
        on_done: Callable[[T], None],
        on_progress: ProgressCallback | None = None,
        message: str = "Loading…",
    ) -> TaskHandle:
        """Run ``fn(service, *args)``; it supersedes the tab's load in flight."""
        self.set_message(message)
        return self._runner.submit(
            fn,
            self._service,
            *args,
            key=(self, "load"),
            on_done=lambda result: self._on_result(on_done, result),
            on_failed=self._on_error,
            on_progress=on_progress,
        )

    def is_loading(self) -> bool:
        return self._runner.is_busy((self, "load"))

    def _on_result(self, on_done: Callable[[T], None], result: T) -> None:
        self.set_message("")
        on_done(result)

    def _on_error(self, failure: Failure) -> None:
        self.set_message(f'<span style="color:#e0433b">{shown_html(failure)}</span>')

    def set_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))


class FilesTab(VersionTab):
    """The version's manifest: path, size, hash (lazy for 100,000 files)."""

    def __init__(
        self, service: DatasetService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, parent)
        self.model = ManifestTableModel(self)
        self.view = make_table_view(self.model)
        self.summary_label = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)

    def _reload(self) -> None:
        self._submit(_manifest, self.name, self.version, on_done=self._on_manifest)

    def _on_manifest(self, entries: list[ManifestEntry]) -> None:
        self.model.set_rows(sorted(entries, key=lambda e: e.path))
        total = sum(e.size for e in entries)
        self.summary_label.setText(f"{count_noun(len(entries), 'file')}, {human_bytes(total)}")
        self.view.setColumnWidth(FCOL_PATH, max(260, self.view.width() // 2))


class PreviewTab(VersionTab):
    """Choose a table file of the version; its first rows in a virtual table."""

    def __init__(
        self, service: DatasetService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, parent)
        self.file_combo = QComboBox()
        self.file_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.rows_label = QLabel()
        self.model = PreviewTableModel(self)
        self.view = make_table_view(self.model)
        self.view.verticalHeader().setVisible(True)
        self.view.horizontalHeader().setStretchLastSection(False)
        row = QHBoxLayout()
        row.addWidget(QLabel("Table"))
        row.addWidget(self.file_combo)
        row.addWidget(self.rows_label)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)
        self.file_combo.currentTextChanged.connect(self._on_file_chosen)

    def _reload(self) -> None:
        self._submit(_manifest, self.name, self.version, on_done=self._on_manifest)

    def _on_manifest(self, entries: list[ManifestEntry]) -> None:
        tables = table_files(entries)
        keep = self.file_combo.currentText()
        self.file_combo.blockSignals(True)
        self.file_combo.clear()
        self.file_combo.addItems(tables)
        if keep in tables:
            self.file_combo.setCurrentText(keep)
        self.file_combo.blockSignals(False)
        if tables:
            self._on_file_chosen(self.file_combo.currentText())
        else:
            self.model.set_preview(None)
            self.rows_label.setText("")
            self.set_message("This version has no table files (CSV, TSV, Parquet, JSON Lines).")

    def _on_file_chosen(self, path: str) -> None:
        if path and self.name and self.version:
            self._submit(_preview, self.name, self.version, path, on_done=self._on_preview)

    def _on_preview(self, preview: TablePreview) -> None:
        self.model.set_preview(preview)
        total = "" if preview.total_rows is None else f" of {preview.total_rows:,}"
        self.rows_label.setText(f"first {count_noun(len(preview.rows), 'row')}{total}")
        self.view.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            self.view.setColumnWidth(column, min(self.view.columnWidth(column), 240))


class UsedByTab(VersionTab):
    """Runs that read this version (or any version); double-click opens a run.

    Signals:
        runActivated(str): the run id to show in the Experiments pane.
    """

    runActivated = Signal(str)

    def __init__(
        self, service: DatasetService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, parent)
        self.all_versions = QCheckBox("All versions")
        self.model = UsesTableModel(self)
        self.view = make_table_view(self.model)
        self.count_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.count_label)
        row.addStretch(1)
        row.addWidget(self.all_versions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)
        self.all_versions.toggled.connect(self._on_scope_toggled)
        self.view.doubleClicked.connect(self._on_double_clicked)

    def _reload(self) -> None:
        version = None if self.all_versions.isChecked() else self.version
        self._submit(_used_by, self.name, version, on_done=self._on_uses)

    def _on_uses(self, uses: list[DatasetUse]) -> None:
        self.model.set_rows(uses)
        scope = "any version" if self.all_versions.isChecked() else self.version
        self.count_label.setText(shown_html(f"{count_noun(len(uses), 'run')} used {scope}"))
        if not uses:
            self.set_message("No run has recorded using it yet: call run.use_dataset(...).")
        for column in range(self.model.columnCount() - 1):
            self.view.resizeColumnToContents(column)

    def _on_scope_toggled(self, _checked: bool) -> None:
        if self.name and self.version:
            self._reload()

    def _on_double_clicked(self, index: QModelIndex) -> None:
        use = index.data(ROW_ROLE)
        if use is not None:
            self.runActivated.emit(use.run_id)
