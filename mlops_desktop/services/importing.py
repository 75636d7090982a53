"""Bringing other tools' history into the catalog: MLflow stores and TensorBoard logs.

What the GUI's File > Import dialogs call (the ``import`` commands call the importers
directly). Both imports take ``on_progress`` and ``should_stop`` (see
:mod:`mlops_desktop.services.import_progress`) and answer an :class:`ImportOutcome`: the
report, whether the import was cancelled midway (what it wrote is kept), and the experiments
that received runs, so the GUI can open the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.services.import_progress import (
    ImportCancelled,
    ImportReport,
    ProgressCallback,
    StopCheck,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlops_desktop.services.bundle import Services


@dataclass(frozen=True)
class ImportOutcome:
    """How an import ended.

    Attributes:
        report: what was added (runs, metric points, models, ...) and the problems met.
        cancelled: the import was stopped midway; what it wrote is kept, and importing again
            goes on from there.
        experiments: the experiments that received new runs or metric points, in the order
            the import reached them (the first is the one to open).
    """

    report: ImportReport
    cancelled: bool = False
    experiments: list[str] = field(default_factory=list)


class ImportService:
    """Imports into the catalog of ``services`` (see the module docstring)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def import_tensorboard(
        self,
        log_dir: str | Path,
        experiment: str | None = None,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> ImportOutcome:
        """Import the TensorBoard event files under ``log_dir`` into ``experiment`` (default:
        the folder's name).

        Raises:
            TensorBoardImportError: ``log_dir`` is not a folder or holds no event files.
        """
        from mlops_desktop.services.tensorboard_import import (
            import_tensorboard,
            tensorboard_experiment,
        )

        folder = Path(log_dir).expanduser()
        name = tensorboard_experiment(folder, experiment or None)

        def run() -> ImportReport:
            return import_tensorboard(
                self._services.catalog,
                folder,
                experiment or None,
                on_progress=on_progress,
                should_stop=should_stop,
            )

        outcome = _outcome_of(run)
        added = outcome.report.runs or outcome.report.metrics_points
        return ImportOutcome(outcome.report, outcome.cancelled, [name] if added else [])

    def import_mlflow(
        self,
        source: str | Path,
        experiment_prefix: str | None = None,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> ImportOutcome:
        """Import an MLflow store: an ``mlruns`` folder or an ``mlflow.db`` file (or URI), its
        experiments named ``experiment_prefix`` + their MLflow name.

        Raises:
            MlflowImportError: the source is not an MLflow store this app reads.
        """
        from mlops_desktop.services.mlflow_import import import_mlflow

        before = self._run_counts()

        def run() -> ImportReport:
            return import_mlflow(
                self._services,
                str(source),
                experiment_prefix=experiment_prefix or None,
                on_progress=on_progress,
                should_stop=should_stop,
            )

        outcome = _outcome_of(run)
        after = self._run_counts()
        grown = [name for name, count in after.items() if count > before.get(name, 0)]
        return ImportOutcome(outcome.report, outcome.cancelled, grown)

    def _run_counts(self) -> dict[str, int]:
        """{experiment name: run count}, in the catalog's order of experiments."""
        return {e.name: e.run_count for e in self._services.experiments.list_experiments()}


def _outcome_of(run: Callable[[], ImportReport]) -> ImportOutcome:
    try:
        return ImportOutcome(run())
    except ImportCancelled as cancelled:
        return ImportOutcome(cancelled.report, cancelled=True)
