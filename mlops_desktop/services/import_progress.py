"""What every importer (MLflow, TensorBoard) reports, and how it says how far it got.

An importer takes ``on_progress`` (called now and then with an :class:`ImportProgress`, on the
importer's thread: a GUI forwards it through a signal) and ``should_stop`` (polled between
units of work; when it returns True the importer stops at a safe point, keeps what it already
wrote, and raises :class:`ImportCancelled`). Both are optional. Importing again goes on where
a cancelled import stopped: every importer is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImportProgress:
    """How far an import got: ``done`` of ``total`` units (``total`` None when not known)."""

    phase: str  # what is being read: "experiments", "runs", "metrics", "artifacts", "models"
    done: int
    total: int | None
    message: str = ""


@dataclass
class ImportReport:
    """What one import added (``--json``: experiments, runs, metrics_points, models, versions)."""

    experiments: int = 0
    runs: int = 0
    metrics_points: int = 0
    models: int = 0
    versions: int = 0
    artifacts: int = 0
    problems: list[str] = field(default_factory=list)


class ImportCancelled(Exception):
    """The import was asked to stop; what it had written is kept (``report`` says what)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("The import was cancelled; what it had imported is kept.")
        self.report = report


ProgressCallback = Callable[[ImportProgress], None]
StopCheck = Callable[[], bool]
