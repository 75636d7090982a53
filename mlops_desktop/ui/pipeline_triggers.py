"""Continuous training in the app: pipelines' triggers checked while it runs.

:class:`PipelineTriggerLoop` checks every pipeline's triggers (new dataset versions, monitors'
alerts, due schedules: ``services.triggers.check()``) on a worker, every minute and whenever
the catalog says datasets, monitors or pipelines changed, never two checks at once (a change
heard during a check asks for one more after it). What a trigger starts runs in the background
of the pipeline service; its stages and its end come back here through queued signals, so the
Pipelines pane follows it as it follows a run started by its Run button, and its end (and a gate
waiting for a person's approval) is a desktop notification. When the app starts, the runs an
earlier app left "running" are ended first (``services.pipelines.recover()``). A read-only
catalog checks nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from mlops_desktop.core.notices import MESSAGE_KIND, Notice, NoticeTarget
from mlops_desktop.core.pipelines import PipelineRunInfo, StageRun, TriggerEvent
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.pipeline_triggers import PipelineTriggerService
from mlops_desktop.services.pipelines import PipelineService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.polling import PollingLoop
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState

CHECK_INTERVAL_MS = 60_000


def check_triggers(triggers: PipelineTriggerService, *, state: TaskState) -> list[TriggerEvent]:
    """Fire every trigger due now (on a worker); the events recorded."""
    return triggers.check()


def recover_runs(pipelines: PipelineService, *, state: TaskState) -> list[str]:
    """End the pipeline runs an earlier app left running (on a worker); their ids."""
    return pipelines.recover()


class PipelineTriggerLoop(PollingLoop):
    """See the module docstring.

    Signals:
        fired(list[TriggerEvent]): triggers a check recorded (started or not).
        stageChanged(str, StageRun): a stage of a run going in the background (pipeline name,
            its new state).
        runEnded(PipelineRunInfo): a run going in the background ended.
        notices(list[Notice]): what to tell a person (a run ended, a gate waits).
        problem(str): a check failed (told once until one succeeds).
    """

    fired = Signal(object)
    stageChanged = Signal(str, object)
    runEnded = Signal(object)
    notices = Signal(object)
    _stage_heard = Signal(str, object)  # emitted on a run's thread, delivered queued
    _end_heard = Signal(object)

    def __init__(
        self,
        services: Services,
        runner: TaskRunner,
        interval_ms: int = CHECK_INTERVAL_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(
            runner, check_triggers, services.triggers, interval_ms=interval_ms, parent=parent
        )
        self._services = services
        self._again = False
        self._listening = False
        self.checks = 0  # checks that ended (tests, the log)
        self._stage_heard.connect(self.stageChanged)  # signal to signal: queued to the GUI
        self._end_heard.connect(self.runEnded)
        self.runEnded.connect(self._on_run_ended)

    @property
    def writable(self) -> bool:
        return bool(self._services.access.writable)

    def start(self, poll_now: bool = True) -> None:
        """End what an earlier app left running, then check now and every minute (nothing
        on a read-only catalog)."""
        if not self.writable or self.running:
            return
        if not self._listening:
            self._services.pipelines.listen(self._heard_stage, self._heard_end)
            self._listening = True
        self._runner.submit(
            recover_runs, self._services.pipelines, on_failed=self._on_recover_failed
        )
        super().start(poll_now)

    def stop(self, cancel_runs: bool = True) -> None:
        """Stop checking; with ``cancel_runs`` (the app quits) cancel the runs going in the
        background (nothing would walk them): each ends "cancelled"."""
        super().stop()
        if self._listening:
            self._services.pipelines.unlisten(self._heard_stage, self._heard_end)
            self._listening = False
        if cancel_runs:
            self._services.pipelines.cancel()

    def request_check(self) -> None:
        """Check now (the catalog changed), or right after the check in flight."""
        if not self.running:
            return
        if self.in_flight:
            self._again = True
        else:
            self.poll_now()

    def poll_now(self) -> TaskHandle | None:
        handle = super().poll_now()
        if handle is not None:
            handle.finished.connect(self._after_check)
        return handle

    def handle_result(self, result: Any) -> None:
        self.checks += 1
        events = [e for e in result if isinstance(e, TriggerEvent)]
        if events:
            self.fired.emit(events)

    def describe_failure(self, failure: Failure) -> str:
        return f"Cannot check the pipelines' triggers: {failure}"

    # --- from the runs' threads (queued to this object's thread) ------------------------------
    def _heard_stage(self, pipeline: str, stage: StageRun) -> None:
        self._stage_heard.emit(pipeline, stage)

    def _heard_end(self, run: PipelineRunInfo) -> None:
        self._end_heard.emit(run)

    # --- slots ---------------------------------------------------------------------------
    def _after_check(self) -> None:
        if self._again and self.running:
            self._again = False
            self.poll_now()

    def _on_run_ended(self, run: PipelineRunInfo) -> None:
        self.notices.emit(run_notices(run))
        self.request_check()  # a version heard while it ran may start the next run

    def _on_recover_failed(self, failure: Failure) -> None:
        self.problem.emit(f"Cannot end the pipeline runs an earlier app left: {failure}")


def run_notices(run: PipelineRunInfo) -> list[Notice]:
    """A triggered run's end, and each of its gates waiting for approval."""
    short = run.run_id[:8]
    target = NoticeTarget("pipeline", f"{run.pipeline}:{run.run_id}")
    why = f"{run.trigger} {run.trigger_detail}".strip()
    failed = [s for s in run.stages if s.state == "failed"]
    body = f"Started by {why}. " if why else ""
    if failed:
        first = failed[0]
        detail = first.detail.strip().splitlines()
        body += f"Stage {first.stage} failed" + (f": {detail[-1]}" if detail else ".")
    else:
        counts: dict[str, int] = {}
        for stage in run.stages:
            counts[stage.state] = counts.get(stage.state, 0) + 1
        body += "Stages: " + ", ".join(f"{n} {state}" for state, n in counts.items()) + "."
    notices = [
        Notice(
            MESSAGE_KIND,
            f"Pipeline {run.pipeline}: run {short} {run.state}",
            body,
            target,
            key=f"pipeline-run:{run.run_id}",
        )
    ]
    for gate in run.gates:
        if gate.approval != "waiting":
            continue
        model = f"{gate.model} v{gate.version}" if gate.version is not None else gate.model
        notices.append(
            Notice(
                MESSAGE_KIND,
                f"{model} waits for approval",
                f"The gate of pipeline {run.pipeline} (stage {gate.stage}) passed; approve it "
                f"in the Pipelines pane or with `pipelines approve {short}`.",
                target,
                key=f"pipeline-gate:{run.run_id}:{gate.stage}",
            )
        )
    return notices
