"""Live updates of the runs table read only the runs an ingest changed and touch only their rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_spools import SpoolBuilder
from gui_spools import summary, write_run
from PySide6.QtCore import Qt

from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.settings import Settings
from mlops_desktop.ui.item_models.runs_table import RunsTableModel
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane
from mlops_desktop.ui.panes.experiments.runs_loader import RunsLoader

SWEEP_RUNS = 8


class Calls:
    """Counts the service's whole listings and records the runs read one by one."""

    def __init__(self, service: ExperimentService, monkeypatch: pytest.MonkeyPatch) -> None:
        self.listings = 0
        self.summaries: list[set[str]] = []
        list_runs, run_summaries = service.list_runs, service.run_summaries

        def counted_list_runs(*args: Any, **kwargs: Any) -> Any:
            self.listings += 1
            return list_runs(*args, **kwargs)

        def recorded_summaries(run_ids: Any) -> Any:
            self.summaries.append(set(run_ids))
            return run_summaries(run_ids)

        monkeypatch.setattr(service, "list_runs", counted_list_runs)
        monkeypatch.setattr(service, "run_summaries", recorded_summaries)


class ModelChanges:
    """Which rows a model said changed, and whether it was reset, or rows came or went."""

    def __init__(self, model: RunsTableModel) -> None:
        self.rows: set[int] = set()
        self.structure: list[str] = []
        model.dataChanged.connect(
            lambda top, bottom, *_: self.rows.update(range(top.row(), bottom.row() + 1))
        )
        model.modelReset.connect(lambda: self.structure.append("reset"))
        model.rowsInserted.connect(lambda *_: self.structure.append("insert"))
        model.rowsRemoved.connect(lambda *_: self.structure.append("remove"))
        model.rowsMoved.connect(lambda *_: self.structure.append("move"))


@pytest.fixture
def live_run(home: Path, service: ExperimentService) -> SpoolBuilder:
    """``sweep``: 8 finished runs (acc 0.1..0.8) and one running run (acc 0.5); ``other``: 1."""
    for i in range(SWEEP_RUNS):
        write_run(home, "sweep", f"done-{i}", metrics={"acc": [(i + 1) / 10]}, started_at=1e9 + i)
    write_run(home, "other", "elsewhere", metrics={"acc": [0.3]}, started_at=1e9)
    live = SpoolBuilder(home).start(experiment="sweep", name="live", started_at=1e9 + 100)
    live.params(lr=0.1).series("acc", [0.5]).write()
    service.ingest()
    return live


@pytest.fixture
def pane(qtbot: Any, service: Any, runner: Any, home: Path, live_run: Any) -> Iterator[Any]:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    widget.ingest_loop = ingest
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitUntil(lambda: widget.experiments_list.topLevelItemCount() > 2, timeout=5000)
    assert widget.experiments_list.choose("sweep")
    qtbot.waitUntil(
        lambda: widget.model.rowCount() == SWEEP_RUNS + 1 and not widget.is_loading(), timeout=5000
    )
    yield widget
    widget.shutdown()


def ingest(qtbot: Any, pane: Any) -> None:
    with qtbot.waitSignal(pane.ingest_loop.changes, timeout=5000):
        pane.ingest_loop.ingest_now()
    qtbot.waitUntil(lambda: not pane.is_loading(), timeout=5000)


def shown(pane: Any, run_id: str) -> Any:
    row = pane.model.row_of(run_id)
    return None if row is None else pane.model.run_at(row)


def test_live_ingest_reads_only_the_changed_run_and_changes_only_its_row(
    qtbot: Any, pane: Any, service: Any, live_run: SpoolBuilder, monkeypatch: Any
) -> None:
    calls = Calls(service, monkeypatch)
    changes = ModelChanges(pane.model)
    live_run.series("acc", [0.55], first_step=1).write()
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: shown(pane, live_run.run_id).metrics["acc"] == 0.55, timeout=5000)
    assert calls.listings == 0
    assert calls.summaries == [{live_run.run_id}]
    assert changes.rows == {pane.model.row_of(live_run.run_id)}
    assert changes.structure == []
    assert pane.model.rowCount() == SWEEP_RUNS + 1

    live_run.end("finished").write()  # running -> finished updates the row
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: shown(pane, live_run.run_id).status == "finished", timeout=5000)
    assert calls.listings == 0


