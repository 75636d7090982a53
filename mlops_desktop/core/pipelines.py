"""Pipelines as the app speaks of them: the parsed pipeline file, each stage's state and the
records of pipeline runs, triggers and gates. No Qt, no SQL, no file access.

A pipeline file has the shape DVC users know (``dvc.yaml``: stages with ``cmd``, ``deps``,
``params``, ``outs``, ``metrics``) plus what DVC lacks: a ``target`` and ``gpus`` per stage,
registered dataset versions as deps, a ``register`` gate, and ``triggers``. The JSON documents
built from these classes (``to_json``) are the command line's contract (``pipelines ...``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PIPELINE_FILENAMES = ("pipeline.yaml", "dvc.yaml")  # looked for in this order
DEFAULT_PARAMS_FILE = "params.yaml"
DEFAULT_PARALLEL = 2

# What a stage is (status) or became (in a pipeline run).
STAGE_STATES = (
    "cached",  # unchanged, outs present: nothing to do
    "restorable",  # unchanged, an out is missing but the store has it: restored, not rerun
    "stale",  # something changed (the reasons say what): it runs
    "blocked",  # a stage it depends on failed or was cancelled: not run
    "queued",  # waiting for its deps or a free slot
    "running",
    "done",  # ran and succeeded
    "restored",  # its outs were copied back from the store
    "failed",
    "cancelled",
)
PIPELINE_RUN_STATES = ("running", "done", "failed", "cancelled")
TRIGGER_KINDS = ("manual", "dataset", "monitor", "schedule")
APPROVAL_STATES = ("waiting", "approved", "rejected", "auto", "none")


@dataclass(frozen=True, slots=True)
class DatasetDep:
    """A registered dataset version a stage reads: ``name@vN`` (``version`` None: the newest)."""

    name: str
    version: int | None = None

    @property
    def ref(self) -> str:
        return self.name if self.version is None else f"{self.name}@v{self.version}"


@dataclass(frozen=True, slots=True)
class ParamRef:
    """One key of a params file (``key`` dotted: "train.lr"; a whole section is a key too)."""

    file: str  # relative to the pipeline's folder
    key: str


@dataclass(frozen=True, slots=True)
class StageOut:
    """A file or folder a stage writes (relative to the pipeline's folder).

    Attributes:
        cache: kept in the content-addressed store (so a deleted out is restored, not rerun).
        metric: a metrics file (JSON or YAML of numbers) the gates and the GUI read.
    """

    path: str
    cache: bool = True
    metric: bool = False


@dataclass(frozen=True, slots=True)
class RegisterGate:
    """A ``register`` step: register ``out`` as a version of ``model`` when ``when`` holds.

    Attributes:
        when: conditions, each "metrics.KEY OP EXPR" where EXPR may use ``champion`` (the same
            metric of the model's current champion), numbers, + and -; all must hold.
        alias: the alias a passing version gets ("challenger").
        promote: "approval" (a person approves the move to champion) or "auto".
    """

    model: str
    out: str
    when: tuple[str, ...] = ()
    alias: str = "challenger"
    champion_alias: str = "champion"
    promote: str = "approval"


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a pipeline, as the file declares it (paths relative to the file's folder).

    Attributes:
        cmd: the command lines, run one after another by ``sh -c`` in ``wdir``.
        deps: files and folders it reads.
        datasets: registered dataset versions it reads (made available as for a launch).
        params: the params keys it reads; a changed value makes it stale.
        outs: what it writes (metrics files included, with ``metric=True``).
        target: "local", "ssh:NAME" or "slurm:NAME"; gpus: how many GPUs it needs.
        register: the gate of a register step (such a stage may have no ``cmd``).
        always_changed: DVC's flag: never cached.
    """

    name: str
    cmd: tuple[str, ...] = ()
    wdir: str = "."
    deps: tuple[str, ...] = ()
    datasets: tuple[DatasetDep, ...] = ()
    params: tuple[ParamRef, ...] = ()
    outs: tuple[StageOut, ...] = ()
    target: str = "local"
    gpus: int = 0
    register: RegisterGate | None = None
    always_changed: bool = False

    @property
    def metrics(self) -> tuple[StageOut, ...]:
        return tuple(o for o in self.outs if o.metric)


@dataclass(frozen=True, slots=True)
class PipelineTriggers:
    """What starts a pipeline besides a person: new versions of ``datasets``, alerts of
    ``monitors``, and a ``schedule`` interval in seconds while the app runs (None: none)."""

    datasets: tuple[str, ...] = ()
    monitors: tuple[str, ...] = ()
    schedule_s: float | None = None


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A parsed pipeline file.

    Attributes:
        path: the file (absolute); ``root`` its folder, which every relative path is under.
        name: from the file's ``name``, else the folder's name.
        kind: "mlops" (``pipeline.yaml``) or "dvc" (``dvc.yaml`` with ``params.yaml``).
        stages: in file order.
        parallel: how many independent stages may run at once.
        experiment: the experiment its runs go to (default: the pipeline's name).
        params_file: the default params file, relative to ``root`` ("params.yaml"); keys of
            it are named bare ("train.lr"), keys of other files "FILE:KEY".
    """

    path: Path
    root: Path
    name: str
    kind: str
    stages: tuple[Stage, ...]
    parallel: int = DEFAULT_PARALLEL
    experiment: str = ""
    triggers: PipelineTriggers = field(default_factory=PipelineTriggers)
    params_file: str = DEFAULT_PARAMS_FILE

    def stage(self, name: str) -> Stage:
        """The stage called ``name`` (KeyError when there is none)."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class StageStatus:
    """Whether a stage would run, and why.

    Attributes:
        state: "cached", "restorable" or "stale" (see :data:`STAGE_STATES`).
        reasons: one short phrase per change ("dep data/raw changed", "param train.lr changed
            0.1 -> 0.2", "code train.py changed", "out model.joblib missing", "never ran",
            "upstream prepare is stale", "forced").
        fingerprint: the hex digest of everything the stage's result depends on.
        source_run_id: the run that made the cached outs (None when never ran).
    """

    name: str
    state: str
    reasons: tuple[str, ...] = ()
    fingerprint: str = ""
    source_run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "state": self.state,
            "reasons": list(self.reasons),
            "fingerprint": self.fingerprint,
            "source_run_id": self.source_run_id,
        }


@dataclass(frozen=True, slots=True)
class StageRun:
    """A stage within one pipeline run.

    Attributes:
        run_id: the run it made (None when cached, restored or blocked).
        source_run_id: for a cached or restored stage, the run whose outs it reused.
        log_tail: the end of its log when it failed.
    """

    stage: str
    state: str
    run_id: str | None = None
    source_run_id: str | None = None
    reasons: tuple[str, ...] = ()
    fingerprint: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    target: str = "local"
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        return out


@dataclass(frozen=True, slots=True)
class GateResult:
    """What a ``register`` gate decided, with its evidence.

    Attributes:
        evidence: one line per condition, with the values it compared
            ("metrics.val/acc 0.93 >= champion 0.91 + 0.005 = 0.915: holds"), between lines
            on the champion compared with and on the outcome.
        version: the model version it registered (None when it failed).
        approval: "waiting", "approved", "rejected", "auto" or "none" (failed gate).
        checks: (evidence line, whether it held) for each condition, in order; the lines
            of ``evidence`` that are not here report no condition. Empty for a gate recorded
            before checks were kept.
    """

    pipeline_run_id: str
    stage: str
    model: str
    passed: bool
    evidence: tuple[str, ...]
    version: int | None = None
    alias: str = "challenger"
    approval: str = "none"
    decided_by: str | None = None
    decided_at: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    checks: tuple[tuple[str, bool], ...] = ()

    def held(self, line: str) -> bool | None:
        """Whether the condition an evidence line reports held; None for a line that reports
        no condition (or when this gate kept no checks)."""
        return next((ok for text, ok in self.checks if text == line), None)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["evidence"] = list(self.evidence)
        out["checks"] = [[line, ok] for line, ok in self.checks]
        return out


@dataclass(frozen=True, slots=True)
class PipelineRunInfo:
    """One run of a pipeline: a parent run in the catalog, with a stage run per stage.

    Attributes:
        run_id: the parent run's id (its stages' runs are its children).
        trigger: "manual", "dataset", "monitor" or "schedule"; ``trigger_detail`` says which
            ("wine v4", "alert 12 of wine-drift", "every 6 h").
    """

    run_id: str
    pipeline: str
    path: str
    state: str
    started_at: float
    ended_at: float | None = None
    trigger: str = "manual"
    trigger_detail: str = ""
    user: str | None = None
    host: str | None = None
    stages: tuple[StageRun, ...] = ()
    gates: tuple[GateResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "path": self.path,
            "state": self.state,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "trigger": self.trigger,
            "trigger_detail": self.trigger_detail,
            "user": self.user,
            "host": self.host,
            "stages": [s.to_json() for s in self.stages],
            "gates": [g.to_json() for g in self.gates],
        }


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """A trigger that fired, and what it started (``pipeline_run_id`` None: nothing, see
    ``outcome``, e.g. "a run of this pipeline was already going")."""

    id: int
    pipeline: str
    kind: str
    detail: str
    at: float
    pipeline_run_id: str | None = None
    outcome: str = ""
    user: str | None = None
    host: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PipelineInfo:
    """A pipeline the catalog knows (``pipelines list``)."""

    name: str
    path: str
    kind: str
    stages: int
    added_at: float
    last_run_id: str | None = None
    last_state: str | None = None
    last_run_at: float | None = None
    triggers: PipelineTriggers = field(default_factory=PipelineTriggers)
    waiting_approvals: int = 0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["triggers"] = {
            "datasets": list(self.triggers.datasets),
            "monitors": list(self.triggers.monitors),
            "schedule_s": self.triggers.schedule_s,
        }
        return out
