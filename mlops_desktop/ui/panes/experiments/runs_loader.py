"""Loading experiments and runs for the Experiments pane, on the runner, the latest winning.

A new experiment or a new filter supersedes the load in flight (its results are dropped); a quiet
reload (F5) waits for the load in flight and then runs once, however many were asked for
meanwhile. A new filter on the same experiment filters the runs already fetched instead of
reading the catalog again. A live update re-reads only the runs an ingest changed (see
:mod:`mlops_desktop.ui.panes.experiments.live_rows`), after the load in flight, once for every
change gathered meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from mlops_desktop.core.query import parse_query
from mlops_desktop.core.runs import Experiment, RunSummary
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.ui.panes.experiments.live_rows import LiveRows, read_changed_runs, with_parents
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
        context: runs among ``runs`` shown only as the parents of matching child runs.
    """

    fetched: list[RunSummary] | None
    runs: list[RunSummary]
    query: str
    quiet: bool
    context: frozenset[str] = frozenset()


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
    rows, context = with_parents(parsed.filter(runs), runs)
    return RunsLoad(runs, rows, query, quiet, context)


def filter_runs(runs: list[RunSummary], query: str, quiet: bool, *, state: TaskState) -> RunsLoad:
    """Filter runs already in memory: a new query does not read the catalog again."""
    rows, context = with_parents(parse_query(query).filter(runs), runs)
    return RunsLoad(None, rows, query, quiet, context)


class RunsLoader(QObject):
    """Loads experiments and runs for one pane; one load of runs at a time.

    Signals:
        experimentsLoaded(list[Experiment]): every experiment, by name.
        experimentsFailed(Failure): the experiments could not be listed.
        runsLoaded(RunsLoad): a load of runs ended.
        rowsChanged(LiveRows): a live update read the changed runs (update only their rows).
        runsFailed(Failure): a load of runs failed (a malformed query, a lost experiment…).
        busyChanged(bool): a load the person asked for started (True) or ended (False).
    """

    experimentsLoaded = Signal(object)
    experimentsFailed = Signal(object)
    runsLoaded = Signal(object)
    rowsChanged = Signal(object)
    runsFailed = Signal(object)
    busyChanged = Signal(bool)

    def __init__(
        self, service: ExperimentService, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._key = (self, "runs")
        self._asked: TaskHandle | None = None  # the latest load the person asked for
        self._running: TaskHandle | None = None  # the load of runs in flight
        self._running_ids: frozenset[str] = frozenset()  # the runs a live update in flight reads
        self._waiting: Callable[[], object] | None = None  # a quiet reload after the one in flight
        self._waiting_reads = False  # it reads the catalog (not only filters the runs fetched)
        self._changed_ids: set[str] = set()  # changed runs a live update will read
        # what the table shows: experiment, filter and the experiment's runs as fetched
        self._shown: tuple[str | None, str, list[RunSummary]] | None = None
        self._context: frozenset[str] = frozenset()  # parents shown as a filter's context

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
        runs = cached  # the runs filtered: the freshest copy when the load starts

        def done(load: RunsLoad) -> None:
            fetched = load.fetched if load.fetched is not None else runs
            self._shown = None if fetched is None else (experiment, load.query, fetched)
            self._context = load.context
            self.runsLoaded.emit(load)

        def start(label: str | None = None) -> TaskHandle:
            nonlocal runs
            if runs is None:
                self._changed_ids.clear()  # a whole read covers the changes so far
                fn: Callable[..., RunsLoad] = list_runs
                args: tuple[object, ...] = (self._service, experiment, query, quiet)
            else:
                if self._shown is not None and self._shown[0] == experiment:
                    runs = self._shown[2]  # as live updates patched it since the request
                fn, args = filter_runs, (runs, query, quiet)
            return self._start(fn, args, done, label)

        if quiet:
            if self._running is None:
                start()
            else:
                self._waiting = start
                self._waiting_reads = cached is None
            return
        self._waiting = None
        if cached is not None:  # only filtering: what a live update in flight reads still counts
            self._changed_ids |= self._running_ids
        handle = start("Loading runs")
        self._asked = handle
        handle.finished.connect(lambda: self._on_asked_finished(handle))
        self.busyChanged.emit(True)

    def load_changed_runs(self, run_ids: Iterable[str]) -> bool:
        """Re-read only these runs and update their rows (after the load in flight, if any).

        Returns:
            False when no runs are shown yet to update (a whole load is needed).
        """
        if self._shown is None and self._running is None:
            return False
        if self._waiting is None or not self._waiting_reads:  # a waiting reload reads them
            self._changed_ids.update(run_ids)
            if self._running is None:
                self._start_live()
        return True

    def is_loading(self) -> bool:
        """True while runs are being loaded or wait to be."""
        return self._runner.is_busy(self._key) or self._waiting is not None

    def _start(
        self,
        fn: Callable[..., object],
        args: tuple[object, ...],
        on_done: Callable[[Any], None],
        label: str | None = None,
    ) -> TaskHandle:
        handle = self._runner.submit(
            fn, *args, key=self._key, on_done=on_done, on_failed=self.runsFailed.emit, label=label
        )
        self._running = handle
        self._running_ids = frozenset()
        handle.finished.connect(lambda: self._on_finished(handle))
        return handle

    def _start_live(self) -> None:
        ids = frozenset(self._changed_ids)
        self._changed_ids.clear()
        if self._shown is None or not ids:
            return
        experiment, query, fetched = self._shown
        args = (self._service, experiment, query, fetched, ids, self._context)
        self._start(read_changed_runs, args, self._on_rows_read)
        self._running_ids = ids

    def _on_rows_read(self, rows: LiveRows) -> None:
        if self._shown is not None:
            self._shown = (self._shown[0], self._shown[1], rows.fetched)
        self._context = rows.context
        self.rowsChanged.emit(rows)

    def _on_finished(self, handle: TaskHandle) -> None:
        if handle is not self._running:
            return  # superseded: a newer load runs
        self._running = None
        self._running_ids = frozenset()
        if self._waiting is not None:
            start, self._waiting = self._waiting, None
            start()
        elif self._changed_ids:
            self._start_live()

    def _on_asked_finished(self, handle: TaskHandle) -> None:
        if handle is self._asked:
            self._asked = None
            self.busyChanged.emit(False)