def test_a_run_leaves_when_it_stops_matching_the_filter_and_comes_back(
    qtbot: Any, pane: Any, service: Any, live_run: SpoolBuilder, monkeypatch: Any
) -> None:
    pane.filter_bar.edit.setText("metrics.acc < 0.7")
    qtbot.keyClick(pane.filter_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 7 and not pane.is_loading(), timeout=5000)
    calls = Calls(service, monkeypatch)
    live_run.series("acc", [0.9], first_step=1).write()
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: pane.model.row_of(live_run.run_id) is None, timeout=5000)
    assert pane.model.rowCount() == 6
    assert pane.filter_bar.count_label.text().startswith("6")
    live_run.series("acc", [0.2], first_step=2).write()
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: pane.model.row_of(live_run.run_id) is not None, timeout=5000)
    assert calls.listings == 0
    # the runs kept for a new filter were patched too: no stale value when the filter changes
    pane.filter_bar.edit.setText("metrics.acc < 0.25")
    qtbot.keyClick(pane.filter_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3 and not pane.is_loading(), timeout=5000)
    assert shown(pane, live_run.run_id).metrics["acc"] == 0.2
    assert calls.listings == 0


def test_a_new_run_elsewhere_bumps_its_count_without_reloading_the_table(
    qtbot: Any, pane: Any, service: Any, home: Path, monkeypatch: Any
) -> None:
    calls = Calls(service, monkeypatch)
    changes = ModelChanges(pane.model)
    other = next(
        pane.experiments_list.topLevelItem(i)
        for i in range(pane.experiments_list.topLevelItemCount())
        if pane.experiments_list.topLevelItem(i).text(0) == "other"
    )
    assert other.text(1) == "1"
    write_run(home, "other", "second", metrics={"acc": [0.1]})
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: other.text(1) == "2", timeout=5000)
    assert pane.experiments_list.topLevelItem(0).text(1) == f"{SWEEP_RUNS + 3}"
    assert pane.experiments_list.currentItem().text(0) == "sweep"
    assert calls.listings == 0
    assert changes.structure == [] and not changes.rows
    assert pane.model.rowCount() == SWEEP_RUNS + 1


def test_a_new_run_of_the_shown_experiment_enters_and_selection_stays(
    qtbot: Any, pane: Any, service: Any, home: Path, live_run: SpoolBuilder, monkeypatch: Any
) -> None:
    pane.table.select_run_ids([live_run.run_id])
    calls = Calls(service, monkeypatch)
    changes = ModelChanges(pane.model)
    fresh = write_run(home, "sweep", "fresh", metrics={"acc": [0.99]}, started_at=2e9)
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: pane.model.row_of(fresh) == 0, timeout=5000)  # newest on top
    assert changes.structure == ["insert"]
    assert [run.id for run in pane.table.selected_runs()] == [live_run.run_id]
    assert calls.listings == 0
    assert pane.filter_bar.count_label.text().startswith(f"{SWEEP_RUNS + 2}")


def test_a_changed_row_moves_under_a_metric_sort_and_stays_selected(
    qtbot: Any, pane: Any, live_run: SpoolBuilder
) -> None:
    pane.filter_bar.columnsChosen.emit(["metrics.acc"])
    column = pane.model.columnCount() - 1
    pane.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    pane.table.select_run_ids([live_run.run_id])
    assert pane.model.row_of(live_run.run_id) in (3, 4)  # after 0.8, 0.7, 0.6
    live_run.series("acc", [0.95], first_step=1).write()
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: pane.model.row_of(live_run.run_id) == 0, timeout=5000)
    assert [run.id for run in pane.table.selected_runs()] == [live_run.run_id]
    values = [pane.model.run_at(r).metrics["acc"] for r in range(pane.model.rowCount())]
    assert values == sorted(values, reverse=True)


def test_a_brushed_table_keeps_only_the_brushed_runs_on_live_updates(
    qtbot: Any, pane: Any, home: Path, live_run: SpoolBuilder
) -> None:
    brushed = {run.id for run in pane.model.runs() if run.id != live_run.run_id}
    brushed = set(sorted(brushed)[:3])
    pane.brush.set_ids(brushed)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3 and not pane.is_loading(), timeout=5000)
    live_run.series("acc", [0.6], first_step=1).write()
    fresh = write_run(home, "sweep", "fresh", metrics={"acc": [0.99]}, started_at=2e9)
    with qtbot.waitSignal(pane.loader.rowsChanged, timeout=5000):
        pane.ingest_loop.ingest_now()
    assert {run.id for run in pane.model.runs()} == brushed
    pane.brush.clear()  # the runs read live are in the runs kept for a new filter
    qtbot.waitUntil(lambda: pane.model.rowCount() == SWEEP_RUNS + 2, timeout=5000)
    assert shown(pane, fresh) is not None and shown(pane, live_run.run_id).metrics["acc"] == 0.6


