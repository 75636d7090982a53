"""What the Pipelines pane asks of the pipeline service (``services.pipelines``), and the
plain functions it runs on workers (ARCHITECTURE rule 3)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.pipelines import (
    GateResult,
    Pipeline,
    PipelineInfo,
    PipelineRunInfo,
    StageRun,
    StageStatus,
    TriggerEvent,
)
from mlops_desktop.ui.tasks import TaskState

RUNS_SHOWN = 200


class PipelineSource(Protocol):
    """The part of ``PipelineService`` the pane uses."""

    def list(self) -> builtins.list[PipelineInfo]: ...

    def add(self, path: Path) -> PipelineInfo: ...

    def load(self, path: Path) -> Pipeline: ...

    def status(
        self, path: Path, force: Collection[str] = (), from_stage: str | None = None
    ) -> builtins.list[StageStatus]: ...

    def run(self, path: Path, **options: Any) -> PipelineRunInfo: ...

    def runs(
        self, pipeline: str | None = None, limit: int = 50
    ) -> builtins.list[PipelineRunInfo]: ...

    def show(self, run_id: str) -> PipelineRunInfo: ...

    def approve(self, run_id: str, stage: str | None = None) -> GateResult: ...

    def reject(self, run_id: str, stage: str | None = None) -> GateResult: ...

    def triggers(self, pipeline: str | None = None) -> builtins.list[TriggerEvent]: ...


@dataclass
class PipelineLoad:
    """What the pane shows of one pipeline, read on a worker.

    Attributes:
        pipeline: the parsed file, None when it cannot be read now (``error`` says why).
    """

    info: PipelineInfo
    pipeline: Pipeline | None
    error: str = ""
    runs: list[PipelineRunInfo] = field(default_factory=list)
    triggers: list[TriggerEvent] = field(default_factory=list)


def list_pipelines(source: PipelineSource, *, state: TaskState) -> list[PipelineInfo]:
    return source.list()


def load_pipeline(source: PipelineSource, info: PipelineInfo, *, state: TaskState) -> PipelineLoad:
    """The pipeline file, its runs and its triggers (a file that fails to parse is a problem
    to show, not a failure: the runs and triggers are still worth seeing)."""
    try:
        pipeline: Pipeline | None = source.load(Path(info.path))
        error = ""
    except UserFacingError as exc:
        pipeline, error = None, str(exc)
    state.check()
    runs = source.runs(info.name, limit=RUNS_SHOWN)
    state.check()
    return PipelineLoad(info, pipeline, error, runs, source.triggers(info.name))


def pipeline_status(
    source: PipelineSource, path: str, *, state: TaskState
) -> tuple[str, list[StageStatus]]:
    """(path, what a run would do now)."""
    return path, source.status(Path(path))


def add_pipeline(source: PipelineSource, path: str, *, state: TaskState) -> PipelineInfo:
    return source.add(Path(path))


def run_pipeline(
    source: PipelineSource,
    path: str,
    force: tuple[str, ...],
    from_stage: str | None,
    on_stage: Callable[[StageRun], None],
    *,
    state: TaskState,
) -> PipelineRunInfo:
    """Run the pipeline to its end (hours, maybe): stage changes go to ``on_stage`` (called on
    this worker's thread), cancelling the task cancels the run."""
    return source.run(
        Path(path),
        force=force,
        from_stage=from_stage,
        trigger="manual",
        trigger_detail="from the desktop",
        cancelled=lambda: state.cancelled,
        on_stage=on_stage,
    )


def decide_gate(
    source: PipelineSource, run_id: str, stage: str, approve: bool, *, state: TaskState
) -> PipelineRunInfo:
    """Approve or reject the gate of ``stage``; the run as it is afterwards."""
    if approve:
        source.approve(run_id, stage)
    else:
        source.reject(run_id, stage)
    return source.show(run_id)
