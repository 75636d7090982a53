"""The Datasets pane: the datasets list, the chosen dataset's detail, register and restore.

Every service call goes through the TaskRunner. Registered paths are checked for changes when
the pane is shown and every 30 s (stat only, on a worker); changed datasets get a marker and a
banner that offers to record a new version. Dropping a file or folder opens the register dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QWidget,
)

from mlops_desktop.core.datasets import AddResult, DatasetSummary, DatasetVersion
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.dialogs.register_dataset import RegisterDatasetDialog
from mlops_desktop.ui.dialogs.task_progress import TaskProgressDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun
from mlops_desktop.ui.item_models.datasets_table import COL_NAME, DatasetsTableModel
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE, SORT_ROLE
from mlops_desktop.ui.list_sizing import content_width, elide_in_the_middle, fit_list_side
from mlops_desktop.ui.navigation import AppEvents, Navigator, ShowDataset
from mlops_desktop.ui.panes.datasets.detail import DatasetDetailView
from mlops_desktop.ui.panes.datasets.tabs import make_table_view
from mlops_desktop.ui.panes.registry import Pane, PaneContext, register_pane
from mlops_desktop.ui.read_only import WriteGuard
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState, list_detail_layout

CHECK_INTERVAL_MS = 30_000
NO_DATASETS_HTML = (
    "<h2>No datasets yet</h2>"
    "<p>Register a file or folder with <b>Register dataset…</b>, drag a folder here, "
    "or use the command line:</p>"
)
NO_DATASETS_CODE = "mlops-desktop data add PATH --name NAME"
NO_DATASETS_FOOTER = "Every version gets a content fingerprint; runs remember the one they read."


def _list_datasets(service: DatasetService, *, state: TaskState) -> list[DatasetSummary]:
    return service.list_datasets()


def _changed(service: DatasetService, *, state: TaskState) -> list[tuple[str, str]]:
    return service.changed_datasets()


def _checkout(
    service: DatasetService, name: str, version: str, dest: str, *, state: TaskState
) -> Path:
    def progress(done: int, total: int, message: str) -> None:
        state.progress(done / total if total else 0.0, message)

    def cancelled() -> bool:
        return state.cancelled

    return service.checkout(name, version, dest, progress=progress, cancelled=cancelled)


class DatasetsPane(Pane):
    """See the module docstring.

    Signals:
        datasetsLoaded(): the list was (re)loaded.
        changesChecked(): a change check finished.
    """

    datasetsLoaded = Signal()
    changesChecked = Signal()

    def __init__(
        self,
        service: DatasetService,
        runner: TaskRunner,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(navigator, events, parent)
        self._service = service
        self._runner = runner
        self._pending: tuple[str, str | None] | None = None
        self.loaded = False
        self.register_dialog: RegisterDatasetDialog | None = None
        self.restore_dialog: TaskProgressDialog | None = None
        self.restore_error: QMessageBox | None = None
        self.setAcceptDrops(True)

        self.model = DatasetsTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.list_view = make_table_view(self.proxy)
        self.list_view.setSortingEnabled(True)
        self.list_view.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
        elide_in_the_middle(self.list_view)
        header = self.list_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.register_button = QPushButton("Register dataset…")
        self.count_label = QLabel()
        self.detail = DatasetDetailView(service, runner)
        self.empty = EmptyState(NO_DATASETS_HTML, NO_DATASETS_CODE, NO_DATASETS_FOOTER)
        self.empty_register_button = QPushButton("Register dataset…")
        self.empty.add_buttons(self.empty_register_button)
        self.split, self.stack = list_detail_layout(
            self,
            self.list_view,
            [self.register_button],
            self.count_label,
            self.detail,
            self.empty,
            (440, 840),
        )

        self.check_timer = QTimer(self)
        self.check_timer.setInterval(CHECK_INTERVAL_MS)
        self.check_timer.timeout.connect(self.check_changes)
        self.register_button.clicked.connect(self._on_register_clicked)
        self.empty_register_button.clicked.connect(self._on_register_clicked)
        self.list_view.selectionModel().currentRowChanged.connect(self._on_dataset_changed)
        self.detail.recordRequested.connect(self._on_record_requested)
        self.detail.restoreRequested.connect(self._on_restore_requested)
        self.detail.runActivated.connect(self._on_run_activated)
        self.detail.versionShown.connect(lambda _name, _version: self.selectionChanged.emit())
        self.refresh()

    # --- public (main window) ------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the datasets list (F5)."""
        self._runner.submit_when_idle(
            (self, "list"),
            _list_datasets,
            self._service,
            on_done=self._on_datasets,
            on_failed=self._on_failed,
        )

    def check_changes(self) -> None:
        """Ask the service which registered paths changed (stat only, on a worker)."""
        self._runner.submit_when_idle(
            (self, "check"),
            _changed,
            self._service,
            on_done=self._on_changes,
            on_failed=self._on_check_failed,
            deliver_stale=False,  # the running check may predate the change
        )

    def select_dataset(self, name: str, version: str | None = None) -> None:
        """Choose ``name`` in the list and ``version`` in its timeline (after loading)."""
        row = self.model.row_of(name)
        if row is None:
            self._pending = (name, version)
            if self.loaded:
                self.refresh()
            return
        proxy_row = self.proxy.mapFromSource(self.model.index(row, 0)).row()
        if self.detail.name == name:
            if version:
                self.detail.select_version(version)
            return
        self._pending = (name, version)
        self.list_view.selectRow(proxy_row)

    def open_register_dialog(self, path: str = "", name: str = "") -> RegisterDatasetDialog:
        """Open the register dialog, pre-filled with ``path`` and ``name``."""
        if self.register_dialog is not None and self.register_dialog.is_running():
            self.register_dialog.raise_()
            return self.register_dialog
        dialog = RegisterDatasetDialog(self._service, self._runner, path, name, parent=self)
        dialog.registered.connect(self._on_registered)
        self.register_dialog = dialog
        dialog.open()
        return dialog

    def write_controls(self) -> list[QAction | QWidget]:
        detail = self.detail
        return [
            self.register_button,
            self.empty_register_button,
            detail.restore_button,
            detail.record_button,
        ]

    def enter_read_only(self, guard: WriteGuard) -> None:
        super().enter_read_only(guard)
        self.setAcceptDrops(False)  # a dropped folder would open the register dialog

    def layout_splitters(self) -> list[QSplitter]:
        return [self.split]

    def selection_state(self) -> dict[str, Any]:
        version = self.detail.current_version()
        return {"dataset": self.detail.name, "version": version.version if version else None}

    def restore_selection(self, state: dict[str, Any]) -> None:
        name, version = state.get("dataset"), state.get("version")
        if isinstance(name, str) and name:
            self.select_dataset(name, version if isinstance(version, str) else None)

    def shutdown(self) -> None:
        self.check_timer.stop()
        if self.register_dialog is not None:
            self.register_dialog.cancel_task()

    # --- events --------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.check_timer.start()
        if self.loaded:
            self.check_changes()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.check_timer.stop()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_path(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_path(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_register_dialog(path)

    @staticmethod
    def _dropped_path(event: QDragEnterEvent | QDropEvent) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        local = [u.toLocalFile() for u in urls if u.isLocalFile()]
        return local[0] if local else None

    # --- slots ---------------------------------------------------------------------------
    def _on_datasets(self, datasets: list[DatasetSummary]) -> None:
        self.loaded = True
        chosen = self.detail.name
        self.model.set_datasets(datasets)
        self.count_label.setText(count_noun(len(datasets), "dataset"))
        self.stack.setCurrentWidget(self.split if datasets else self.empty)
        fit_list_side(self.split, content_width(self.list_view))
        pending, self._pending = self._pending, None
        target = pending or ((chosen, None) if chosen else None)
        if target and self.model.row_of(target[0]) is not None:
            self.detail.summary = None  # reload its versions
            self.select_dataset(*target)
        elif datasets:
            self.list_view.selectRow(0)
        self.datasetsLoaded.emit()
        if self.isVisible():
            self.check_changes()

    def _on_failed(self, failure: Failure) -> None:
        self.events.show_status(f"Cannot list datasets: {failure}", 10000)

    def _on_changes(self, changes: list[tuple[str, str]]) -> None:
        changed = dict(changes)
        self.model.set_changed(changed)
        if self.detail.name is not None:
            self.detail.set_change(changed.get(self.detail.name))
        self.changesChecked.emit()

    def _on_check_failed(self, failure: Failure) -> None:
        self.events.show_status(f"Cannot check datasets for changes: {failure}")

    def _on_dataset_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        summary = current.data(ROW_ROLE) if current.isValid() else None
        if summary is None:
            return
        pending, self._pending = self._pending, None
        version = pending[1] if pending and pending[0] == summary.name else None
        self.detail.set_dataset(summary, version)
        self.detail.set_change(self.model.changed().get(summary.name))

    def _on_register_clicked(self) -> None:
        self.open_register_dialog()

    def _on_record_requested(self, name: str, path: str) -> None:
        self.open_register_dialog(path, name)

    def _on_registered(self, result: AddResult) -> None:
        self._pending = (result.dataset, result.version)
        self.detail.summary = None
        self.refresh()
        self.check_changes()
        verb = "registered" if result.new_version else "unchanged"
        self.events.show_status(f"{result.dataset} {result.version} {verb}")

    def _on_restore_requested(self, version: DatasetVersion) -> None:
        dest = QFileDialog.getExistingDirectory(
            self, f"Restore {version.dataset} {version.version} into an empty folder"
        )
        if dest:
            self.restore(version, dest)

    def restore(self, version: DatasetVersion, dest: str) -> TaskHandle:
        """Restore ``version`` into ``dest`` on the runner, with a progress dialog."""
        title = f"Restoring {version.dataset} {version.version}"
        handle = self._runner.submit(
            _checkout,
            self._service,
            version.dataset,
            version.version,
            dest,
            on_done=lambda path: self.events.show_status(f"Restored into {path}", 10000),
            on_failed=self._on_restore_failed,
        )
        handle.cancelled.connect(lambda: self.events.show_status("Restore cancelled"))
        self.restore_dialog = TaskProgressDialog(handle, title, self)
        self.restore_dialog.show()
        return handle

    def _on_restore_failed(self, failure: Failure) -> None:
        self.events.show_status(f"Cannot restore: {failure}", 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Restore", f"Cannot restore: {failure}")
        box.setParent(self, box.windowFlags())
        box.open()
        self.restore_error = box

    def _on_run_activated(self, run_id: str) -> None:
        self.navigator.show_run(run_id)


def _create(context: PaneContext) -> DatasetsPane:
    pane = DatasetsPane(
        context.services.datasets, context.runner, context.navigator, context.events
    )
    if context.catalog_live is not None:  # another desktop's new version
        context.catalog_live.datasetsChanged.connect(pane.refresh)
    context.navigator.serve(
        ShowDataset, pane, lambda request: pane.select_dataset(request.name, request.version)
    )
    return pane


register_pane("Datasets", "datasets", 20, _create)
