"""The Experiments pane: experiments, a filterable runs table, and detail/charts/compare tabs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from mlops_desktop.core.errors import ExperimentNotFound, QueryError
from mlops_desktop.core.query import runs_of_user
from mlops_desktop.core.runs import Experiment, RunSummary
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.settings import Settings
from mlops_desktop.tracking.who import os_user
from mlops_desktop.ui.catalog_live import CatalogLive
from mlops_desktop.ui.charts.metric_panel import MetricPanel
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.item_models.runs_table import RunsTableModel
from mlops_desktop.ui.list_sizing import content_width, fit_list_side
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.navigation import AppEvents, Navigator, ShowExperiment, ShowRun
from mlops_desktop.ui.panes.experiments.brush_filter import BrushFilter
from mlops_desktop.ui.panes.experiments.experiment_list import ExperimentsList
from mlops_desktop.ui.panes.experiments.filter_completion import FilterCompleter
from mlops_desktop.ui.panes.experiments.first_run import FirstRunPage
from mlops_desktop.ui.panes.experiments.live_rows import LiveRows
from mlops_desktop.ui.panes.experiments.run_compare import CompareView
from mlops_desktop.ui.panes.experiments.run_detail import RunDetailView
from mlops_desktop.ui.panes.experiments.run_filter import RunFilterBar
from mlops_desktop.ui.panes.experiments.run_management import install_run_management
from mlops_desktop.ui.panes.experiments.runs_loader import RunsLoad, RunsLoader
from mlops_desktop.ui.panes.experiments.runs_view import RunsTableView
from mlops_desktop.ui.panes.experiments.table_setup import RunsTableSetup
from mlops_desktop.ui.panes.registry import Pane, PaneContext, register_pane
from mlops_desktop.ui.tasks import TaskRunner

GREET_WINDOW_S = 20.0
CHARTS_TAB, COMPARE_TAB = 1, 2


class ExperimentsPane(Pane):
    """See the module docstring; every service call goes through the TaskRunner."""

    def __init__(
        self,
        service: ExperimentService,
        runner: TaskRunner,
        settings: Settings,
        home: Path,
        ingest: IngestLoop | None = None,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
        catalog_live: CatalogLive | None = None,
        store: LabStoreService | None = None,
    ) -> None:
        """``store``: the lab store an artifact this home lacks is fetched from."""
        super().__init__(navigator, events, parent)
        self._store = store
        self._settings = settings
        self._home = home
        self._experiment: str | None = None
        self._query = ""
        self._experiments_loaded = False
        # Opening the app selects a run that is running (its log follows live); a run that the
        # ingest loop finds in the first seconds counts too, one the person did not choose.
        self._greeted = False
        self._greet_until = time.monotonic() + GREET_WINDOW_S
        self._dirty_tabs: set[int] = set()
        self._all_runs: list[RunSummary] | None = None  # the experiment's runs, unfiltered
        self._pending_run: str | None = None  # show_run of a run not listed yet
        self._pending_experiment: str | None = None  # show_experiment of one not listed yet
        self._shown_ids: list[str] = []  # the selection Detail, Charts and Compare show
        self._restored_runs: list[str] = []  # runs selected last session, chosen once listed
        self._me = os_user()  # whose runs "Mine" keeps
        self.loader = RunsLoader(service, runner, self)
        self._build(service, runner)
        self._connect(ingest, catalog_live)
        self.run_actions = install_run_management(self, service, runner)
        self.apply_settings()
        self.refresh()

    def _build(self, service: ExperimentService, runner: TaskRunner) -> None:
        self.experiments_list = ExperimentsList()
        self.filter_bar = RunFilterBar()
        self.filter_bar.set_mine(self._me, bool(self._settings.runs_mine))
        self.model = RunsTableModel(self)
        self.table = RunsTableView(self.model)
        self.table_setup = RunsTableSetup(
            self._home, self._settings.runs_columns, self.model, self.table, self.filter_bar, self
        )
        self.completer = FilterCompleter(self.filter_bar.edit, self.model.runs)
        self.detail = RunDetailView(service, runner, store=self._store)
        self.charts = MetricPanel(service, runner)
        self.compare = CompareView()
        self.brush = BrushFilter(self)  # the parallel-coordinates brush filtering the table
        self.tabs = QTabWidget()
        self.tabs.addTab(self.detail, "Detail")
        self.tabs.addTab(self.charts, "Charts")
        self.tabs.addTab(self.compare, "Compare")
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(4, 4, 4, 0)
        center_layout.addWidget(self.filter_bar)
        center_layout.addWidget(self.brush.bar)
        center_layout.addWidget(self.table, 1)
        self.vsplit = QSplitter(Qt.Orientation.Vertical)
        self.vsplit.addWidget(center)
        self.vsplit.addWidget(self.tabs)
        self.vsplit.setStretchFactor(0, 4)
        self.vsplit.setStretchFactor(1, 5)
        self.hsplit = QSplitter(Qt.Orientation.Horizontal)
        self.hsplit.addWidget(self.experiments_list)
        self.hsplit.addWidget(self.vsplit)
        self.hsplit.setStretchFactor(1, 1)
        self.hsplit.setSizes([210, 900])
        self.vsplit.setSizes([320, 400])
        self.empty = FirstRunPage(self._home, runner)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hsplit)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._selection_timer = QTimer(self)
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(30)

    def _connect(self, ingest: IngestLoop | None, catalog_live: CatalogLive | None) -> None:
        self._selection_timer.timeout.connect(self._on_selection_settled)
        self.loader.experimentsLoaded.connect(self._on_experiments_loaded)
        self.loader.experimentsFailed.connect(self._on_experiments_failed)
        self.loader.runsLoaded.connect(self._on_runs_loaded)
        self.loader.runsFailed.connect(self._on_runs_failed)
        self.loader.rowsChanged.connect(self._on_live_rows)
        self.loader.busyChanged.connect(self.filter_bar.set_busy)
        self.filter_bar.set_column_source(self.model.available_keys)
        self.table_setup.saveFailed.connect(self.events.show_status)
        self.filter_bar.queryChanged.connect(self._on_query_changed)
        self.filter_bar.mineToggled.connect(self._on_mine_toggled)
        self.filter_bar.columnsChosen.connect(self._on_columns_chosen)
        self.experiments_list.experimentChosen.connect(self._on_experiment_chosen)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.compare.brushChanged.connect(self.brush.set_ids)
        self.brush.changed.connect(lambda: self._load_runs(quiet=True, use_cache=True))
        self.brush.cleared.connect(self.compare.parallel.clear_brushes)
        self.detail.notes.saved.connect(self._on_notes_saved)
        self.empty.demoBuilt.connect(lambda _counts: self.refresh())
        self.detail.runActivated.connect(self.show_run)
        self.detail.datasetActivated.connect(self.navigator.show_dataset)
        self.detail.registerModelRequested.connect(self.navigator.register_model)
        self.events.settingsChanged.connect(self.apply_settings)
        self.events.idleRunsChanged.connect(self.model.set_idle_runs)
        if ingest is not None:
            ingest.runsChanged.connect(self._on_runs_changed)
            ingest.newRuns.connect(self._on_new_runs)
        if catalog_live is not None:  # other desktops' ingests: the same live rows
            catalog_live.newRuns.connect(self._on_new_runs)
            catalog_live.runsChanged.connect(self._on_runs_changed)
            catalog_live.runsReload.connect(self.refresh)

    # --- public (main window) ------------------------------------------------------------
    def refresh(self) -> None:
        """Reload experiments and runs (F5)."""
        self.loader.load_experiments()
        if self._experiments_loaded:
            self._load_runs(quiet=True)

    def apply_settings(self) -> None:
        """Take the chart smoothing default from the settings."""
        weight = max(0.0, min(0.99, float(self._settings.chart_smoothing)))
        self.charts.smoothing_slider.setValue(round(weight * 100))

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def selected_runs(self) -> list[RunSummary]:
        return self.table.selected_runs()

    def show_run(self, run_id: str) -> None:
        """Select the run ``run_id``, listing all experiments first if it is not listed."""
        if self.model.row_of(run_id) is not None:
            self.table.select_run_ids([run_id])
            return
        self._pending_run = run_id
        first = self.experiments_list.topLevelItem(0)
        if first is not None and self.experiments_list.currentItem() is not first:
            self.experiments_list.setCurrentItem(first)  # "All experiments": loads the runs
        else:
            self._load_runs()

    def show_experiment(self, name: str) -> None:
        """Choose the experiment ``name``; one not listed yet (just imported) is chosen when
        the experiments are next loaded."""
        self._pending_experiment = None
        if not self.experiments_list.choose(name):
            self._pending_experiment = name
            self.loader.load_experiments()

    def is_loading(self) -> bool:
        return self.loader.is_loading()

    def write_controls(self) -> list[QAction | QWidget]:
        actions = self.run_actions
        controls: list[QAction | QWidget] = [*actions.write_actions()]
        controls += [self.detail.notes.edit, self.detail.artifacts.register_button]
        controls.append(self.empty.build_button)
        if actions.trash_view is not None:
            controls += [actions.trash_view.restore_button, actions.trash_view.empty_button]
        return controls

    def layout_splitters(self) -> list[QSplitter]:
        return [self.hsplit, self.vsplit]

    def selection_state(self) -> dict[str, Any]:
        return {
            "experiment": self.experiments_list.current_experiment(),
            "runs": list(self._shown_ids),
            "tab": self.tabs.currentIndex(),
        }

    def restore_selection(self, state: dict[str, Any]) -> None:
        experiment, runs, tab = state.get("experiment"), state.get("runs"), state.get("tab")
        if isinstance(experiment, str) and experiment:
            if self._experiments_loaded:
                self.experiments_list.choose(experiment)
            else:
                self.experiments_list.prefer(experiment)
        if isinstance(runs, list):
            self._restored_runs = [run for run in runs if isinstance(run, str)]
        if type(tab) is int and 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)

    def shutdown(self) -> None:
        self._selection_timer.stop()
        self.detail.shutdown()

    # --- loading -------------------------------------------------------------------------
    def _load_runs(self, quiet: bool = False, use_cache: bool = False) -> None:
        """List the chosen experiment's runs matching the filter, on the runner.

        Args:
            quiet: a live or F5 reload: rows are updated in place and selection kept.
            use_cache: only the filter changed: filter the runs already fetched.
        """
        cached = self._all_runs if use_cache else None
        self.loader.load_runs(self._experiment, self.shown_query(), quiet=quiet, cached=cached)

    def shown_query(self) -> str:
        """The filter the rows match: the one typed, narrowed to this OS user's runs while
        "Mine" is on."""
        return runs_of_user(self._query, self._me) if self.filter_bar.mine() else self._query

    def _on_experiments_loaded(self, experiments: list[Experiment]) -> None:
        self._experiments_loaded = True
        self.stack.setCurrentWidget(self.hsplit if experiments else self.empty)
        self.experiments_list.set_experiments(experiments)  # may choose, which loads runs
        fit_list_side(self.hsplit, content_width(self.experiments_list))
        pending = self._pending_experiment
        if pending is not None and self.experiments_list.choose(pending):
            self._pending_experiment = None

    def _on_experiments_failed(self, failure: Failure) -> None:
        self.events.show_status(f"Cannot read the catalog: {failure}", 10000)

    def _on_runs_loaded(self, load: RunsLoad) -> None:
        load = self.brush.apply(load)
        if load.fetched is not None:
            self._all_runs = load.fetched
            if load.fetched:
                self.stack.setCurrentWidget(self.hsplit)  # runs exist: never the empty page
        self.filter_bar.applied(load.query)
        self._show_rows(load)
        self.filter_bar.set_count(len(load.runs) - len(load.context))
        self._after_rows_changed(load.runs, compare_may_lag=load.quiet)

    def _after_rows_changed(self, runs: list[RunSummary], compare_may_lag: bool) -> None:
        """Tabs follow the table; a run asked for or running (``runs``) gets selected."""
        if {run.id for run in self.table.selected_runs()} != set(self._shown_ids):
            self._on_selection_settled()  # a shown run left the table: the tabs follow it
        elif compare_may_lag and self.table.selected_runs() != self.compare.runs:
            self._dirty_tabs.add(COMPARE_TAB)
            self._on_tab_changed(self.tabs.currentIndex())
        restored, self._restored_runs = self._restored_runs, []
        listed = [run_id for run_id in restored if self.model.row_of(run_id) is not None]
        if listed and not self.table.selected_runs():
            self.table.select_run_ids(listed)
            self._greeted = True
        if self._pending_run is not None and self.model.row_of(self._pending_run) is not None:
            self.table.select_run_ids([self._pending_run])
            self._pending_run = None
            self._greeted = True
        if not self._greeted and time.monotonic() < self._greet_until:
            self._greeted = self._show_live_run(runs)

    def _show_rows(self, load: RunsLoad) -> None:
        """Put the runs in the table (in place when quiet) and choose its columns."""
        columns = self.table_setup.columns_for(load.fetched, load.query)
        self.table.groups.set_context_runs(load.context)
        if load.quiet:
            self.model.update_runs(load.runs, remove_missing=True)
            self.model.set_columns(columns)
        else:
            keep = [run.id for run in self.table.selected_runs()]
            self.model.set_runs(load.runs, columns)
            self.table.select_run_ids(keep)
        self.filter_bar.set_chosen_columns(self.model.columns())

    def _show_live_run(self, runs: list[RunSummary]) -> bool:
        """Select the newest running run unless a run is chosen; True once one is shown."""
        if self.table.selected_runs():
            return True  # the person chose already: never override it
        live = next((run for run in runs if run.status == "running"), None)
        if live is None:
            return False
        self.table.select_run_ids([live.id])
        return True

    def _on_runs_failed(self, failure: Failure) -> None:
        if isinstance(failure.exc, QueryError):
            self.filter_bar.show_error(failure.exc)
        elif isinstance(failure.exc, ExperimentNotFound):
            self._experiment = None
            self.loader.load_experiments()
        else:
            self.filter_bar.show_error(f"Cannot load runs: {failure}")

    # --- user actions --------------------------------------------------------------------
    def _on_experiment_chosen(self, name: str | None) -> None:
        self._experiment = name
        self.brush.clear()
        self._all_runs = None
        self.table_setup.set_experiment(name)
        self._load_runs()

    def _on_query_changed(self, query: str) -> None:
        if query == self._query and not self.filter_bar.has_error():
            return
        self._query = query
        self._load_runs(use_cache=True)

    def _on_mine_toggled(self, on: bool) -> None:
        self._settings.runs_mine = on
        try:
            self._settings.save(self._home)
        except OSError as exc:
            self.events.show_status(f"Cannot save settings in {self._home}: {exc.strerror}")
        self._load_runs(use_cache=True)

    def _on_columns_chosen(self, keys: list[str]) -> None:
        keep = [run.id for run in self.table.selected_runs()]
        self.model.set_columns(keys)
        self.table.select_run_ids(keep, scroll=False)
        self.filter_bar.set_chosen_columns(keys)
        self.table_setup.choose_columns(keys)

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._selection_timer.start()

    def _on_selection_settled(self) -> None:
        runs = self.table.selected_runs()
        self._shown_ids = [run.id for run in runs]
        if len(runs) == 1:
            self.detail.show_run(runs[0].id)
        elif runs:
            self.detail.show_message(
                f"{len(runs)} runs selected: see Charts and Compare, or select one for its details."
            )
        else:
            self.detail.show_message()
        self._dirty_tabs = {CHARTS_TAB, COMPARE_TAB}
        self._on_tab_changed(self.tabs.currentIndex())
        self.selectionChanged.emit()

    def _on_tab_changed(self, index: int) -> None:
        self.selectionChanged.emit()
        if index not in self._dirty_tabs:
            return
        self._dirty_tabs.discard(index)
        runs = self.table.selected_runs()
        if index == CHARTS_TAB:
            self.charts.set_runs(runs)
        elif index == COMPARE_TAB:
            self.compare.set_runs(runs)  # the params that vary, and every metric

    def _on_notes_saved(self, _run_id: str) -> None:
        self.events.show_status("Notes saved")

    # --- live updates --------------------------------------------------------------------
    def _on_new_runs(self, _ids: frozenset[str]) -> None:
        self.loader.load_experiments()  # the counts; the rows come with runsChanged

    def _on_runs_changed(self, ids: frozenset[str]) -> None:
        # only the changed runs are read again (live_rows), never the whole experiment
        if not self.loader.load_changed_runs(ids) and self._experiments_loaded:
            self._load_runs(quiet=True)
        if self.detail.run_id in ids:
            self.detail.refresh()
        selected = {run.id for run in self.table.selected_runs()} & set(ids)
        if selected and self.tabs.currentIndex() == CHARTS_TAB:
            self.charts.refresh_runs(selected)

    def _on_live_rows(self, rows: LiveRows) -> None:
        """Change, insert or remove only the rows of the runs an ingest changed."""
        self._all_runs = rows.fetched
        if rows.fetched:
            self.stack.setCurrentWidget(self.hsplit)
        rows = rows.within(self.brush.ids)
        self.model.update_rows(rows.changed, rows.gone)
        self.table.groups.set_context_runs(rows.context)
        columns = self.table_setup.columns_after_change(rows.changed, rows.query)
        if columns != self.model.columns():  # a new key: the selection outlives the reset
            keep = [run.id for run in self.table.selected_runs()]
            self.model.set_columns(columns)
            self.table.select_run_ids(keep, scroll=False)
            self.filter_bar.set_chosen_columns(self.model.columns())
        self.filter_bar.set_count(self.model.rowCount() - len(rows.context))
        self._after_rows_changed(rows.changed, compare_may_lag=True)


def _create(context: PaneContext) -> ExperimentsPane:
    pane = ExperimentsPane(
        context.services.experiments,
        context.runner,
        context.settings,
        context.home,
        ingest=context.ingest,
        navigator=context.navigator,
        events=context.events,
        catalog_live=context.catalog_live,
        store=context.services.store,
    )
    context.navigator.serve(ShowRun, pane, lambda request: pane.show_run(request.run_id))
    context.navigator.serve(
        ShowExperiment, pane, lambda request: pane.show_experiment(request.name)
    )
    return pane


register_pane("Experiments", "experiments", 10, _create)
