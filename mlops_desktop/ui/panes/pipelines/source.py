"""The plain functions the Pipelines pane runs on workers (ARCHITECTURE rule 3), each one
call of the pipeline service (``services.pipelines``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.pipelines import (
    Pipeline,
    PipelineInfo,
    PipelineRunInfo,
    StageRun,
    StageStatus,
    TriggerEvent,
)
from mlops_desktop.services.pipelines import PipelineService
from mlops_desktop.ui.tasks import TaskState

RUNS_SHOWN = 200


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


def list_pipelines(source: PipelineService, *, state: TaskState) -> list[PipelineInfo]:
    return source.list()


def load_pipeline(source: PipelineService, info: PipelineInfo, *, state: TaskState) -> PipelineLoad:
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
    source: PipelineService, path: str, *, state: TaskState
) -> tuple[str, list[StageStatus]]:
    """(path, what a run would do now)."""
    return path, source.status(Path(path))


def add_pipeline(source: PipelineService, path: str, *, state: TaskState) -> PipelineInfo:
    return source.add(Path(path))


def run_pipeline(
    source: PipelineService,
    path: str,
    force: tuple[str, ...],
    from_stage: str | None,
    on_stage: Callable[[StageRun], None],
    *,
    state: TaskState,
) -> PipelineRunInfo:
    """Run the pipeline to its end (hours, maybe): stage changes go to ``on_stage`` (called on
    this worker's thread), the share of stages ended to the status bar; cancelling the task
    cancels the run."""
    return source.run(
        Path(path),
        force=force,
        from_stage=from_stage,
        trigger="manual",
        trigger_detail="from the desktop",
        cancelled=lambda: state.cancelled,
        on_stage=on_stage,
        progress=lambda ended, total, latest: state.progress(ended / max(total, 1), latest),
    )


def decide_gate(
    source: PipelineService, run_id: str, stage: str, approve: bool, *, state: TaskState
) -> PipelineRunInfo:
    """Approve or reject the gate of ``stage``; the run as it is afterwards."""
    if approve:
        source.approve(run_id, stage)
    else:
        source.reject(run_id, stage)
    return source.show(run_id)
