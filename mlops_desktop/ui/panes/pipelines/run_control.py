"""Runs started from the Pipelines pane, and gate decisions: each on a worker.

A run blocks its worker until it ends (minutes, hours); its stages' changes are handed from
that thread to the GUI thread by a queued signal (:attr:`RunControl.stageChanged`).
Cancelling the task asks the service to cancel the run, which then ends "cancelled".
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from mlops_desktop.core.pipelines import PipelineInfo, PipelineRunInfo, StageRun
from mlops_desktop.services.pipelines import PipelineService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.panes.pipelines import source as work
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner


class RunControl(QObject):
    """See the module docstring.

    Signals:
        stageChanged(str, StageRun): a stage of the named pipeline's run changed state.
        runEnded(str, object, str): the named pipeline's run ended: its PipelineRunInfo, or
            None with the sentence saying why it did not run ("" when it was cancelled first).
        decided(object): a gate was approved or rejected: the pipeline run as it is now.
        problem(str): a sentence for the status bar.
    """

    stageChanged = Signal(str, object)
    runEnded = Signal(str, object, str)
    decided = Signal(object)
    problem = Signal(str)

    def __init__(
        self, source: PipelineService, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._runner = runner
        self.running: dict[str, TaskHandle] = {}

    def is_running(self, name: str) -> bool:
        return name in self.running

    def start(
        self, info: PipelineInfo, force: tuple[str, ...] = (), from_stage: str | None = None
    ) -> TaskHandle | None:
        """Run ``info``'s pipeline (None when a run of it from here is still going)."""
        name = info.name
        if name in self.running:
            return None
        relay = self.stageChanged

        def on_stage(stage_run: StageRun) -> None:  # on the run's thread: queued to the GUI
            relay.emit(name, stage_run)

        handle = self._runner.submit(
            work.run_pipeline,
            self._source,
            info.path,
            force,
            from_stage,
            on_stage,
            on_done=lambda run: self._end(name, run, ""),
            on_failed=lambda failure: self._end(name, None, str(failure)),
            label=f"Running pipeline {name}",
        )
        handle.cancelled.connect(lambda: self._end(name, None, ""))
        self.running[name] = handle
        return handle

    def cancel(self, name: str) -> bool:
        """Ask the run of ``name`` to stop; False when none goes from here."""
        handle = self.running.get(name)
        if handle is None:
            return False
        handle.cancel()
        return True

    def cancel_all(self) -> None:
        for handle in self.running.values():
            handle.cancel()

    def decide(self, run_id: str, stage: str, approve: bool) -> None:
        """Approve (the version becomes champion) or reject the gate of ``stage``."""
        self._runner.submit(
            work.decide_gate,
            self._source,
            run_id,
            stage,
            approve,
            on_done=self.decided.emit,
            on_failed=self._on_decide_failed,
            label="Approving" if approve else "Rejecting",
        )

    def _end(self, name: str, run: PipelineRunInfo | None, problem: str) -> None:
        if self.running.pop(name, None) is not None:
            self.runEnded.emit(name, run, problem)

    def _on_decide_failed(self, failure: Failure) -> None:
        self.problem.emit(f"Cannot record the decision: {failure}")
