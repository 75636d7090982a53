"""One pipeline: its stage graph (with the legend and the selected stage's detail beside it)
above its runs, gates and trigger history.

The graph shows either what would run now (the status) or what a chosen run did; the line
above it says which. Pure display: the pane loads everything and feeds it here.
"""

from __future__ import annotations

import html
from collections.abc import Collection

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.pipelines import (
    Pipeline,
    PipelineInfo,
    PipelineRunInfo,
    StageRun,
    StageStatus,
    TriggerEvent,
)
from mlops_desktop.pipelines.graph import downstream
from mlops_desktop.ui.formatting import format_time, short_id
from mlops_desktop.ui.item_models.pipeline_tables import (
    COL_STARTED_RUN,
    PipelineRunsModel,
    PipelineTriggersModel,
)
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE
from mlops_desktop.ui.panes.pipelines.gates_panel import GatesPanel
from mlops_desktop.ui.panes.pipelines.stage_colors import StateLegend
from mlops_desktop.ui.panes.pipelines.stage_detail import RunReader, StageDetailView
from mlops_desktop.ui.panes.pipelines.stage_graph import StageGraphView
from mlops_desktop.ui.panes.pipelines.tables import fit_columns, table_view
from mlops_desktop.ui.tasks import TaskRunner
from mlops_desktop.ui.widgets import heading_label

SHOWING_STATUS = "Showing what a run would do now"
CHECKING = "Checking what changed…"


