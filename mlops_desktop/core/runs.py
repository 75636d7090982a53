"""Dataclasses for experiments, runs and metric series, as repositories hand them out.

They are plain data (never ORM rows), safe to pass between threads and through queued signals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class RunStatus(str, Enum):
    """Life-cycle state of a run."""

    QUEUED = "queued"  # launched, waiting for its target (GPUs, Slurm) to start it
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    KILLED = "killed"

    @property
    def is_terminal(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


ParamValue = Any  # str, int, float, bool or None: the JSON value the script logged


@dataclass(frozen=True, slots=True)
class Experiment:
    """A named group of runs."""

    id: int
    name: str
    created_at: float
    run_count: int = 0
    last_run_at: float | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One row of the runs table: what a listing shows and what a filter sees.

    ``metrics`` holds each key's last logged value (NaN and infinity kept as floats).
    Timestamps are seconds since the epoch (UTC).
    """

    id: str
    experiment: str
    name: str
    status: str
    started_at: float
    ended_at: float | None = None
    target: str = "local"
    params: dict[str, ParamValue] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    color_index: int | None = None  # its place among its experiment's runs: its colour
    parent_run_id: str | None = None  # the run this one is a child of (a nested run)
    user: str | None = None  # the OS user whose process ran it; None: not recorded (unknown)
    host: str | None = None  # the machine it ran on (its host name); None: not recorded

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """A file logged by a run, stored by content in the artifact store."""

    name: str
    digest: str
    size: int
    path: str  # absolute path of the stored blob


@dataclass(frozen=True, slots=True)
class GitInfo:
    """The code a run ran: commit, branch and the uncommitted diff (capped)."""

    commit: str | None
    branch: str | None
    dirty: bool
    diff: str
    diff_bytes: int  # size of the whole diff before the cap
    diff_truncated: bool
    cap_bytes: int
    repo_root: str | None = None


@dataclass(frozen=True, slots=True)
class RunDetail:
    """Everything about one run that the detail view and ``runs show`` need."""

    summary: RunSummary
    command: str
    notes: str
    metric_counts: dict[str, int]
    git: GitInfo | None
    env: dict[str, Any]
    datasets: list[dict[str, Any]]
    artifacts: list[ArtifactRef]
    log_path: str | None
    pid: int | None = None
    host: str | None = None
    error: str | None = None  # what failed: the stored error, else the log's last error line
    deleted_at: float | None = None  # when the run was moved to the trash; None: not trashed
    parent_name: str | None = None  # the parent's name, when the run is a child and it exists
    children: tuple[tuple[str, str], ...] = ()  # (id, name) of its child runs, oldest first


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric of one run, as three equally long numpy arrays.

    ``steps`` is int64, ``timestamps`` and ``values`` float64. NaN and +/-inf are kept.
    """

    run_id: str
    key: str
    steps: Any
    timestamps: Any
    values: Any

    def __len__(self) -> int:
        return len(self.values)
