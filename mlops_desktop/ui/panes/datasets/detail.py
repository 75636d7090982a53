"""The detail of one dataset: a change banner, the version timeline and the version's tabs."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.datasets import DatasetSummary, DatasetVersion
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import shown_html
from mlops_desktop.ui.item_models.dataset_versions import (
    VCOL_MESSAGE,
    VCOL_TAGS,
    VersionsTableModel,
)
from mlops_desktop.ui.panes.datasets.diff import DiffTab
from mlops_desktop.ui.panes.datasets.profile import ProfileTab
from mlops_desktop.ui.panes.datasets.tabs import (
    FilesTab,
    PreviewTab,
    UsedByTab,
    VersionTab,
    make_table_view,
)
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import heading_label

RESTORE_DISABLED_TIP = (
    "Only snapshotted versions can be restored: this version references its files in place. "
    "Register with “Snapshot” checked to keep a copy."
)
BANNER_STYLE = (  # amber with dark text: reads the same in light and dark themes
    "QFrame#changeBanner { background: #fbe3b0; border: 1px solid #e08a00; border-radius: 4px; }"
    "QFrame#changeBanner QLabel { color: #2b2b2b; }"
)


def _versions(service: DatasetService, name: str, *, state: TaskState) -> list[DatasetVersion]:
    return service.versions(name)


class DatasetDetailView(QWidget):
    """Shows one dataset; every service call goes through the runner.

    Signals:
        recordRequested(str, str): record a new version of (name, path).
        restoreRequested(object): restore this :class:`DatasetVersion`.
        runActivated(str): show this run in the Experiments pane.
        versionShown(str, str): (name, version) is on screen with its tabs.
    """

    recordRequested = Signal(str, str)
    restoreRequested = Signal(object)
    runActivated = Signal(str)
    versionShown = Signal(str, str)

    def __init__(
        self, service: DatasetService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._pending_version: str | None = None
        self._dirty: set[int] = set()
        self.summary: DatasetSummary | None = None
        self.versions: list[DatasetVersion] = []

        self.title_label = heading_label()
        self.source_label = QLabel()
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.restore_button = QPushButton("Restore…")
        self.restore_button.setEnabled(False)
        header = QHBoxLayout()
        header.addWidget(self.title_label)
        header.addWidget(self.source_label, 1)
        header.addWidget(self.restore_button)
        self.versions_model = VersionsTableModel(self)
        self.versions_view = make_table_view(self.versions_model)
        self.versions_view.horizontalHeader().setStretchLastSection(False)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.versions_view)
        self.split.addWidget(self._build_tabs(service, runner))
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 5)
        self.split.setSizes([150, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(header)
        layout.addWidget(self._build_banner())
        layout.addWidget(self.split, 1)

        self.record_button.clicked.connect(self._on_record_clicked)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.versions_view.selectionModel().currentRowChanged.connect(self._on_version_changed)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.used_by.runActivated.connect(self.runActivated)

    def _build_banner(self) -> QFrame:
        """The amber "the files changed" banner with its Record button, hidden at first."""
        self.banner = QFrame()
        self.banner.setObjectName("changeBanner")
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.record_button = QPushButton("Record new version")
        banner_row = QHBoxLayout(self.banner)
        banner_row.setContentsMargins(8, 4, 8, 4)
        banner_row.addWidget(self.banner_label, 1)
        banner_row.addWidget(self.record_button)
        self.banner.setVisible(False)
        return self.banner

    def _build_tabs(self, service: DatasetService, runner: TaskRunner) -> QTabWidget:
        self.files = FilesTab(service, runner)
        self.preview = PreviewTab(service, runner)
        self.profile = ProfileTab(service, runner)
        self.diff = DiffTab(service, runner)
        self.used_by = UsedByTab(service, runner)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for tab, title in (
            (self.files, "Files"),
            (self.preview, "Preview"),
            (self.profile, "Profile"),
            (self.diff, "Diff"),
            (self.used_by, "Used by"),
        ):
            self.tabs.addTab(tab, title)
        return self.tabs

    # --- public --------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self.summary.name if self.summary else None

    def set_dataset(self, summary: DatasetSummary, version: str | None = None) -> None:
        """Show ``summary`` and load its versions; select ``version`` (None: the newest)."""
        same = self.summary is not None and self.summary.name == summary.name
        keep = self.current_version()
        self.summary = summary
        self.title_label.setText(shown_html(summary.name))
        self.source_label.setText(shown_html(summary.source_path))
        self.source_label.setToolTip(shown_html(summary.source_path))
        self._pending_version = version or (keep.version if same and keep else None)
        self._runner.submit(
            _versions,
            self._service,
            summary.name,
            key=(self, "versions"),
            on_done=self._on_versions,
            on_failed=self._on_versions_failed,
        )

    def select_version(self, version: str) -> None:
        row = self.versions_model.row_of(version)
        if row is None:
            self._pending_version = version
            return
        self.versions_view.selectRow(row)

    def current_version(self) -> DatasetVersion | None:
        index = self.versions_view.currentIndex()
        if not index.isValid() or index.row() >= len(self.versions):
            return None
        return self.versions_model.row_at(index.row())

    def set_change(self, sentence: str | None) -> None:
        """Show (or hide, for None) the banner saying the dataset's files changed."""
        if sentence and self.summary is not None:
            path = self.summary.source_path
            if path and path not in sentence:
                sentence = f"The files at {path} changed: {sentence}"
            self.banner_label.setText(f"<b>{shown_html(sentence)}</b>")
            self.banner.setVisible(True)
        else:
            self.banner.setVisible(False)

    # --- slots ---------------------------------------------------------------------------
    def _on_versions(self, versions: list[DatasetVersion]) -> None:
        self.versions = sorted(versions, key=lambda v: v.number, reverse=True)
        self.versions_model.set_versions(self.versions)
        self._fit_version_columns()
        wanted = self._pending_version
        self._pending_version = None
        row = self.versions_model.row_of(wanted) if wanted else None
        if self.versions:
            self.versions_view.selectRow(row if row is not None else 0)

    def _fit_version_columns(self) -> None:
        """Every column fits its text; the message takes what is left (at least 120 px)."""
        view = self.versions_view
        view.resizeColumnsToContents()
        view.setColumnWidth(VCOL_TAGS, min(view.columnWidth(VCOL_TAGS), 180))
        others = sum(view.columnWidth(c) for c in range(self.versions_model.columnCount()))
        others -= view.columnWidth(VCOL_MESSAGE)
        room = view.viewport().width() - others - 2
        view.setColumnWidth(VCOL_MESSAGE, max(120, min(room, 420)))

    def _on_versions_failed(self, failure: Failure) -> None:
        self.source_label.setText(shown_html(f"Cannot load versions: {failure}"))

    def _on_version_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        version = self.current_version()
        if version is not None and (not previous.isValid() or current.row() != previous.row()):
            self._show_version(version)

    def _show_version(self, version: DatasetVersion) -> None:
        self.restore_button.setEnabled(version.snapshot)
        self.restore_button.setToolTip(
            f"Restore {version.version} into an empty folder"
            if version.snapshot
            else RESTORE_DISABLED_TIP
        )
        self.diff.set_versions(self.versions, version.version)
        for tab in self._tabs():
            tab.name, tab.version = version.dataset, version.version
        self._dirty = set(range(self.tabs.count()))
        self._on_tab_changed(self.tabs.currentIndex())
        self.versionShown.emit(version.dataset, version.version)

    def _tabs(self) -> list[VersionTab]:
        return [self.files, self.preview, self.profile, self.diff, self.used_by]

    def _on_tab_changed(self, index: int) -> None:
        if index not in self._dirty:
            return
        self._dirty.discard(index)
        tab = self._tabs()[index]
        if tab.name and tab.version:
            tab.load(tab.name, tab.version)

    def _on_record_clicked(self) -> None:
        if self.summary is not None:
            self.recordRequested.emit(self.summary.name, self.summary.source_path)

    def _on_restore_clicked(self) -> None:
        version = self.current_version()
        if version is not None and version.snapshot:
            self.restoreRequested.emit(version)