class PipelineView(QWidget):
    """See the module docstring.

    Signals:
        runChosen(object): a pipeline run chosen in the runs table (None: the status again).
        runActivated(str): show this run in the Experiments pane.
    """

    runChosen = Signal(object)
    runActivated = Signal(str)

    def __init__(
        self, reader: RunReader | None, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.info: PipelineInfo | None = None
        self.pipeline: Pipeline | None = None
        self.statuses: list[StageStatus] = []
        self.live_run: str | None = None  # a run going in this window, shown live
        self._heard: dict[str, StageRun] = {}  # its stages as heard live, newest per stage
        self.title = heading_label()
        self.path_label = QLabel()
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.toolbar = QHBoxLayout()
        self.toolbar.setContentsMargins(0, 0, 0, 0)
        self.showing = QLabel(SHOWING_STATUS)
        self.status_button = QToolButton()
        self.status_button.setText("Show status now")
        self.status_button.setToolTip("Colour the graph by what a run would do now")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e0433b")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self.graph = StageGraphView()
        self.legend = StateLegend()
        self.stage_detail = StageDetailView(reader, runner)
        self.runs_model = PipelineRunsModel(self)
        self.runs_view = table_view(self.runs_model)
        self.gates = GatesPanel()
        self.triggers_model = PipelineTriggersModel(self)
        self.triggers_view = table_view(self.triggers_model)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.runs_view, "Runs")
        self.tabs.addTab(self.gates, "Gates")
        self.tabs.addTab(self.triggers_view, "Triggers")
        self._lay_out()
        self.graph.stageSelected.connect(self._on_stage_selected)
        self.stage_detail.runActivated.connect(self.runActivated)
        self.status_button.clicked.connect(self.show_status_now)
        self.runs_view.selectionModel().selectionChanged.connect(self._on_run_selection)
        self.runs_view.doubleClicked.connect(self._on_run_double_clicked)
        self.gates.shownChanged.connect(self._label_gates_tab)
        self.triggers_view.doubleClicked.connect(self._on_trigger_double_clicked)

    def _lay_out(self) -> None:
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.path_label, 1)
        head.addLayout(self.toolbar)
        showing = QHBoxLayout()
        showing.addWidget(self.showing, 1)
        showing.addWidget(self.status_button)
        graph_side = QWidget()
        column = QVBoxLayout(graph_side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(showing)
        column.addWidget(self.problem)
        column.addWidget(self.graph, 1)
        column.addWidget(self.legend)
        self.top_split = QSplitter(Qt.Orientation.Horizontal)
        self.top_split.addWidget(graph_side)
        self.top_split.addWidget(self.stage_detail)
        self.top_split.setStretchFactor(0, 3)
        self.top_split.setStretchFactor(1, 2)
        self.top_split.setSizes([620, 300])
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.top_split)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([380, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 0)
        layout.addLayout(head)
        layout.addWidget(self.split, 1)

    # --- feeding -------------------------------------------------------------------------
    def set_pipeline(self, info: PipelineInfo, pipeline: Pipeline | None, error: str = "") -> None:
        """Show ``info``'s pipeline (None with ``error``: its file cannot be read now)."""
        same = self.info is not None and self.info.name == info.name
        self.info = info
        self.title.setText(info.name)
        self.path_label.setText(html.escape(info.path))
        self.path_label.setToolTip(info.path)
        self.pipeline = pipeline
        self.stage_detail.root = pipeline.root if pipeline is not None else None
        self.graph.set_pipeline(pipeline)
        self.set_problem(error)
        if not same:
            self.statuses = []
            self.live_run = None
            self.runs_model.set_rows([])
            self.triggers_model.set_rows([])
            self.gates.set_run(None)
        self._show_selected_stage()

    def set_problem(self, text: str) -> None:
        """A sentence on what is wrong with the pipeline file ("" hides it)."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def set_checking(self) -> None:
        if self.current_run() is None and self.live_run is None:
            self.showing.setText(CHECKING)

    def set_status(self, statuses: list[StageStatus]) -> None:
        """What a run would do now; shown unless a run is chosen or going."""
        self.statuses = list(statuses)
        if self.current_run() is None and self.live_run is None:
            self.showing.setText(SHOWING_STATUS + _status_counts(statuses))
            self.graph.show_status(statuses)
            self._show_selected_stage()

    def set_runs(self, runs: list[PipelineRunInfo]) -> None:
        """The pipeline's runs, newest first (the chosen one stays chosen)."""
        chosen = self.current_run()
        self.runs_model.set_rows(runs)
        fit_columns(self.runs_view)
        if chosen is not None:
            self.select_run(chosen.run_id)
        elif self.live_run is not None:  # the run going now, as the catalog has it
            live = next((r for r in runs if r.run_id == self.live_run), None)
            if live is None and not self.live_run:
                live = next((r for r in runs if r.state == "running"), None)
            if live is not None:
                self.live_run = live.run_id
                self._show_run(live, live=True)
                for heard in self._heard.values():  # the catalog was read before them
                    self.graph.update_stage(heard)
                self._show_selected_stage()
        if self.current_run() is None:
            self.gates.set_run(_newest_with_gates(runs))

    def set_triggers(self, triggers: list[TriggerEvent]) -> None:
        self.triggers_model.set_rows(triggers)
        fit_columns(self.triggers_view)
        self.tabs.setTabText(2, f"Triggers ({len(triggers)})" if triggers else "Triggers")

    def update_run(self, run: PipelineRunInfo) -> None:
        """A run changed (ended, approved): its row, and the graph and gates if shown."""
        self.runs_model.update_run(run)
        chosen = self.current_run()
        if chosen is not None and chosen.run_id == run.run_id:
            self._show_run(run)
        elif self.gates.run is not None and self.gates.run.run_id == run.run_id:
            self.gates.set_run(run)

    def start_live(self, rerun: Collection[str] = ()) -> None:
        """A run of this pipeline starts in this window: the graph follows it. ``rerun``:
        the stages forced to run (and those after them)."""
        self.runs_view.clearSelection()
        self.live_run = ""
        self._heard = {}
        self.showing.setText("Showing the run going now")
        if self.pipeline is not None:  # until the catalog has the run: cached stay cached
            pipeline = self.pipeline
            again = set(rerun).union(*(downstream(pipeline, n) for n in rerun if _has(pipeline, n)))
            cached = {s.name for s in self.statuses if s.state == "cached"} - again
            for stage in self.pipeline.stages:
                state = "cached" if stage.name in cached else "queued"
                self.graph.update_stage(StageRun(stage.name, state))
        self._show_selected_stage()

    def update_stage(self, stage_run: StageRun) -> None:
        """A stage of the run going now changed state (shown while the graph follows it)."""
        if self.live_run is None:
            return
        self._heard[stage_run.stage] = stage_run
        self.graph.update_stage(stage_run)
        if stage_run.stage == self.graph.selected_stage():
            self._show_selected_stage()

    def end_live(self, run: PipelineRunInfo | None) -> None:
        """The run going now ended (None: it could not start): show it, chosen."""
        self.live_run = None
        if run is None:
            self.runs_view.clearSelection()
            self._show_status()
            return
        self.runs_model.update_run(run)
        self.select_run(run.run_id)

    # --- choosing ------------------------------------------------------------------------
    def current_run(self) -> PipelineRunInfo | None:
        rows = self.runs_view.selectionModel().selectedRows()
        if not rows:
            return None
        run = rows[0].data(ROW_ROLE)
        return run if isinstance(run, PipelineRunInfo) else None

    def select_run(self, run_id: str) -> bool:
        row = self.runs_model.row_of(run_id)
        if row is None:
            return False
        self.runs_view.selectRow(row)
        self.runs_view.scrollTo(self.runs_model.index(row, 0))
        return True

    def show_status_now(self) -> None:
        self.runs_view.clearSelection()  # the selection slot shows the status

    def _show_run(self, run: PipelineRunInfo, live: bool = False) -> None:
        when = format_time(run.started_at)
        what = "the run going now" if live else f"run {short_id(run.run_id)}"
        self.showing.setText(f"Showing {what}: {run.state}, {run.trigger}, {when}")
        self.graph.show_run(run)
        self.gates.set_run(run)
        self._show_selected_stage()

    def _on_run_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        run = self.current_run()
        if run is not None:
            self.live_run = None
            self._show_run(run)
        elif self.live_run is None:
            self._show_status()
        self.runChosen.emit(run)

    def _show_status(self) -> None:
        self.showing.setText(SHOWING_STATUS + _status_counts(self.statuses))
        self.graph.show_status(self.statuses)
        self.gates.set_run(_newest_with_gates(self.runs_model.rows()))
        self._show_selected_stage()

    def _on_run_double_clicked(self, index: QModelIndex) -> None:
        run = index.data(ROW_ROLE)
        if isinstance(run, PipelineRunInfo):
            self.runActivated.emit(run.run_id)

    def _on_trigger_double_clicked(self, index: QModelIndex) -> None:
        event = index.data(ROW_ROLE)
        if isinstance(event, TriggerEvent) and event.pipeline_run_id:
            if self.select_run(event.pipeline_run_id):
                self.tabs.setCurrentWidget(self.runs_view)
            elif index.column() == COL_STARTED_RUN:
                self.runActivated.emit(event.pipeline_run_id)

    def _on_stage_selected(self, _name: str) -> None:
        self._show_selected_stage()

    def _show_selected_stage(self) -> None:
        name = self.graph.selected_stage()
        stage = None
        if name is not None and self.pipeline is not None:
            stage = self.pipeline.stage(name)
        self.stage_detail.set_stage(name, self.graph.shown_of(name) if name else None, stage)

    def _label_gates_tab(self) -> None:
        run = self.gates.run
        waiting = sum(1 for g in run.gates if g.approval == "waiting") if run else 0
        self.tabs.setTabText(1, f"Gates ({waiting} waiting)" if waiting else "Gates")


def _has(pipeline: Pipeline, name: str) -> bool:
    return any(s.name == name for s in pipeline.stages)


def _newest_with_gates(runs: list[PipelineRunInfo]) -> PipelineRunInfo | None:
    return next((r for r in runs if r.gates), None)


def _status_counts(statuses: list[StageStatus]) -> str:
    if not statuses:
        return ""
    stale = sum(1 for s in statuses if s.state == "stale")
    restorable = sum(1 for s in statuses if s.state == "restorable")
    if not stale and not restorable:
        return ": nothing to run, every stage is cached"
    parts = [f"{stale} to run"] if stale else []
    if restorable:
        parts.append(f"{restorable} to restore")
    return ": " + ", ".join(parts)
