"""What run management reports: trashed runs and what emptying the trash did."""

from __future__ import annotations

from dataclasses import dataclass, field

ENDED_STATUSES = ("finished", "failed", "killed")
"""Statuses of runs whose writer is done: only those may be moved to the trash."""


@dataclass(frozen=True, slots=True)
class TrashedRun:
    """A run in the trash."""

    id: str
    experiment: str
    name: str
    status: str
    started_at: float
    deleted_at: float


@dataclass(frozen=True, slots=True)
class KeptRun:
    """A trashed run that emptying the trash kept, and why (one sentence)."""

    id: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class EmptiedTrash:
    """What emptying the trash did: the runs deleted for good and the runs kept."""

    deleted: list[str] = field(default_factory=list)
    kept: list[KeptRun] = field(default_factory=list)
