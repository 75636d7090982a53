"""The Pipelines pane: the pipelines the catalog knows (left) and the chosen one's stage
graph, runs, gates and triggers (:class:`PipelineView`), with Run, Run from here and Force
stage.

Every service call runs on a worker (:mod:`source`). A run started here blocks its worker
until it ends; its stages' changes come back through a queued signal, so the graph follows
the run live. Runs started elsewhere (the command line, a trigger, another desktop) show on
the next refresh: the main window refreshes the pane when the catalog changes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QWidget,
)

from mlops_desktop.core.pipelines import (
    PIPELINE_FILENAMES,
    PipelineInfo,
    PipelineRunInfo,
    StageRun,
    StageStatus,
)
from mlops_desktop.services.pipelines import PipelineService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, short_id
from mlops_desktop.ui.item_models.pipeline_tables import COL_LAST_RUN, PipelinesListModel
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE
from mlops_desktop.ui.list_sizing import content_width, fit_list_side
from mlops_desktop.ui.navigation import AppEvents, Navigator, OpenAddPipeline, ShowPipeline
from mlops_desktop.ui.panes.pipelines import source as work
from mlops_desktop.ui.panes.pipelines.actions import PipelineActions
from mlops_desktop.ui.panes.pipelines.pipeline_view import PipelineView
from mlops_desktop.ui.panes.pipelines.run_control import RunControl
from mlops_desktop.ui.panes.pipelines.source import PipelineLoad
from mlops_desktop.ui.panes.pipelines.stage_detail import RunReader
from mlops_desktop.ui.panes.pipelines.tables import table_view
from mlops_desktop.ui.panes.pipelines.triggered_runs import (
    cancel_triggered,
    follow_triggered_runs,
    triggered_going,
)
from mlops_desktop.ui.panes.registry import Pane, PaneContext, register_pane
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner
from mlops_desktop.ui.widgets import EmptyState, list_detail_layout

NO_PIPELINES_HTML = (
    "<h2>No pipelines yet</h2>"
    "<p>A pipeline is a <b>pipeline.yaml</b> next to your code (or the <b>dvc.yaml</b> and "
    "<b>params.yaml</b> you have): stages with their command, deps, params, outs and metrics."
    "<br>Add one here, or run it once from its folder and it shows here:</p>"
)
NO_PIPELINES_CODE = "mlops-desktop pipelines run"
NO_PIPELINES_FOOTER = (
    "Each stage runs as a run of its own, and is skipped when nothing it depends on changed."
)
FILE_FILTER = f"Pipeline files ({' '.join(PIPELINE_FILENAMES)});;YAML files (*.yaml *.yml)"


class PipelinesPane(Pane):
    """See the module docstring. ``reader`` is ``services.experiments`` (a stage's log and
    metrics).

    Signals:
        pipelinesLoaded(): the list was (re)loaded.
        pipelineShown(str): a pipeline's file, runs and triggers were loaded and shown.
        statusShown(str): what a run of that pipeline would do now was shown.
        runEnded(object): a run started here ended (its PipelineRunInfo, None: it failed).
    """

    pipelinesLoaded = Signal()
    pipelineShown = Signal(str)
    statusShown = Signal(str)
    runEnded = Signal(object)

    def __init__(
        self,
        source: PipelineService,
        runner: TaskRunner,
        reader: RunReader | None = None,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(navigator, events, parent)
        self._source = source
        self._runner = runner
        self._pending: tuple[str, str | None] | None = None
        self.runs = RunControl(source, runner, self)
        self.loaded = False

        self.list_model = PipelinesListModel(self)
        self.list_view = table_view(self.list_model)
        self.list_view.setColumnHidden(COL_LAST_RUN, True)  # in the tooltip; the dot says how
        self.count_label = QLabel()
        self.view = PipelineView(reader, runner)
        self.controls = PipelineActions(self)
        self._wire_actions()
        self.add_button = QPushButton("Add…")
        self.add_button.setToolTip("Add a pipeline file (pipeline.yaml or dvc.yaml)")
        self.empty = EmptyState(NO_PIPELINES_HTML, NO_PIPELINES_CODE, NO_PIPELINES_FOOTER)
        self.empty_add_button = QPushButton("Add pipeline…")
        self.empty.add_buttons(self.empty_add_button)
        self.split, self.stack = list_detail_layout(
            self,
            self.list_view,
            [self.add_button],
            self.count_label,
            self.view,
            self.empty,
            (200, 1000),
        )
        for button in (self.add_button, self.empty_add_button):
            button.clicked.connect(self.add_action.trigger)
        self.list_view.selectionModel().currentRowChanged.connect(self._on_pipeline_chosen)
        self.view.graph.stageSelected.connect(lambda _name: self._update_actions())
        self.view.graph.stageMenuRequested.connect(self._on_stage_menu)
        self.view.graph.stageActivated.connect(self._on_stage_activated)
        self.view.runActivated.connect(self.navigator.show_run)
        self.view.runChosen.connect(lambda _run: self.selectionChanged.emit())
        self.view.gates.approveRequested.connect(lambda r, s: self.runs.decide(r, s, True))
        self.view.gates.rejectRequested.connect(lambda r, s: self.runs.decide(r, s, False))
        self.view.gates.modelActivated.connect(self.navigator.show_model)
        self.runs.stageChanged.connect(self._on_stage_changed)
        self.runs.runEnded.connect(self._on_run_ended)
        self.runs.decided.connect(self._on_decided)
        self.runs.problem.connect(lambda text: self.events.show_status(text, 10000))
        self._update_actions()
        self.refresh()

    def _wire_actions(self) -> None:
        a = self.controls
        a.add_buttons(self.view.toolbar)
        a.add.triggered.connect(self.open_add_dialog)
        a.run.triggered.connect(lambda: self.run_current())
        a.run_from.triggered.connect(self._run_from_selected)
        a.force.triggered.connect(self._force_selected)
        a.cancel.triggered.connect(self.cancel_current)
        # the names tests and the main window know them by
        self.add_action, self.run_action, self.cancel_action = a.add, a.run, a.cancel
        self.run_from_action, self.force_action = a.run_from, a.force

    # --- public --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the list, and the chosen pipeline's file, runs, triggers and status (F5)."""
        self._runner.submit_when_idle(
            (self, "list"),
            work.list_pipelines,
            self._source,
            on_done=self._on_pipelines,
            on_failed=self._on_list_failed,
        )

    def current_info(self) -> PipelineInfo | None:
        index = self.list_view.currentIndex()
        info = index.data(ROW_ROLE) if index.isValid() else None
        return info if isinstance(info, PipelineInfo) else None

    def select_pipeline(self, name: str, run_id: str | None = None) -> bool:
        """Choose pipeline ``name`` (and its run ``run_id`` once loaded)."""
        self._pending = (name, run_id)
        row = self.list_model.row_of(name)
        if row is None:
            return False
        if self.list_view.currentIndex().row() == row:
            self._pending = None
            if run_id:
                self.view.select_run(run_id)
            return True
        self.list_view.selectRow(row)
        return True

    def open_add_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Add a pipeline", "", FILE_FILTER)
        if path:
            self.add_pipeline(path)

    def add_pipeline(self, path: str) -> None:
        """Register the pipeline file at ``path`` (on a worker), then choose it."""
        self._runner.submit(
            work.add_pipeline,
            self._source,
            path,
            on_done=self._on_added,
            on_failed=self._on_add_failed,
            label="Adding a pipeline",
        )

    def run_current(
        self, force: tuple[str, ...] = (), from_stage: str | None = None
    ) -> TaskHandle | None:
        """Run the chosen pipeline (``force``: stages rerun even when unchanged;
        ``from_stage``: rerun it and everything after it)."""
        info = self.current_info()
        handle = self.runs.start(info, force, from_stage) if info is not None else None
        if handle is not None:
            self.view.set_problem("")
            self.view.start_live((*force, *([from_stage] if from_stage else [])))
            self._update_actions()
        return handle

    def cancel_current(self) -> None:
        info = self.current_info()
        if info is not None and (
            self.runs.cancel(info.name) or cancel_triggered(self._source, info.name)
        ):
            self.events.show_status(f"Cancelling the run of {info.name}…")

    def write_controls(self) -> list[QAction | QWidget]:
        return [
            self.add_action,
            self.run_action,
            self.run_from_action,
            self.force_action,
            self.cancel_action,
            self.add_button,
            self.empty_add_button,
            *self.controls.buttons,
            self.view.gates.approve_button,
            self.view.gates.reject_button,
        ]

    def shutdown(self) -> None:
        self.runs.cancel_all()

    def layout_splitters(self) -> list[QSplitter]:
        return [self.split, self.view.split, self.view.top_split, self.view.gates.split]

    def selection_state(self) -> dict[str, Any]:
        info = self.current_info()
        run = self.view.current_run()
        return {
            "pipeline": info.name if info is not None else None,
            "run": run.run_id if run is not None else None,
        }

    def restore_selection(self, state: dict[str, Any]) -> None:
        name, run = state.get("pipeline"), state.get("run")
        if isinstance(name, str) and name:
            self.select_pipeline(name, run if isinstance(run, str) and run else None)

    # --- loading -------------------------------------------------------------------------
    def _on_pipelines(self, pipelines: list[PipelineInfo]) -> None:
        self.loaded = True
        current = self.current_info()
        self.list_model.set_rows(pipelines)
        self.count_label.setText(count_noun(len(pipelines), "pipeline"))
        self.stack.setCurrentWidget(self.split if pipelines else self.empty)
        fit_list_side(self.split, content_width(self.list_view))
        pending, self._pending = self._pending, None
        target = pending or ((current.name, None) if current is not None else None)
        if target is not None and self.list_model.row_of(target[0]) is not None:
            self._pending = target
            self.list_view.selectRow(self.list_model.row_of(target[0]) or 0)
        elif pipelines:
            self.list_view.selectRow(0)
        self._update_actions()
        self.pipelinesLoaded.emit()

    def _on_list_failed(self, failure: Failure) -> None:
        self.events.show_status(f"Cannot list pipelines: {failure}", 10000)

    def _on_pipeline_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        info = current.data(ROW_ROLE) if current.isValid() else None
        if not isinstance(info, PipelineInfo):
            return
        self._load(info)
        self._update_actions()
        self.selectionChanged.emit()

    def _load(self, info: PipelineInfo) -> None:
        self._runner.submit_when_idle(
            (self, "load"),
            work.load_pipeline,
            self._source,
            info,
            on_done=self._on_loaded,
            on_failed=self._on_load_failed,
        )

    def _on_loaded(self, load: PipelineLoad) -> None:
        current = self.current_info()
        if current is None or current.name != load.info.name:
            return
        first = self.view.info is None or self.view.info.name != load.info.name
        if first or load.pipeline != self.view.pipeline:
            self.view.set_pipeline(load.info, load.pipeline, load.error)
        else:
            self.view.set_problem(load.error)
        self.view.set_runs(load.runs)
        self.view.set_triggers(load.triggers)
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == load.info.name and pending[1]:
            self.view.select_run(pending[1])
        if load.pipeline is not None and not self.runs.is_running(load.info.name):
            self.view.set_checking()
            self._runner.submit(
                work.pipeline_status,
                self._source,
                load.info.path,
                key=(self, "status"),
                on_done=self._on_status,
                on_failed=self._on_status_failed,
            )
        self._update_actions()
        self.pipelineShown.emit(load.info.name)

    def _on_load_failed(self, failure: Failure) -> None:
        self.view.set_problem(f"Cannot read this pipeline: {failure}")

    def _on_status(self, result: tuple[str, list[StageStatus]]) -> None:
        path, statuses = result
        current = self.current_info()
        if current is None or current.path != path:
            return
        self.view.set_status(statuses)
        self.statusShown.emit(current.name)

    def _on_status_failed(self, failure: Failure) -> None:
        self.view.set_problem(str(failure))
        self.view.set_status([])

    # --- running -------------------------------------------------------------------------
    def _selected_stage(self) -> str | None:
        return self.view.graph.selected_stage()

    def _run_from_selected(self) -> None:
        stage = self._selected_stage()
        if stage is not None:
            self.run_current(from_stage=stage)

    def _force_selected(self) -> None:
        stage = self._selected_stage()
        if stage is not None:
            self.run_current(force=(stage,))

    def _on_stage_changed(self, name: str, stage_run: StageRun) -> None:
        current = self.current_info()
        if current is None or current.name != name:
            return
        self.view.update_stage(stage_run)
        self._load(current)  # the new run's row (the catalog has it)

    def _on_run_ended(self, name: str, run: PipelineRunInfo | None, problem: str) -> None:
        current = self.current_info()
        shown = current is not None and current.name == name
        if shown:
            self.view.end_live(run)
            self.view.set_problem(problem)
        if run is not None:
            failed = [s.stage for s in run.stages if s.state == "failed"]
            if shown and failed:
                self.view.graph.select_stage(failed[0])  # its log says why
            self.events.show_status(f"Pipeline {name}: run {short_id(run.run_id)} {run.state}")
            self._pending = (name, run.run_id)
        elif problem:
            self.events.show_status(f"Pipeline {name} did not run: {problem}", 10000)
        self._update_actions()
        self.refresh()
        self.runEnded.emit(run)

    def _on_decided(self, run: PipelineRunInfo) -> None:
        self.view.update_run(run)
        self.events.show_status(f"Pipeline run {short_id(run.run_id)}: gate decided")
        self.refresh()

    # --- slots ---------------------------------------------------------------------------
    def _on_added(self, info: PipelineInfo) -> None:
        self.events.show_status(f"Pipeline {info.name} added ({info.path})")
        self._pending = (info.name, None)
        self.refresh()

    def _on_add_failed(self, failure: Failure) -> None:
        self.stack.setCurrentWidget(self.split if self.list_model.total_rows() else self.empty)
        self.view.set_problem(str(failure))
        self.empty.footer_label.setText(str(failure))
        self.empty.footer_label.show()
        self.events.show_status(f"Cannot add the pipeline: {failure}", 10000)

    def _on_stage_menu(self, name: str, pos: QPoint) -> None:
        shown = self.view.graph.shown_of(name)
        self.stage_menu = self.controls.stage_menu(self, shown, self.navigator.show_run)
        self.stage_menu.popup(pos)

    def _on_stage_activated(self, name: str) -> None:
        shown = self.view.graph.shown_of(name)
        if shown is not None and (shown.run_id or shown.source_run_id):
            self.navigator.show_run(shown.run_id or shown.source_run_id or "")

    def _update_actions(self) -> None:
        info = self.current_info()
        running = info is not None and (
            self.runs.is_running(info.name) or triggered_going(self._source, info.name)
        )
        usable = info is not None and self.view.pipeline is not None and not running
        self.controls.update_enabled(usable, running, self._selected_stage() is not None)


def _create(context: PaneContext) -> PipelinesPane:
    pane = PipelinesPane(
        context.services.pipelines,
        context.runner,
        reader=context.services.experiments,
        navigator=context.navigator,
        events=context.events,
    )
    live = context.catalog_live
    if live is not None:  # a run, trigger or gate of another desktop or the command line
        live.pipelinesChanged.connect(pane.refresh)
    if context.ingest is not None:  # a stage of a run this app's triggers started
        context.ingest.newRuns.connect(lambda _ids: pane.refresh())
    if context.pipeline_triggers is not None:  # runs triggers started, live
        follow_triggered_runs(pane, context.pipeline_triggers)
    navigator = context.navigator
    navigator.serve(
        ShowPipeline, pane, lambda request: pane.select_pipeline(request.name, request.run_id)
    )
    navigator.serve(OpenAddPipeline, pane, lambda _request: pane.open_add_dialog())
    return pane


register_pane("Pipelines", "pipelines", 50, _create)
