"""Loading experiments and runs for the Experiments pane, on the runner, the latest winning.

A new experiment or a new filter supersedes the load in flight (its results are dropped); a live
reload waits for the load in flight and then runs once, however many were asked for meanwhile.
A new filter on the same experiment filters the runs already fetched instead of reading the
catalog again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from mlops_desktop.core.query import parse_query
from mlops_desktop.core.runs import Experiment, RunSummary
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState


@dataclass(frozen=True)
class RunsLoad:
    """One load's result.

    Attributes:
        fetched: the experiment's runs as read from the catalog; None when only the filter
            changed and the runs already fetched were filtered.
        runs: the runs matching the filter, newest first.
        query: the filter they match.
        quiet: a live or F5 reload (rows updated in place, selection kept).
    """

    fetched: list[RunSummary] | None
    runs: list[RunSummary]
    query: str
    quiet: bool


def list_experiments(service: ExperimentService, *, state: TaskState) -> list[Experiment]:
    return service.list_experiments()


def list_runs(
    service: ExperimentService, experiment: str | None, query: str, quiet: bool, *, state: TaskState
) -> RunsLoad:
    """Fetch an experiment's runs and filter them.

    The query is parsed first, so a malformed one fails before the catalog is read.
    """
    parsed = parse_query(query)
    runs = service.list_runs(experiment, None)
    state.check()
    return RunsLoad(runs, parsed.filter(runs), query, quiet)


def filter_runs(runs: list[RunSummary], query: str, quiet: bool, *, state: TaskState) -> RunsLoad:
    """Filter runs already in memory: a new query does not read the catalog again."""
    return RunsLoad(None, parse_query(query).filter(runs), query, quiet)


class RunsLoader(QObject):
    """Loads experiments and runs for one pane.

    Signals:
        experimentsLoaded(list[Experiment]): every experiment, by name.
        experimentsFailed(Failure): the experiments could not be listed.
        runsLoaded(RunsLoad): a load of runs ended.
        runsFailed(Failure): a load of runs failed (a malformed query, a lost experiment…).
        busyChanged(bool): a load the person asked for started (True) or ended (False).
    """

    experimentsLoaded = Signal(object)
    experimentsFailed = Signal(object)
    runsLoaded = Signal(object)
    runsFailed = Signal(object)
    busyChanged = Signal(bool)

    def __init__(
        self, service: ExperimentService, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._asked: TaskHandle | None = None  # the latest load the person asked for

    def load_experiments(self) -> None:
        """List the experiments (after the listing in flight, if any)."""
        self._runner.submit_when_idle(
            (self, "experiments"),
            list_experiments,
            self._service,
            on_done=self.experimentsLoaded.emit,
            on_failed=self.experimentsFailed.emit,
        )

    def load_runs(
        self,
        experiment: str | None,
        query: str,
        quiet: bool = False,
        cached: list[RunSummary] | None = None,
    ) -> None:
        """Load the runs of ``experiment`` (None: all) matching ``query``.

        Args:
            quiet: a live or F5 reload: waits for a load in flight and shows no busy state.
            cached: the experiment's runs already fetched: only filter them.
        """
        key = (self, "runs")
        fn: Callable[..., RunsLoad]
        args: tuple[object, ...]
        if cached is not None:
            fn, args = filter_runs, (cached, query, quiet)
        else:
            fn, args = list_runs, (self._service, experiment, query, quiet)
        done, failed = self.runsLoaded.emit, self.runsFailed.emit
        if quiet:
            self._runner.submit_when_idle(key, fn, *args, on_done=done, on_failed=failed)
            return
        handle = self._runner.submit(
            fn, *args, key=key, on_done=done, on_failed=failed, label="Loading runs"
        )
        self._asked = handle
        handle.finished.connect(lambda: self._on_asked_finished(handle))
        self.busyChanged.emit(True)

    def is_loading(self) -> bool:
        """True while runs are being loaded or wait to be."""
        return self._runner.is_busy((self, "runs"))

    def _on_asked_finished(self, handle: TaskHandle) -> None:
        if handle is self._asked:
            self._asked = None
            self.busyChanged.emit(False)
