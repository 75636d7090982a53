"""The Models pane: the registry's models with alias badges, and the chosen model's detail.

Every service call goes through the TaskRunner (list here; versions, cards and comparisons in
:class:`ModelDetailView`; changes in :class:`ModelActions`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QSplitter,
    QToolButton,
    QWidget,
)

from mlops_desktop.core.models import ModelSummary, ModelVersion
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.dialogs.model_register import RegisterModelDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun
from mlops_desktop.ui.list_sizing import content_width, fit_list_side
from mlops_desktop.ui.navigation import AppEvents, Navigator, RegisterModel, ShowModel
from mlops_desktop.ui.panes.models.actions import ModelActions
from mlops_desktop.ui.panes.models.detail import ModelDetailView
from mlops_desktop.ui.panes.models.model_list import ModelsListView
from mlops_desktop.ui.panes.registry import Pane, PaneContext, register_pane
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState, list_detail_layout

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


def _list_models(service: ModelService, *, state: TaskState) -> list[ModelSummary]:
    return service.list_models()


class ModelsPane(Pane):
    """See the module docstring.

    Signals:
        modelsLoaded(): the list was (re)loaded.
    """

    modelsLoaded = Signal()

    def __init__(
        self,
        service: ModelService,
        runner: TaskRunner,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
        alerts: Callable[[str], dict[int, list[str]]] | None = None,
    ) -> None:
        super().__init__(navigator, events, parent)
        self._service = service
        self._runner = runner
        self._pending: tuple[str, int | None] | None = None
        self.loaded = False

        self.list = ModelsListView()
        self.count_label = QLabel()
        self.detail = ModelDetailView(service, runner, alerts=alerts)
        self.model_actions = ModelActions(
            service, runner, self.detail.current_version, self.detail.aliases, self
        )
        self.register_button = QPushButton("Register from file…")
        self.import_button = QPushButton("Import…")
        self._fill_toolbar()
        self.empty = EmptyState(NO_MODELS_HTML, NO_MODELS_CODE, NO_MODELS_FOOTER)
        self.empty_register_button = QPushButton("Register from file…")
        self.empty_import_button = QPushButton("Import…")
        self.empty.add_buttons(self.empty_register_button, self.empty_import_button)
        self.split, self.stack = list_detail_layout(
            self,
            self.list,
            [self.register_button, self.import_button],
            self.count_label,
            self.detail,
            self.empty,
            (500, 780),
        )

        for button in (self.register_button, self.empty_register_button):
            button.clicked.connect(self.model_actions.register.trigger)
        for button in (self.import_button, self.empty_import_button):
            button.clicked.connect(self.model_actions.import_.trigger)
        self.list.modelChosen.connect(self._on_model_chosen)
        self.detail.versionChosen.connect(self._on_version_chosen)
        self.detail.versions_view.customContextMenuRequested.connect(self._on_context_menu)
        self.detail.runActivated.connect(self.navigator.show_run)
        self.detail.datasetActivated.connect(self.navigator.show_dataset)
        self.detail.modelActivated.connect(self.select_model)
        self.model_actions.changed.connect(self._on_changed)
        self.model_actions.status.connect(self.events.show_status)
        self.refresh()

    def _fill_toolbar(self) -> None:
        bar = self.detail.toolbar
        a = self.model_actions
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
        self._runner.submit_when_idle(
            (self, "list"),
            _list_models,
            self._service,
            on_done=self._on_models,
            on_failed=self._on_failed,
        )

    def select_model(self, name: str, version: int | None = None) -> None:
        """Choose model ``name`` and its ``version`` (None: the newest)."""
        if self.detail.name == name and self.list.current_name() == name:
            if version is not None:
                self.detail.select_version(version)
            return
        self._pending = (name, version)
        if not self.list.select(name) and self.loaded:
            self.refresh()

    def open_register_dialog(
        self, run_id: str = "", artifact: str = "", name: str = ""
    ) -> RegisterModelDialog:
        return self.model_actions.open_register_dialog(run_id, artifact, name)

    def write_controls(self) -> list[QAction | QWidget]:
        a = self.model_actions
        return [
            *(a.set_alias, a.tag, a.describe, a.archive, a.delete, a.import_, a.register),
            a.remove_alias_menu.menuAction(),
            a.remove_tag_menu.menuAction(),
            self.remove_alias_button,
            self.register_button,
            self.import_button,
            self.empty_register_button,
            self.empty_import_button,
        ]

    def layout_splitters(self) -> list[QSplitter]:
        return [self.split]

    def selection_state(self) -> dict[str, Any]:
        version = self.detail.current_version()
        return {"model": self.detail.name, "version": version.version if version else None}

    def restore_selection(self, state: dict[str, Any]) -> None:
        name, version = state.get("model"), state.get("version")
        if isinstance(name, str) and name:
            self.select_model(name, version if type(version) is int else None)

    # --- slots ---------------------------------------------------------------------------
    def _on_models(self, models: list[ModelSummary]) -> None:
        self.loaded = True
        chosen = self.detail.name
        self.list.set_models(models)
        self.count_label.setText(count_noun(len(models), "model"))
        self.stack.setCurrentWidget(self.split if models else self.empty)
        fit_list_side(self.split, content_width(self.list.view))
        pending, self._pending = self._pending, None
        target = pending or ((chosen, None) if chosen else None)
        if target and self.list.summary(target[0]) is not None:
            self._pending = target
            self.list.select(target[0])  # the reset cleared the current row: this reloads
        elif models:
            self.list.view.selectRow(0)
        self.modelsLoaded.emit()

    def _on_failed(self, failure: Failure) -> None:
        self.events.show_status(f"Cannot list models: {failure}", 10000)

    def _on_model_chosen(self, name: str) -> None:
        pending, self._pending = self._pending, None
        version = pending[1] if pending and pending[0] == name else None
        self.detail.set_model(name, version)

    def _on_version_chosen(self, _version: ModelVersion | None) -> None:
        self.model_actions.update_enabled()
        self.remove_alias_button.setEnabled(self.model_actions.remove_alias_menu.isEnabled())
        self.selectionChanged.emit()

    def _on_changed(self, name: str, version: int) -> None:
        self._pending = (name, version or None)
        self.refresh()

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.detail.versions_view.indexAt(pos)
        if index.isValid():
            self.detail.versions_view.selectRow(index.row())
        menu = self.model_actions.context_menu()
        menu.popup(self.detail.versions_view.viewport().mapToGlobal(pos))


def _create(context: PaneContext) -> ModelsPane:
    pane = ModelsPane(
        context.services.models,
        context.runner,
        context.navigator,
        context.events,
        alerts=context.services.monitors.version_alerts,
    )
    if context.catalog_live is not None:  # another desktop's version or alias move
        context.catalog_live.modelsChanged.connect(pane.refresh)
    navigator = context.navigator
    navigator.serve(
        ShowModel, pane, lambda request: pane.select_model(request.name, request.version)
    )
    navigator.serve(
        RegisterModel,
        pane,
        lambda request: pane.open_register_dialog(request.run_id, request.artifact),
    )
    return pane


register_pane("Models", "models", 30, _create)
