"""The Pipelines pane: the pipelines the catalog knows (left) and the chosen one's stage
graph, runs, gates and triggers (:class:`PipelineView`), with Run, Run from here and Force
stage.

Every service call runs on a worker (:mod:`source`). A run started here blocks its worker
until it ends; its stages' changes come back through a queued signal, so the graph follows
the run live. Runs started elsewhere (the command line, a trigger, another desktop) show on
the next refresh: the main window refreshes the pane when the catalog changes.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from mlops_desktop.core.pipelines import PipelineRunInfo, StageRun
from mlops_desktop.services.pipelines import PipelineService
from mlops_desktop.ui.formatting import short_id
from mlops_desktop.ui.navigation import AppEvents, Navigator, OpenAddPipeline, ShowPipeline
from mlops_desktop.ui.panes.pipelines.pane_loading import PipelinesPaneLoading
from mlops_desktop.ui.panes.pipelines.stage_detail import RunReader
from mlops_desktop.ui.panes.pipelines.triggered_runs import (
    cancel_triggered,
    follow_triggered_runs,
)
from mlops_desktop.ui.panes.registry import PaneContext, register_pane
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner


class PipelinesPane(PipelinesPaneLoading):
    """See the module docstring (the widgets: :class:`PipelinesPaneBase`)."""

    def __init__(
        self,
        source: PipelineService,
        runner: TaskRunner,
        reader: RunReader | None = None,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(source, runner, reader, navigator, events, parent)
        a = self.controls
        a.add.triggered.connect(self.open_add_dialog)
        a.run.triggered.connect(lambda: self.run_current())
        a.run_from.triggered.connect(self._run_from_selected)
        a.force.triggered.connect(self._force_selected)
        a.cancel.triggered.connect(self.cancel_current)
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

    # --- running -------------------------------------------------------------------------
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

    def _on_stage_menu(self, name: str, pos: QPoint) -> None:
        shown = self.view.graph.shown_of(name)
        self.stage_menu = self.controls.stage_menu(self, shown, self.navigator.show_run)
        self.stage_menu.popup(pos)

    def _on_stage_activated(self, name: str) -> None:
        shown = self.view.graph.shown_of(name)
        if shown is not None and (shown.run_id or shown.source_run_id):
            self.navigator.show_run(shown.run_id or shown.source_run_id or "")


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
