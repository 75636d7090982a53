"""The runs table's setup per experiment: columns, pinned columns, grouping, saved views.

Each experiment (and "All experiments") keeps its own choice of columns; one never chosen shows
a few of its own metrics and params, recomputed as keys appear, and a chosen one offers the keys
that appeared since (marked "new" in Columns…). Everything is stored through
:class:`TableViewsStore`, so it survives a restart.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QInputDialog

from mlops_desktop.core.hardware import SYSTEM_PREFIX
from mlops_desktop.core.runs import RunSummary
from mlops_desktop.services.table_views import ExperimentTable, TableView, TableViewsStore
from mlops_desktop.ui.item_models.runs_table import USER_KEY, RunsTableModel
from mlops_desktop.ui.panes.experiments.run_filter import (
    AUTO_METRIC_COLUMNS,
    AUTO_PARAM_COLUMNS,
    RunFilterBar,
    query_columns,
)
from mlops_desktop.ui.panes.experiments.runs_view import RunsTableView

NO_GROUPING = "No grouping"


def run_keys(runs: Iterable[RunSummary]) -> tuple[list[str], list[str], list[str]]:
    """Param, metric and tag keys of the runs, each sorted."""
    params: set[str] = set()
    metrics: set[str] = set()
    tags: set[str] = set()
    for run in runs:
        params.update(run.params)
        metrics.update(run.metrics)
        tags.update(run.tags)
    return sorted(params), sorted(metrics), sorted(tags)


RunKeys = tuple[list[str], list[str], list[str]]


def columns_of_keys(keys: RunKeys) -> list[str]:
    """Every params./metrics. column runs with these keys could show."""
    params, metrics, _tags = keys
    return [f"metrics.{k}" for k in metrics] + [f"params.{k}" for k in params]


def default_columns_of_keys(keys: RunKeys) -> list[str]:
    """A first look at an experiment: a few of its own metrics (not ``sys/``) and params."""
    params, metrics, _tags = keys
    metrics = [k for k in metrics if not k.startswith(SYSTEM_PREFIX)]
    chosen = [f"metrics.{k}" for k in metrics[:AUTO_METRIC_COLUMNS]]
    return chosen + [f"params.{k}" for k in params[:AUTO_PARAM_COLUMNS]]


class RunsTableSetup(QObject):
    """Keeps the table, filter bar and store in step for the experiment shown.

    Signals:
        saveFailed(str): a sentence saying the setup could not be saved.
    """

    saveFailed = Signal(str)

    def __init__(
        self,
        home: Path,
        legacy_columns: list[str] | None,
        model: RunsTableModel,
        table: RunsTableView,
        filter_bar: RunFilterBar,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = TableViewsStore(home, legacy_columns)
        self._model = model
        self._table = table
        self._bar = filter_bar
        self._experiment: str | None = None
        self._keys: RunKeys = ([], [], [])  # of the experiment's runs, read once per fetch
        self._group_keys: list[str] = []
        table.pinsChanged.connect(self._on_pins_changed)
        table.groupByRequested.connect(self.set_group_by)
        table.hideColumnRequested.connect(self._on_hide_column)
        filter_bar.staleChanged.connect(table.set_stale)
        filter_bar.group_combo.activated.connect(self._on_group_chosen)
        filter_bar.views_menu.aboutToShow.connect(self._fill_views_menu)
        self._fill_group_combo()
        self.set_experiment(None)

    # --- the experiment and its runs -----------------------------------------------------
    def current(self) -> ExperimentTable:
        return self.store.table(self._experiment)

    def set_experiment(self, experiment: str | None) -> None:
        """Show ``experiment``'s pins and grouping (its columns follow when its runs load)."""
        self._experiment = experiment
        self._keys = ([], [], [])
        setup = self.current()
        self._table.set_pinned_columns(setup.pinned)
        self._table.set_group_by(setup.group_by or None)
        self._fill_group_combo()

    def columns_for(self, all_runs: list[RunSummary] | None, query: str) -> list[str]:
        """The columns to show for the experiment's runs and the filter ``query``."""
        if all_runs is not None:
            self._keys = run_keys(all_runs)
            self._fill_group_combo()
        setup = self.current()
        known = columns_of_keys(self._keys)
        if setup.columns is None:
            columns = default_columns_of_keys(self._keys)
            self._bar.set_new_keys([])
        else:
            columns = list(setup.columns)
            seen = set(setup.seen)
            self._bar.set_new_keys([k for k in known if k not in seen and k not in columns])
        extra = [c for c in query_columns(query) if c not in columns]
        return columns + extra

    def columns_after_change(self, changed: Iterable[RunSummary], query: str) -> list[str]:
        """:meth:`columns_for` after a live update of only ``changed`` runs: their keys join
        those already known (costs the changed runs, not the experiment)."""
        params, metrics, tags = (set(keys) for keys in self._keys)
        before = (len(params), len(metrics), len(tags))
        for run in changed:
            params.update(run.params)
            metrics.update(run.metrics)
            tags.update(run.tags)
        if (len(params), len(metrics), len(tags)) != before:
            self._keys = (sorted(params), sorted(metrics), sorted(tags))
            self._fill_group_combo()
        return self.columns_for(None, query)

    def choose_columns(self, keys: list[str]) -> None:
        """The person chose these columns for the experiment shown: remember them."""
        setup = self.current()
        setup.columns = list(keys)
        setup.seen = columns_of_keys(self._keys)
        self._bar.set_new_keys([])
        self._save()

    # --- pins and grouping ---------------------------------------------------------------
    def _on_pins_changed(self, ids: list[str]) -> None:
        self.current().pinned = list(ids)
        self._save()

    def _on_hide_column(self, key: str) -> None:
        keys = [k for k in self._model.columns() if k != key]
        self._bar.columnsChosen.emit(keys)

    def set_group_by(self, key: str) -> None:
        """Group the rows by ``key`` ("" stops grouping) and remember it."""
        self._table.set_group_by(key or None)
        self.current().group_by = key
        self._select_group_in_combo(key)
        self._save()

    def _on_group_chosen(self, index: int) -> None:
        data = self._bar.group_combo.itemData(index)
        self.set_group_by(data if isinstance(data, str) else "")

    def _fill_group_combo(self) -> None:
        params, _metrics, tags = self._keys
        keys = [USER_KEY, *(f"params.{k}" for k in params), *(f"tags.{k}" for k in tags)]
        group_by = self.current().group_by
        if group_by and group_by not in keys:
            keys.append(group_by)
        combo = self._bar.group_combo
        if keys != self._group_keys or combo.count() == 0:
            self._group_keys = keys
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NO_GROUPING, "")
            for key in keys:
                combo.addItem(f"Group by {key}", key)
            combo.blockSignals(False)
        self._select_group_in_combo(group_by)

    def _select_group_in_combo(self, key: str) -> None:
        combo = self._bar.group_combo
        index = combo.findData(key)
        combo.blockSignals(True)
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)

    # --- saved views ---------------------------------------------------------------------
    def current_view(self) -> TableView:
        """What the table shows now, as a view."""
        column, order = self._model.sort_state()
        return TableView(
            query=self._bar.query(),
            columns=tuple(self._model.columns()),
            sort_column=self._model.column_id(column) if column >= 0 else "",
            descending=order == Qt.SortOrder.DescendingOrder,
            group_by=self._table.groups.group_by() or "",
        )

    def view_names(self) -> list[str]:
        return sorted(self.current().views, key=str.casefold)

    def save_view(self, name: str) -> None:
        """Save what the table shows under ``name`` (replacing a view of that name)."""
        name = name.strip()
        if not name:
            return
        self.current().views[name] = self.current_view()
        self._save()

    def delete_view(self, name: str) -> None:
        if self.current().views.pop(name, None) is not None:
            self._save()

    def apply_view(self, name: str) -> None:
        """Restore the view's filter, columns, sort and grouping."""
        view = self.current().views.get(name)
        if view is None:
            return
        self._bar.columnsChosen.emit(list(view.columns))
        column = self._model.column_of_id(view.sort_column) if view.sort_column else None
        order = Qt.SortOrder.DescendingOrder if view.descending else Qt.SortOrder.AscendingOrder
        if column is not None:
            self._table.sortByColumn(column, order)
        self.set_group_by(view.group_by)
        self._bar.set_query(view.query)

    def _fill_views_menu(self) -> None:
        menu = self._bar.views_menu
        menu.clear()
        menu.addAction("Save view as…", self._ask_view_name)
        names = self.view_names()
        if names:
            menu.addSection("Apply")
            for name in names:
                menu.addAction(name, partial(self.apply_view, name))
            delete = menu.addMenu("Delete view")
            for name in names:
                delete.addAction(name, partial(self.delete_view, name))
        else:
            menu.addAction("(no saved views for this experiment)").setEnabled(False)

    def _ask_view_name(self) -> None:
        name, ok = QInputDialog.getText(
            self._table, "Save view", "Name of the view (filter, columns, sort and grouping):"
        )
        if ok and name.strip():
            self.save_view(name)

    def _save(self) -> None:
        try:
            self.store.save()
        except OSError as exc:
            self.saveFailed.emit(
                f"Cannot save the table setup in {self.store.path}: {exc.strerror or exc}"
            )
