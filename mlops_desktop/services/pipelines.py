"""PipelineService: pipelines the catalog knows, their status, their runs, their gates.

Synchronous and possibly long (:meth:`PipelineService.run` blocks until its last stage ends):
the GUI calls it on worker threads, the command line directly. :meth:`PipelineService.start`
(what triggers call) runs a pipeline in the background instead and returns once the run
exists; :meth:`PipelineService.close` waits for those runs. One run of a pipeline goes at a
time, on every desktop (:mod:`.pipeline_busy`). A pipeline run is a parent run in the catalog with
a child run per stage that ran (see :mod:`.pipeline_runner`); a stage's outs are kept in the
home's content-addressed store (and the lab store, when one is set), so an unchanged stage whose
outs were deleted is restored, not rerun.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Collection
from pathlib import Path

from mlops_desktop.catalog import pipeline_records, pipeline_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.errors import PipelineError, UserFacingError
from mlops_desktop.core.pipelines import (
    GateResult,
    Pipeline,
    PipelineInfo,
    PipelineRunInfo,
    StageStatus,
    TriggerEvent,
)
from mlops_desktop.pipelines.fingerprint import PathHasher
from mlops_desktop.pipelines.graph import downstream
from mlops_desktop.pipelines.spec import load_pipeline
from mlops_desktop.pipelines.status import pipeline_status
from mlops_desktop.services import pipeline_gates
from mlops_desktop.services import pipeline_prepare as prepare
from mlops_desktop.services import pipeline_recovery as recovery
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.services.models import ModelService
from mlops_desktop.services.pipeline_background import BackgroundRuns, RunEnded, StageHeard
from mlops_desktop.services.pipeline_blobs import PipelineBlobs
from mlops_desktop.services.pipeline_busy import refuse_second_run
from mlops_desktop.services.pipeline_runner import (
    PipelineRunner,
    Progress,
    RunnerParts,
    StageListener,
)
from mlops_desktop.services.pipeline_stage_cache import CatalogStageCache

Cancelled = Callable[[], bool]


class PipelineService(CatalogService):
    """Pipelines on one catalog. Thread-safe: each call opens its own sessions."""

    def __init__(
        self,
        catalog: Catalog,
        home: Path,
        jobs: JobService,
        models: ModelService,
        datasets: DatasetService,
        store: LabStoreService,
    ) -> None:
        super().__init__(catalog, home)
        self.jobs = jobs
        self.models = models
        self.datasets = datasets
        self.store = store
        self.cache = CatalogStageCache(catalog)
        self.background = BackgroundRuns()

    # -- pipelines -------------------------------------------------------------------------

    def load(self, path: Path | str) -> Pipeline:
        """The pipeline file at ``path`` (a file, or a folder holding pipeline.yaml or
        dvc.yaml), parsed and checked.

        Raises:
            PipelineError: one sentence naming the stage or key and what to change.
        """
        return load_pipeline(Path(path))

    def add(self, path: Path | str | Pipeline) -> PipelineInfo:
        """Register the pipeline in the catalog, or refresh what it records of it."""
        pipeline = path if isinstance(path, Pipeline) else self.load(path)
        with self.catalog.session_scope(write=True) as s:
            return pipeline_repo.save_pipeline(s, pipeline)

    def list(self) -> builtins.list[PipelineInfo]:
        """Every pipeline the catalog knows, by name."""
        with self.catalog.session_scope() as s:
            return pipeline_repo.list_pipelines(s)

    def path_of(self, name_or_path: str) -> Path:
        """A pipeline's file from its name in the catalog, or the path as given."""
        given = Path(name_or_path)
        if given.exists():
            return given
        with self.catalog.session_scope() as s:
            info = pipeline_repo.get_pipeline(s, name_or_path)
        if info is None:
            raise PipelineError(
                f"{name_or_path} is neither a pipeline file or folder nor a pipeline the catalog "
                "knows; give the path of its pipeline.yaml or dvc.yaml."
            )
        return Path(info.path)

    # -- status and runs -------------------------------------------------------------------

    def status(
        self,
        path: Path | str,
        force: Collection[str] = (),
        from_stage: str | None = None,
    ) -> builtins.list[StageStatus]:
        """Whether each stage would run, and why, in the order they would run.

        Raises:
            PipelineError: the file is malformed, or a stage, param or dataset is unknown.
        """
        pipeline = self.load(path)
        with PathHasher.for_home(self.home) as hasher:
            datasets, _ = prepare.dataset_versions(self.datasets, pipeline)
            blobs = PipelineBlobs(self.home, self.store)
            return pipeline_status(pipeline, self.cache, hasher, datasets, blobs, force, from_stage)

    def run(
        self,
        path: Path | str,
        *,
        target: str | None = None,
        force: Collection[str] = (),
        from_stage: str | None = None,
        trigger: str = "manual",
        trigger_detail: str = "",
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        on_stage: StageListener | None = None,
        on_started: Callable[[str], None] | None = None,
    ) -> PipelineRunInfo:
        """Run the pipeline: cached stages are skipped, restorable ones restored, stale ones
        launched (up to ``parallel`` at once), each as a child run of the pipeline run.

        Args:
            target: run every stage there instead of its own target.
            force: stages to run whatever their state; ``from_stage``: that stage and
                everything downstream of it.
            trigger, trigger_detail: what started the run ("manual", "dataset", ...).
            progress: told (stages ended, stages in all, "train: done") on every change.
            cancelled: asked between steps; once True the running stages are cancelled.
            on_stage: told every stage's state at the start, then every change (from this
                thread).
            on_started: told the pipeline run's id once it is recorded (from this thread).

        Returns:
            The pipeline run as it ended ("done", "failed" or "cancelled").

        Raises:
            PipelineError, HostError, JobError: the file, a stage, a param, a dataset or a
                target is wrong, or a run of this pipeline is going (here or on another
                desktop); nothing was started and no run recorded.
        """
        pipeline = self.load(path)
        prepare.check_targets(self.jobs, pipeline, target)
        self.recover()
        refuse_second_run(self.catalog, pipeline.name)
        hasher = PathHasher.for_home(self.home)
        try:
            datasets, pins = prepare.dataset_versions(self.datasets, pipeline)
            blobs = PipelineBlobs(self.home, self.store)
            statuses = pipeline_status(
                pipeline, self.cache, hasher, datasets, blobs, force, from_stage
            )
            forced = set(force)
            if from_stage is not None:
                forced |= {from_stage} | downstream(pipeline, from_stage)
            parts = RunnerParts(
                self.catalog,
                self.jobs,
                self.models,
                self.cache,
                blobs,
                hasher,
                datasets,
                pins,
                on_stage,
                cancelled,
                forced,
                progress,
            )
            run_id = uuid.uuid4().hex
            runner = PipelineRunner(pipeline, run_id, parts, target)
            stages = runner.initial(statuses)
            with self.catalog.session_scope(write=True) as s:
                pipeline_repo.save_pipeline(s, pipeline)
                pipeline_repo.create_pipeline_run(
                    s,
                    pipeline=pipeline.name,
                    path=str(pipeline.path),
                    experiment=pipeline.experiment or pipeline.name,
                    cwd=str(pipeline.root),
                    trigger=trigger,
                    trigger_detail=trigger_detail,
                    run_id=run_id,
                    stages=stages,
                )
            recovery.claim(self.catalog, run_id)
            if on_started is not None:
                on_started(run_id)
            state = "failed"
            try:
                state = runner.walk(statuses)
            finally:
                why = prepare.failure(runner.stages)
                with self.catalog.session_scope(write=True) as s:
                    pipeline_repo.end_pipeline_run(s, run_id, state, detail=why)
        finally:
            hasher.close()
        return self.show(run_id)

    def recover(self) -> builtins.list[str]:
        """End the pipeline runs of this machine whose process died before they ended (an app
        quit or killed mid-run): "failed", their unfinished stages "cancelled" and the jobs
        those left running cancelled. The app calls it when it starts; every run does too.
        Returns the ids of the runs it ended."""
        if not self.catalog.access.writable:
            return []
        return recovery.end_abandoned(self.catalog, self.jobs)

    # -- runs in the background -----------------------------------------------------------

    def start(self, path: Path | str, kind: str, detail: str) -> PipelineRunInfo:
        """Run the pipeline in the background for a trigger (``kind``: "dataset", "monitor",
        "schedule"): returns the pipeline run ("running") once it is recorded; listeners
        (:meth:`listen`) hear its stages and its end.

        Raises:
            PipelineError, HostError, JobError: as :meth:`run`; nothing started.
        """
        name = self.load(path).name

        def run(
            cancelled: Cancelled,
            started: Callable[[str], None],
            on_stage: StageListener,
        ) -> PipelineRunInfo:
            return self.run(
                path,
                trigger=kind,
                trigger_detail=detail,
                cancelled=cancelled,
                on_stage=on_stage,
                on_started=started,
            )

        return self.show(self.background.start(name, run))

    def going(self) -> dict[str, str]:
        """{pipeline run id: pipeline} of the runs going in the background here."""
        return self.background.going()

    def cancel(self, run_id: str | None = None) -> builtins.list[str]:
        """Cancel a run going in the background here (None: every one); the ids asked. A
        cancelled run ends "cancelled" once its running stages are stopped."""
        return self.background.cancel(run_id)

    def wait(self, run_id: str, timeout_s: float | None = None) -> PipelineRunInfo:
        """The pipeline run once it ended (at once when it is not going here)."""
        self.background.wait(run_id, timeout_s)
        return self.show(run_id)

    def listen(self, on_stage: StageHeard | None = None, on_end: RunEnded | None = None) -> None:
        """Hear the stages (``on_stage(pipeline, StageRun)``) and the ends
        (``on_end(PipelineRunInfo)``) of the runs going in the background, on their threads."""
        self.background.listen(on_stage, on_end)

    def unlisten(self, on_stage: StageHeard | None = None, on_end: RunEnded | None = None) -> None:
        self.background.unlisten(on_stage, on_end)

    def close(self, cancel: bool = False) -> None:
        """Wait for the runs going in the background to end (cancel them first with
        ``cancel``: an app that quits); twice is harmless."""
        self.background.close(cancel)

    def runs(self, pipeline: str | None = None, limit: int = 50) -> builtins.list[PipelineRunInfo]:
        """Pipeline runs, newest first (of one pipeline when given)."""
        with self.catalog.session_scope() as s:
            return pipeline_repo.list_pipeline_runs(s, pipeline, limit)

    def show(self, run_id: str) -> PipelineRunInfo:
        """One pipeline run (``run_id`` or a unique prefix of at least 4 characters).

        Raises:
            PipelineError: no pipeline run, or several, have that id.
        """
        with self.catalog.session_scope() as s:
            found = pipeline_repo.get_pipeline_run(
                s, pipeline_repo.resolve_pipeline_run_id(s, run_id)
            )
        if found is None:  # pragma: no cover - resolved above
            raise PipelineError(f"No pipeline run has the id {run_id!r}.")
        return found

    # -- gates -----------------------------------------------------------------------------

    def approve(self, run_id: str, stage: str | None = None) -> GateResult:
        """Move the champion alias to the version a gate of the run registered: a person
        approves it.

        Raises:
            PipelineError: no gate of that run waits for approval, or several do and no
                ``stage`` was given.
        """
        gate = self._waiting_gate(run_id, stage, "approve")
        result = pipeline_gates.approve(
            self.models, gate, champion_alias=self._champion_alias(gate)
        )
        with self.catalog.session_scope(write=True) as s:
            pipeline_records.save_gate(s, result)
        return result

    def reject(self, run_id: str, stage: str | None = None) -> GateResult:
        """Refuse the version a gate of the run registered (the champion stays)."""
        gate = self._waiting_gate(run_id, stage, "reject")
        result = pipeline_gates.reject(self.models, gate, champion_alias=self._champion_alias(gate))
        with self.catalog.session_scope(write=True) as s:
            pipeline_records.save_gate(s, result)
        return result

    def _waiting_gate(self, run_id: str, stage: str | None, verb: str) -> GateResult:
        run = self.show(run_id)
        gates = [g for g in run.gates if stage is None or g.stage == stage]
        waiting = [g for g in gates if g.approval == "waiting"]
        short = run.run_id[:12]
        if not waiting:
            if not gates:
                what = f"no gate at stage {stage}" if stage else "no register gate"
                raise PipelineError(f"Pipeline run {short} has {what}; nothing to {verb}.")
            states = ", ".join(f"{g.stage}: {_gate_state(g)}" for g in gates)
            raise PipelineError(
                f"No gate of pipeline run {short} waits for approval ({states}); nothing to {verb}."
            )
        if len(waiting) > 1:
            names = ", ".join(g.stage for g in waiting)
            raise PipelineError(
                f"Several gates of pipeline run {short} wait ({names}); choose one with --stage."
            )
        return waiting[0]

    def _champion_alias(self, gate: GateResult) -> str:
        """The champion alias the gate's pipeline file names (default "champion")."""
        try:
            run = self.show(gate.pipeline_run_id)
            register = self.load(run.path).stage(gate.stage).register
        except (UserFacingError, KeyError):
            return "champion"
        return register.champion_alias if register is not None else "champion"

    # -- triggers --------------------------------------------------------------------------

    def triggers(
        self, pipeline: str | None = None, limit: int = 100
    ) -> builtins.list[TriggerEvent]:
        """Triggers that fired, newest first, with what they started."""
        with self.catalog.session_scope() as s:
            return pipeline_records.list_triggers(s, pipeline, limit=limit)


def _gate_state(gate: GateResult) -> str:
    return gate.approval if gate.passed else "refused"
