"""How the Pipelines pane reads from the service, each call on a worker (:mod:`source`): the
pipelines list, the chosen pipeline's file, runs and triggers, what a run would do now, and
adding a pipeline file.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QFileDialog

from mlops_desktop.core.pipelines import PipelineInfo, StageStatus
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE
from mlops_desktop.ui.list_sizing import content_width, fit_list_side
from mlops_desktop.ui.panes.pipelines import source as work
from mlops_desktop.ui.panes.pipelines.pane_base import FILE_FILTER, PipelinesPaneBase
from mlops_desktop.ui.panes.pipelines.source import PipelineLoad


class PipelinesPaneLoading(PipelinesPaneBase):
    """See the module docstring."""

    def refresh(self) -> None:
        """Reload the list, and the chosen pipeline's file, runs, triggers and status (F5)."""
        self._runner.submit_when_idle(
            (self, "list"),
            work.list_pipelines,
            self._source,
            on_done=self._on_pipelines,
            on_failed=self._on_list_failed,
        )

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
