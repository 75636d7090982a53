"""The walk of one pipeline run: stages in dependency order, up to ``parallel`` at once.

Each stage starts from its status (:func:`~mlops_desktop.pipelines.status.pipeline_status`):

- cached: recorded as "cached" with the run that made its outs; nothing starts.
- restorable: its outs are copied back from the store ("restored"); nothing starts.
- stale: once every stage it depends on is done, its inputs are hashed again (an upstream stage
  that ran may have made the very same outs: then it is cached after all); else its commands
  are launched through :class:`~mlops_desktop.services.compute.JobService` as a child run of
  the pipeline run, on its target. When the job succeeds, its outs are checked (declared,
  written), copied into the store and recorded for next time; a register gate is judged.

A stage that fails marks every stage downstream of it "blocked" (independent stages go on);
its log's tail is kept in its ``detail``. Every state change is saved to the catalog and told to
``on_stage`` (from this thread).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from mlops_desktop.catalog import pipeline_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.pipelines import Pipeline, StageRun, StageStatus
from mlops_desktop.pipelines.fingerprint import PathHasher, stage_inputs
from mlops_desktop.pipelines.graph import direct_upstream
from mlops_desktop.pipelines.outs import restore_outs
from mlops_desktop.pipelines.status import out_problems
from mlops_desktop.services import pipeline_stage_work as work
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.models import ModelService
from mlops_desktop.services.pipeline_blobs import PipelineBlobs
from mlops_desktop.services.pipeline_remote import fetch_outs, runs_in_place
from mlops_desktop.services.pipeline_stage_cache import CatalogStageCache
from mlops_desktop.services.pipeline_watch import FolderWatch

log = logging.getLogger(__name__)
POLL_S = 0.05  # between looks at running jobs (local ones: files on this disk)
CANCEL_GRACE_S = 5.0  # a cancelled stage's processes get SIGKILL after this
SETTLED = frozenset({"cached", "restored", "done"})  # a stage its dependents may start after
STOPPED = frozenset({"failed", "blocked", "cancelled"})

StageListener = Callable[[StageRun], None]
Progress = Callable[[int, int, str], None]


@dataclass
class RunnerParts:
    """What a pipeline run works with (the service builds it for each run)."""

    catalog: Catalog
    jobs: JobService
    models: ModelService
    cache: CatalogStageCache
    blobs: PipelineBlobs
    hasher: PathHasher
    datasets: Mapping[str, str]  # dataset ref -> its version's fingerprint ("v4 blake3:...")
    dataset_pins: Mapping[str, str]  # dataset ref -> the version launched ("wine@v4")
    on_stage: StageListener | None = None
    cancelled: Callable[[], bool] | None = None
    forced: set[str] = field(default_factory=set)
    progress: Progress | None = None  # (stages ended, stages in all, the latest change)


class PipelineRunner:
    """Runs the stages of one pipeline run to their end (blocking)."""

    def __init__(
        self, pipeline: Pipeline, run_id: str, parts: RunnerParts, target: str | None
    ) -> None:
        self.p = pipeline
        self.run_id = run_id
        self.parts = parts
        self.target = target
        self.position = {s.name: i for i, s in enumerate(pipeline.stages)}
        self.stages: dict[str, StageRun] = {}
        self.running: dict[str, work.Launched] = {}
        self.watch = FolderWatch(pipeline.root)
        self.snapshot: dict[str, tuple[int, int]] | None = None  # the folder, as last seen

    # -- the walk --------------------------------------------------------------------------

    def initial(self, statuses: list[StageStatus]) -> list[StageRun]:
        """The stage runs a pipeline run starts with, from the stages' statuses."""
        for st in statuses:
            stage = self.p.stage(st.name)
            target = self.target or stage.target
            if st.state == "cached":
                run = StageRun(
                    st.name, "cached", None, st.source_run_id, st.reasons, st.fingerprint
                )
            else:
                run = StageRun(
                    st.name, "queued", None, st.source_run_id, st.reasons, st.fingerprint
                )
            self.stages[st.name] = replace(run, target=target)
        return [self.stages[n] for n in sorted(self.stages, key=self.position.__getitem__)]

    def walk(self, statuses: list[StageStatus]) -> str:
        """Run every queued stage; the pipeline run's end state ("done", "failed",
        "cancelled")."""
        restorable = {st.name for st in statuses if st.state == "restorable"}
        order = [st.name for st in statuses]
        for name in order:  # listeners learn every stage's state at the start
            self._tell(self.stages[name])
        try:
            while True:
                if self.parts.cancelled is not None and self.parts.cancelled():
                    self._cancel_all()
                    return "cancelled"
                progressed = self._collect()
                progressed |= self._start_ready(order, restorable)
                if not self.running and not self._queued():
                    break
                if not progressed:
                    time.sleep(POLL_S)
        except BaseException:
            self._cancel_all()  # nothing keeps running behind a run that ended
            raise
        finally:
            self.parts.blobs.upload()
        states = {run.state for run in self.stages.values()}
        return "failed" if states & STOPPED else "done"

    def _queued(self) -> list[str]:
        return [n for n, run in self.stages.items() if run.state == "queued"]

    def _start_ready(self, order: list[str], restorable: set[str]) -> bool:
        progressed = False
        for name in order:
            if self.stages[name].state != "queued":
                continue
            ups = {u: self.stages[u].state for u in sorted(direct_upstream(self.p, name))}
            stopped = [f"{u} {state}" for u, state in ups.items() if state in STOPPED]
            if stopped:
                self._set(name, "blocked", detail=f"not run: {', '.join(stopped)}")
                progressed = True
            elif all(state in SETTLED for state in ups.values()):
                if name not in restorable and len(self.running) >= self.p.parallel:
                    continue
                self._start(name, name in restorable)
                progressed = True
        return progressed

    def _collect(self) -> bool:
        """Record the stages whose jobs ended; whether any did."""
        if not self.running:
            return False
        self.parts.jobs.refresh()
        ended = False
        for name, launched in list(self.running.items()):
            job = self.parts.jobs.get(launched.run_id)
            if job.state in TERMINAL_STATES:
                del self.running[name]
                self._finish(launched, job)
                ended = True
        return ended

    # -- one stage -------------------------------------------------------------------------

    def _start(self, name: str, restorable: bool) -> None:
        stage = self.p.stage(name)
        parts = self.parts
        now = time.time()
        try:
            for dep in stage.deps:  # an upstream stage may have rewritten them
                parts.hasher.forget(self.p.root / dep)
            inputs = stage_inputs(self.p, stage, parts.hasher, parts.datasets)
            fp = inputs.digest()
            forced = name in parts.forced or stage.always_changed
            record = None if forced else parts.cache.lookup(self.p.name, name, fp)
            if record is not None:
                if not out_problems(self.p, record, parts.hasher):
                    why = ("its inputs came out unchanged",)  # an upstream stage ran
                    self._set(
                        name, "cached", fingerprint=fp, source_run_id=record.run_id, reasons=why
                    )
                    return
                if restorable or all(
                    parts.blobs.has(d) for r in record.outs.values() for d in r.blob_digests()
                ):
                    restore_outs(self.p, record.outs, parts.blobs)
                    self.snapshot = None  # the folder changed
                    for path in record.outs:
                        parts.hasher.forget(self.p.root / path)
                    self._set(name, "restored", fingerprint=fp, source_run_id=record.run_id)
                    return
            if not stage.cmd:  # a register step with nothing to run
                self._settle(name, inputs, fp, None, now)
                return
            target = self.stages[name].target
            in_place = runs_in_place(parts.jobs, target)
            spec = work.stage_spec(self.p, stage, target, in_place, self.run_id, parts.dataset_pins)
            before = self._folder() if in_place else None
            job = parts.jobs.launch(spec)
        except UserFacingError as exc:
            self._set(name, "failed", detail=str(exc), started_at=now, ended_at=time.time())
            return
        self.running[name] = work.Launched(name, job.run_id, target, inputs, fp, now, before)
        self._set(name, "running", run_id=job.run_id, fingerprint=fp, started_at=now)

    def _finish(self, launched: work.Launched, job: JobInfo) -> None:
        name = launched.stage
        ended = job.ended_at or time.time()
        if job.state != "finished" or job.exit_code not in (0, None):
            state = "cancelled" if job.state == "cancelled" else "failed"
            detail = work.log_tail(self.parts.jobs, job)
            self._set(name, state, detail=detail, ended_at=ended)
            return
        stage = self.p.stage(name)
        try:
            if launched.before is None:
                fetch_outs(self.parts.jobs, job, stage, self.p.root)
            else:
                self.snapshot = None  # the folder changed: look again
                work.check_writes(self.p, stage, launched.before, self._folder())
        except UserFacingError as exc:
            self._set(name, "failed", detail=str(exc), ended_at=ended)
            return
        self._settle(name, launched.inputs, launched.fingerprint, job.run_id, launched.started_at)

    def _settle(
        self, name: str, inputs: work.StageInputs, fp: str, run_id: str | None, started: float
    ) -> None:
        """Keep what a stage made (and judge its gate); "done", or "failed" saying why."""
        stage = self.p.stage(name)
        parts = self.parts
        detail = ""
        try:
            record = work.keep_result(self.p, stage, parts.hasher, parts.blobs, inputs, fp, run_id)
            if stage.register is not None:
                producer = work.model_producer(self.p, stage)
                made_by = self.stages[producer] if producer else None
                model_run = (made_by.run_id or made_by.source_run_id) if made_by else run_id
                gate = work.run_gate(
                    parts.catalog, parts.models, self.p, stage, self.run_id, model_run
                )
                detail = gate.evidence[-1] if gate.evidence else ""
            parts.cache.add(record)
        except UserFacingError as exc:
            self._set(name, "failed", detail=str(exc), started_at=started, ended_at=time.time())
            return
        self._set(name, "done", detail=detail, started_at=started, ended_at=time.time())

    def _folder(self) -> dict[str, tuple[int, int]]:
        if self.snapshot is None:
            self.snapshot = self.watch.snapshot()
        return self.snapshot

    def _cancel_all(self) -> None:
        for name, launched in list(self.running.items()):
            try:
                self.parts.jobs.cancel(launched.run_id, grace_s=CANCEL_GRACE_S)
            except Exception as exc:  # cancel the others whatever happened to this one
                log.warning("could not cancel stage %s: %s", name, exc)
            self._set(name, "cancelled", ended_at=time.time(), detail="cancelled")
        self.running.clear()
        for name in self._queued():
            self._set(name, "cancelled", detail="the pipeline run was cancelled")

    def _set(self, name: str, state: str, **changes: object) -> None:
        run = replace(self.stages[name], state=state, **changes)  # type: ignore[arg-type]
        self.stages[name] = run
        with self.parts.catalog.session_scope(write=True) as s:
            pipeline_repo.save_stage_run(s, self.run_id, run, self.position[name])
        self._tell(run)

    def _tell(self, run: StageRun) -> None:
        """Tell the listeners (``on_stage``, ``progress``) a stage's state."""
        try:
            if self.parts.on_stage is not None:
                self.parts.on_stage(run)
            if self.parts.progress is not None:
                ended = sum(1 for r in self.stages.values() if r.state in SETTLED | STOPPED)
                self.parts.progress(ended, len(self.stages), f"{run.stage}: {run.state}")
        except Exception:  # a listener's bug must not stop the run
            log.exception("a pipeline run's listener failed")
