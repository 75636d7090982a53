"""The Models pane: the registry's models with alias badges, and the chosen model's detail.

Every service call goes through the TaskRunner (list here; versions, cards and comparisons in
:class:`ModelDetailView`; changes in :class:`ModelActions`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.models import ModelSummary, ModelVersion
from mlops_desktop.ui.panes.models.actions import ModelActions
from mlops_desktop.ui.panes.models.detail import ModelDetailView
from mlops_desktop.ui.panes.models.model_list import ModelsListView
from mlops_desktop.ui.panes.registry import PaneContext, register_pane
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner
from mlops_desktop.ui.widgets import EmptyState, ask_window

NO_MODELS_HTML = (
    "<h2>No models yet</h2>"
    "<p>A model is a run's artifact, registered with a name. Log it from the training script, "
    "then register it from the command line,<br>from the run's Artifacts tab "
    "(<b>Register as model…</b>) or from a file with <b>Register from file…</b>:</p>"
)
NO_MODELS_CODE = (
    'run.log_artifact("model.joblib")\nmlops-desktop models register RUN model.joblib --name NAME'
)
NO_MODELS_FOOTER = "Every version keeps its lineage: the run, its code and its dataset versions."
UNAVAILABLE_HTML = "<h2>Models are not available</h2><p>The model service did not start.</p>"


def _list_models(service: Any, *, state: Any) -> list[ModelSummary]:
    return service.list_models()


class ModelsPane(QWidget):
    """See the module docstring.

    Signals:
        modelsLoaded(): the list was (re)loaded.
    """

    modelsLoaded = Signal()

    def __init__(
        self, service: Any, runner: TaskRunner, window: Any = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._window = window
        self._list_handle: TaskHandle | None = None
        self._reload_again = False
        self._pending: tuple[str, int | None] | None = None
        self.loaded = False

        self.list = ModelsListView()
        self.count_label = QLabel()
        self.detail = ModelDetailView(service, runner)
        self.actions = ModelActions(
            service, runner, self.detail.current_version, self.detail.aliases, self
        )
        self.register_button = QPushButton("Register from file…")
        self.import_button = QPushButton("Import…")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.register_button)
        top.addWidget(self.import_button)
        top.addStretch(1)
        top.addWidget(self.count_label)
        left_layout.addLayout(top)
        left_layout.addWidget(self.list, 1)
        self._fill_toolbar()
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([500, 780])

        self.empty = EmptyState(NO_MODELS_HTML, NO_MODELS_CODE, NO_MODELS_FOOTER)
        self.empty_register_button = QPushButton("Register from file…")
        self.empty_import_button = QPushButton("Import…")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.empty_register_button)
        row.addWidget(self.empty_import_button)
        row.addStretch(1)
        self.empty.layout().insertLayout(3, row)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.split)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        for button in (self.register_button, self.empty_register_button):
            button.clicked.connect(self.actions.register.trigger)
        for button in (self.import_button, self.empty_import_button):
            button.clicked.connect(self.actions.import_.trigger)
        self.list.modelChosen.connect(self._on_model_chosen)
        self.detail.versionChosen.connect(self._on_version_chosen)
        self.detail.versions_view.customContextMenuRequested.connect(self._on_context_menu)
        self.detail.runActivated.connect(self._on_run_activated)
        self.detail.datasetActivated.connect(self._on_dataset_activated)
        self.detail.modelActivated.connect(self.select_model)
        self.actions.changed.connect(self._on_changed)
        self.actions.status.connect(self._show_status)
        self.refresh()

    def _fill_toolbar(self) -> None:
        bar = self.detail.toolbar
        a = self.actions
        for act in (a.set_alias,):
            bar.addAction(act)
        for menu in (a.remove_alias_menu,):
            button = QToolButton()
            button.setText(menu.title())
            button.setMenu(menu)
            button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            bar.addWidget(button)
            self.remove_alias_button = button
        for act in (a.tag, a.describe):
            bar.addAction(act)
        bar.addSeparator()
        for act in (a.inspect, a.export):
            bar.addAction(act)
        bar.addSeparator()
        for act in (a.archive, a.delete):
            bar.addAction(act)

    # --- public (main window) ------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the models list and the shown model (F5)."""
        if self._list_handle is not None:
            self._reload_again = True
            return
        self._list_handle = self._runner.submit(
            _list_models, self._service, on_done=self._on_models, on_failed=self._on_failed
        )
        self._list_handle.finished.connect(self._on_list_finished)

    def select_model(self, name: str, version: int | None = None) -> None:
        """Choose model ``name`` and its ``version`` (None: the newest)."""
        if self.detail.name == name and self.list.current_name() == name:
            if version is not None:
                self.detail.select_version(version)
            return
        self._pending = (name, version)
        if not self.list.select(name) and self.loaded:
            self.refresh()

    def open_register_dialog(self, run_id: str = "", artifact: str = "", name: str = "") -> Any:
        return self.actions.open_register_dialog(run_id, artifact, name)

    def save_state(self) -> str:
        return bytes(self.split.saveState().toBase64()).decode()

    def restore_state(self, state: object) -> None:
        self.split.restoreState(QByteArray.fromBase64(str(state).encode()))

    # --- slots ---------------------------------------------------------------------------
    def _on_models(self, models: list[ModelSummary]) -> None:
        self.loaded = True
        chosen = self.detail.name
        self.list.set_models(models)
        self.count_label.setText(f"{len(models)} models")
        self.stack.setCurrentWidget(self.split if models else self.empty)
        pending, self._pending = self._pending, None
        target = pending or ((chosen, None) if chosen else None)
        if target and self.list.summary(target[0]) is not None:
            self._pending = target
            self.list.select(target[0])  # the reset cleared the current row: this reloads
        elif models:
            self.list.view.selectRow(0)
        self.modelsLoaded.emit()

    def _on_failed(self, exc: BaseException, _tb: str) -> None:
        self._show_status(f"Cannot list models: {exc}", 10000)

    def _on_list_finished(self) -> None:
        self._list_handle = None
        if self._reload_again:
            self._reload_again = False
            self.refresh()

    def _on_model_chosen(self, name: str) -> None:
        pending, self._pending = self._pending, None
        version = pending[1] if pending and pending[0] == name else None
        self.detail.set_model(name, version)

    def _on_version_chosen(self, _version: ModelVersion | None) -> None:
        self.actions.update_enabled()
        self.remove_alias_button.setEnabled(self.actions.remove_alias_menu.isEnabled())

    def _on_changed(self, name: str, version: int) -> None:
        self._pending = (name, version or None)
        self.refresh()

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.detail.versions_view.indexAt(pos)
        if index.isValid():
            self.detail.versions_view.selectRow(index.row())
        menu = self.actions.context_menu()
        menu.popup(self.detail.versions_view.viewport().mapToGlobal(pos))

    def _on_run_activated(self, run_id: str) -> None:
        ask_window(self._window, "show_run", run_id)

    def _on_dataset_activated(self, name: str, version: str) -> None:
        ask_window(self._window, "show_dataset", name, version or None)

    def _show_status(self, text: str, timeout_ms: int = 5000) -> None:
        ask_window(self._window, "show_status", text, timeout_ms)


def _create(context: PaneContext) -> QWidget:
    service = context.services.get("models")
    if service is None:
        return EmptyState(UNAVAILABLE_HTML)
    return ModelsPane(service, context.runner, window=context.window)


register_pane("Models", "models", 30, _create)
