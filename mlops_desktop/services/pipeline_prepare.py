"""What a pipeline run resolves and checks before it starts, and the sentence it ends with."""

from __future__ import annotations

from collections.abc import Mapping

from mlops_desktop.core.errors import PipelineError, UserFacingError
from mlops_desktop.core.pipelines import Pipeline, StageRun
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService


def dataset_versions(
    datasets: DatasetService, pipeline: Pipeline
) -> tuple[dict[str, str], dict[str, str]]:
    """(ref -> "vN <fingerprint>", ref -> "name@vN") of every dataset a stage reads; an
    unknown one is left out (the engine names it and the stage)."""
    found: dict[str, str] = {}
    pins: dict[str, str] = {}
    for stage in pipeline.stages:
        for dep in stage.datasets:
            if dep.ref in found:
                continue
            wanted = None if dep.version is None else f"v{dep.version}"
            try:
                version = datasets.get_version(dep.name, wanted)
            except UserFacingError:
                continue
            found[dep.ref] = f"{version.version} {version.fingerprint}"
            pins[dep.ref] = f"{dep.name}@{version.version}"
    return found, pins


def check_targets(jobs: JobService, pipeline: Pipeline, override: str | None) -> None:
    """Every stage that runs a command can run on its target (or ``override``).

    Raises:
        PipelineError: one sentence naming the stage, the target and what is wrong.
    """
    for stage in pipeline.stages:
        if not stage.cmd:
            continue
        target = override or stage.target
        try:
            jobs.targets.validate(target)
        except UserFacingError as exc:
            raise PipelineError(f"stage {stage.name} cannot run on {target}: {exc}") from None


def failure(stages: Mapping[str, StageRun]) -> str:
    """The parent run's error: the first failed stage and the last line of why ("" if none)."""
    for name, run in stages.items():
        if run.state == "failed":
            lines = [line for line in run.detail.splitlines() if line.strip()]
            return f"stage {name} failed: {lines[-1] if lines else 'see its log'}"
    return ""
