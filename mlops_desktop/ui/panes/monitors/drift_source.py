"""What the Drift tab needs of the monitor service (``services.monitors``), as protocols.

The tab codes against these so tests and screenshots can feed it a fake service. Every method
blocks (the catalog, a child process that scores models): the tab calls them through the
TaskRunner, never on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.drift import (
    Alert,
    ColumnDistribution,
    DriftWindow,
    ModelScore,
    MonitorInfo,
    RetrainSpec,
)
from mlops_desktop.core.pipelines import PipelineRunInfo


class CheckOutcome(Protocol):
    """What one ``check`` found: the windows it closed and the alerts it raised (new ones)."""

    @property
    def windows(self) -> Sequence[DriftWindow]: ...

    @property
    def alerts(self) -> Sequence[Alert]: ...


class MonitorSource(Protocol):
    """The monitors, their windows and alerts."""

    def add(
        self,
        name: str,
        *,
        model: str | None = None,
        reference: str | None = None,
        current_folder: str | None = None,
        current_dataset: str | None = None,
        window_rows: int | None = None,
        window_s: float | None = None,
        alert_after: int = 3,
        alert_window: int = 5,
        retrain: RetrainSpec | None = None,
        methods: dict[str, str] | None = None,
        label_column: str | None = None,
        prediction_column: str | None = None,
        predictions: bool = False,
    ) -> MonitorInfo:
        """``predictions``: current data is what ``mlops.log_predictions`` logs."""
        ...

    def list_monitors(self) -> list[MonitorInfo]: ...

    def windows(self, name: str) -> list[DriftWindow]:
        """Oldest first."""
        ...

    def alerts(self, name: str | None = None, open_only: bool = False) -> list[Alert]: ...

    def check(self, name: str) -> CheckOutcome:
        """Process what arrived; the new windows and alerts."""
        ...

    def acknowledge(self, alert_id: int) -> Alert: ...

    def distribution(self, name: str, column: str, window: int) -> ColumnDistribution: ...


@runtime_checkable
class RetrainLoopSource(Protocol):
    """Retrain, compare, promote (a monitor service without them: the tab hides them)."""

    def retrain(self, name: str, alert_id: int | None = None) -> JobInfo | PipelineRunInfo:
        """The launched job, or the pipeline run a ``pipeline:NAME`` retrain started."""
        ...

    def scores(self, name: str, allow_unsandboxed: bool = False) -> list[ModelScore]:
        """The champion and the challengers on the newest labelled window
        (SandboxUnavailableError: no sandbox works here and ``allow_unsandboxed`` is false)."""
        ...

    def promote(self, name: str, version: str) -> None: ...


class DriftSource(MonitorSource, RetrainLoopSource, Protocol):
    """Everything the Drift tab can show and do."""
