"""The Pipelines pane's widgets and what is chosen in them: the pipelines list (left) beside
the chosen one's :class:`PipelineView`, the empty state, the actions, and the selection the
window saves. :mod:`pane_loading` fills them from the service; :mod:`pane` runs pipelines.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QWidget

from mlops_desktop.core.pipelines import PIPELINE_FILENAMES, PipelineInfo
from mlops_desktop.services.pipelines import PipelineService
from mlops_desktop.ui.item_models.pipeline_tables import COL_LAST_RUN, PipelinesListModel
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE
from mlops_desktop.ui.list_sizing import MIN_LIST_WIDTH
from mlops_desktop.ui.navigation import AppEvents, Navigator
from mlops_desktop.ui.panes.pipelines.actions import PipelineActions
from mlops_desktop.ui.panes.pipelines.pipeline_view import PipelineView
from mlops_desktop.ui.panes.pipelines.run_control import RunControl
from mlops_desktop.ui.panes.pipelines.stage_detail import RunReader
from mlops_desktop.ui.panes.pipelines.tables import table_view
from mlops_desktop.ui.panes.pipelines.triggered_runs import triggered_going
from mlops_desktop.ui.panes.registry import Pane
from mlops_desktop.ui.tasks import TaskRunner
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


class PipelinesPaneBase(Pane):
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
        self.controls.add_buttons(self.view.toolbar)
        a = self.controls  # the names tests and the main window know them by
        self.add_action, self.run_action, self.cancel_action = a.add, a.run, a.cancel
        self.run_from_action, self.force_action = a.run_from, a.force
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
            (MIN_LIST_WIDTH, 1100),  # widened to its names when they need more
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

    def _selected_stage(self) -> str | None:
        return self.view.graph.selected_stage()

    def _update_actions(self) -> None:
        info = self.current_info()
        running = info is not None and (  # from here, or started by a trigger here
            self.runs.is_running(info.name) or triggered_going(self._source, info.name)
        )
        usable = info is not None and self.view.pipeline is not None and not running
        self.controls.update_enabled(usable, running, self._selected_stage() is not None)
