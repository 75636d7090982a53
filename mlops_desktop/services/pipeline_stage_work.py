"""What the runner does for one stage: the launch spec, what it checks and keeps after the
stage's job succeeded (outs declared and written, copied into the store, a cache record), the
register gate, and the log tail shown when it failed."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass

from mlops_desktop.catalog import pipeline_records
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.compute import JobInfo, RunSpec
from mlops_desktop.core.errors import PipelineError, UserFacingError
from mlops_desktop.core.pipelines import GateResult, Pipeline, Stage
from mlops_desktop.pipelines.fingerprint import PathHasher, StageInputs
from mlops_desktop.pipelines.graph import producer_of, upstream
from mlops_desktop.pipelines.outs import record_outs, undeclared_writes
from mlops_desktop.pipelines.records import BlobStore, CachedStage
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.models import ModelService
from mlops_desktop.services.pipeline_gates import collect_metrics, evaluate_gate

RUN_TAGS_ENV = "MLOPS_DESKTOP_RUN_TAGS"  # mlops_desktop.tracking.launcher.RUN_TAGS_ENV
PIPELINE_TAG = "mlops.pipeline"  # on each stage's run: the pipeline's name
STAGE_TAG = "mlops.pipeline.stage"  # ... and the stage's
LOG_TAIL_LINES = 20
LOG_TAIL_CHARS = 4000


@dataclass
class Launched:
    """A stage whose job is running: what it was launched with and what the folder held."""

    stage: str
    run_id: str
    target: str
    inputs: StageInputs
    fingerprint: str
    started_at: float
    before: dict[str, tuple[int, int]] | None  # the folder's files at launch (in place only)


def stage_spec(
    pipeline: Pipeline,
    stage: Stage,
    target: str,
    in_place: bool,
    parent_run_id: str,
    dataset_pins: Mapping[str, str],
) -> RunSpec:
    """The launch of ``stage``: its commands one after another in ``sh -c``, in its wdir, as
    a child run of the pipeline run tagged with the pipeline's and the stage's names.

    In place the job runs in the stage's folder; elsewhere the whole pipeline folder is
    shipped and the command first changes into the stage's wdir, so outs outside the wdir come
    back from the same place.
    """
    script = " && ".join(f"( {line} )" if len(stage.cmd) > 1 else line for line in stage.cmd)
    if in_place:
        workdir = (pipeline.root / stage.wdir).resolve()
    else:
        workdir = pipeline.root
        if stage.wdir not in ("", "."):
            script = f"cd {shlex.quote(stage.wdir)} && {script}"
    return RunSpec(
        command=["sh", "-c", script],
        target=target,
        code="none" if in_place else "folder",
        workdir=str(workdir),
        gpus=stage.gpus,
        experiment=pipeline.experiment or pipeline.name,
        name=stage.name,
        datasets=[dataset_pins.get(d.ref, d.ref) for d in stage.datasets],
        parent_run_id=parent_run_id,
        env={RUN_TAGS_ENV: json.dumps({PIPELINE_TAG: pipeline.name, STAGE_TAG: stage.name})},
    )


def declared_outs(pipeline: Pipeline) -> list[str]:
    """Every out any stage of ``pipeline`` declares (what a stage may write)."""
    return [out.path for stage in pipeline.stages for out in stage.outs]


def check_writes(
    pipeline: Pipeline,
    stage: Stage,
    before: dict[str, tuple[int, int]],
    after: dict[str, tuple[int, int]],
) -> None:
    """Refuse a stage that wrote a file no stage declares, in one sentence naming the file.

    Raises:
        PipelineError: a file was created or changed that is no declared out.
    """
    extra = undeclared_writes(before, after, declared_outs(pipeline))
    if extra:
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        raise PipelineError(
            f"stage {stage.name} wrote {extra[0]}{more}, which it does not declare in outs; "
            "add it to the stage's outs or stop writing it."
        )


def keep_result(
    pipeline: Pipeline,
    stage: Stage,
    hasher: PathHasher,
    blobs: BlobStore | None,
    inputs: StageInputs,
    fingerprint: str,
    run_id: str | None,
) -> CachedStage:
    """Hash the stage's outs, copy them into the store, and return its cache record.

    Raises:
        PipelineError: a declared out is missing.
    """
    outs = record_outs(pipeline, stage, hasher, blobs)
    return CachedStage(
        pipeline=pipeline.name,
        stage=stage.name,
        fingerprint=fingerprint,
        inputs=inputs,
        outs=outs,
        run_id=run_id,
        created_at=time.time(),
    )


def run_gate(
    catalog: Catalog,
    models: ModelService,
    pipeline: Pipeline,
    stage: Stage,
    pipeline_run_id: str,
    model_run_id: str | None,
) -> GateResult:
    """Judge the stage's model by its register gate and keep the result in the catalog.

    Metrics come from the metrics files of the stage and of every stage upstream of it, then
    from what the run that made the model logged (each key's last value).

    Raises:
        PipelineError: the gate is malformed or a metrics file is unreadable.
        UserFacingError: registering the model was refused.
    """
    gate = stage.register
    assert gate is not None, "a register stage"
    names = {stage.name} | upstream(pipeline, stage.name)
    outs = [o for s in pipeline.stages if s.name in names for o in s.outs if o.metric]
    metrics = collect_metrics(pipeline.root, outs, _run_metrics(catalog, models, model_run_id))
    result = evaluate_gate(
        models,
        gate,
        metrics,
        pipeline.root / gate.out,
        model_run_id,
        pipeline_run_id,
        stage.name,
        pipeline=pipeline.name,
    )
    with catalog.session_scope(write=True) as s:
        pipeline_records.save_gate(s, result)
    return result


def _run_metrics(catalog: Catalog, models: ModelService, run_id: str | None) -> dict[str, float]:
    """The last value of each metric ``run_id`` logged (its spool ingested first); {} when
    there is no such run."""
    if run_id is None:
        return {}
    from mlops_desktop.services.experiments import ExperimentService  # noqa: PLC0415

    experiments = ExperimentService(catalog, models.home)
    try:
        experiments.ingest()
        found = experiments.get_run(run_id).summary.metrics
    except UserFacingError:
        return {}
    return {k: v for k, v in found.items() if not k.startswith("sys/")}


def model_producer(pipeline: Pipeline, stage: Stage) -> str | None:
    """The stage that writes the out a register gate registers (None when none does)."""
    if stage.register is None:
        return None
    producers = producer_of(pipeline)
    out = stage.register.out
    if out in producers:
        return producers[out]
    for path, name in producers.items():  # a file inside a folder out
        if out.startswith(path.rstrip("/") + "/"):
            return name
    return None


def log_tail(jobs: JobService, job: JobInfo) -> str:
    """The end of a failed job's log (a few lines), else why it ended."""
    try:
        text, _ = jobs.logs(job.run_id)
    except (OSError, UserFacingError):
        text = ""
    lines = [line for line in text.rstrip().splitlines() if line.strip()]
    tail = "\n".join(lines[-LOG_TAIL_LINES:])[-LOG_TAIL_CHARS:]
    why = job.detail or (f"exit code {job.exit_code}" if job.exit_code is not None else job.state)
    return f"{why}\n{tail}" if tail else why