def test_update_rows_moves_inserts_and_removes_only_given_rows(qtbot: Any) -> None:
    model = RunsTableModel()
    model.set_columns(["metrics.acc"])
    model.set_runs([summary(f"r{i}", metrics={"acc": float(i)}) for i in range(10)])
    model.sort(model.columnCount() - 1, Qt.SortOrder.AscendingOrder)
    changes = ModelChanges(model)
    model.update_rows(
        [summary("r2", metrics={"acc": 7.5}), summary("new", metrics={"acc": 3.5})],
        removed=["r9", "unknown"],
    )
    order = [model.run_at(r).id for r in range(model.rowCount())]
    assert order == ["r0", "r1", "r3", "new", "r4", "r5", "r6", "r7", "r2", "r8"]
    assert changes.structure == ["remove", "move", "insert"]
    assert all(model.row_of(run_id) == row for row, run_id in enumerate(order))
    model.update_rows([summary("nan", metrics={})])  # no value: sorted last
    assert model.row_of("nan") == model.rowCount() - 1


class GatedService:
    """A service whose whole listing waits for a gate; records the runs read one by one."""

    def __init__(self, runs: list[Any]) -> None:
        self.runs = runs
        self.gate = threading.Event()
        self.live_gate = threading.Event()
        self.live_gate.set()
        self.read: list[set[str]] = []

    def list_runs(self, experiment: str | None, query: str | None) -> list[Any]:
        self.gate.wait(5)
        return list(self.runs)

    def run_summaries(self, run_ids: Any) -> list[Any]:
        self.read.append(set(run_ids))
        self.live_gate.wait(5)
        return [run for run in self.runs if run.id in run_ids]


def test_changes_during_a_load_are_read_after_it_once_and_survive_a_new_filter(
    qtbot: Any, runner: Any
) -> None:
    service = GatedService([summary("a", metrics={"acc": 0.1}), summary("b")])
    loader = RunsLoader(service, runner)  # type: ignore[arg-type]
    loads: list[Any] = []
    rows: list[Any] = []
    loader.runsLoaded.connect(loads.append)
    loader.rowsChanged.connect(rows.append)
    assert not loader.load_changed_runs({"a"})  # nothing shown yet: a whole load is needed
    loader.load_runs("exp", "")
    assert loader.load_changed_runs({"a"}) and loader.load_changed_runs({"b"})
    service.runs[0] = summary("a", metrics={"acc": 0.9})
    service.gate.set()
    qtbot.waitUntil(lambda: len(rows) == 1 and not loader.is_loading(), timeout=5000)
    assert len(loads) == 1 and service.read == [{"a", "b"}]  # after the load, once for both
    assert rows[0].fetched[0].metrics == {"acc": 0.9}
    # a new filter over the runs fetched supersedes a live update in flight: its runs are
    # read again after the filter, with the new filter
    service.live_gate.clear()
    service.runs[0] = summary("a", metrics={"acc": 0.95})
    loader.load_changed_runs({"a"})
    qtbot.waitUntil(lambda: len(service.read) == 2, timeout=5000)  # in flight, at the gate
    loader.load_runs("exp", "metrics.acc > 0.5", cached=rows[0].fetched)
    qtbot.waitUntil(lambda: len(loads) == 2, timeout=5000)
    assert [run.id for run in loads[1].runs] == ["a"]
    service.live_gate.set()
    qtbot.waitUntil(lambda: len(rows) == 2 and not loader.is_loading(), timeout=5000)
    assert len(service.read) == 3
    assert rows[1].query == "metrics.acc > 0.5" and rows[1].changed[0].metrics == {"acc": 0.95}
    service.runs[0] = summary("a", metrics={"acc": 0.2})
    loader.load_changed_runs({"a"})
    qtbot.waitUntil(lambda: len(rows) == 3 and not loader.is_loading(), timeout=5000)
    assert rows[2].gone == {"a"} and not rows[2].changed
    assert rows[2].fetched[0].metrics == {"acc": 0.2}  # still among the runs fetched
