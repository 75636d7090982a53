"""The runs table in the Experiments pane: columns per experiment, grouping, saved views, and
the filter's completion, delayed errors and stale marker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_spools import summary, write_run
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette

from mlops_desktop.settings import Settings
from mlops_desktop.ui.item_models.runs_table import FIXED_HEADERS
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane
from mlops_desktop.ui.panes.experiments.run_filter import ERROR_PAUSE_MS, STALE_TEXT


def _pane(qtbot: Any, service: Any, runner: Any, home: Path, settings: Settings) -> Any:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, settings, home, ingest=ingest)
    widget.ingest_loop = ingest
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    return widget


@pytest.fixture
def pane(qtbot: Any, service: Any, runner: Any, home: Path, three_experiments: Any) -> Any:
    widget = _pane(qtbot, service, runner, home, Settings())
    yield widget
    widget.shutdown()


def choose(qtbot: Any, pane: Any, name: str | None, rows: int) -> None:
    qtbot.waitUntil(lambda: pane.experiments_list.topLevelItemCount() > 1, timeout=5000)
    assert pane.experiments_list.choose(name)
    qtbot.waitUntil(lambda: pane.model.rowCount() == rows and not pane.is_loading(), timeout=5000)


def ingest(qtbot: Any, pane: Any) -> None:
    with qtbot.waitSignal(pane.ingest_loop.newRuns, timeout=5000):
        pane.ingest_loop.ingest_now()


def test_columns_follow_the_experiment_and_new_keys_appear(
    qtbot: Any, pane: Any, home: Path
) -> None:
    choose(qtbot, pane, "digits", 6)
    digits = ["metrics.acc", "metrics.loss", "params.depth", "params.lr"]
    assert pane.model.columns() == digits
    choose(qtbot, pane, "cifar", 3)
    assert pane.model.columns() == ["metrics.acc", "params.lr"]  # its own keys, no leftovers

    write_run(home, "cifar", "bigger", params={"lr": 0.1, "batch": 64}, metrics={"acc": [0.4]})
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: "params.batch" in pane.model.columns(), timeout=5000)

    choose(qtbot, pane, "digits", 6)
    pane.filter_bar.columnsChosen.emit(["metrics.acc"])  # the person's choice for digits
    assert pane.model.columns() == ["metrics.acc"]
    choose(qtbot, pane, "cifar", 4)
    assert "metrics.acc" in pane.model.columns() and "params.batch" in pane.model.columns()
    choose(qtbot, pane, "digits", 6)
    assert pane.model.columns() == ["metrics.acc"]

    write_run(home, "digits", "decay", params={"lr": 0.1, "wd": 0.5}, metrics={"acc": [0.3]})
    ingest(qtbot, pane)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 7, timeout=5000)
    assert pane.model.columns() == ["metrics.acc"]  # chosen: a new key is offered, not added
    assert pane.filter_bar.new_keys() == ["params.wd"]
    assert "1 new" in pane.filter_bar.columns_button.text()


def test_columns_and_views_survive_a_restart(
    qtbot: Any, pane: Any, service: Any, runner: Any, home: Path
) -> None:
    choose(qtbot, pane, "digits", 6)
    setup = pane.table_setup
    pane.filter_bar.columnsChosen.emit(["metrics.acc", "params.lr"])
    acc = len(FIXED_HEADERS)
    pane.table.sortByColumn(acc, Qt.SortOrder.AscendingOrder)
    setup.set_group_by("params.depth")
    pane.filter_bar.set_query("metrics.acc > 0.6")
    qtbot.waitUntil(lambda: pane.filter_bar.count_label.text() == "4 runs", timeout=5000)
    setup.save_view("good ones")

    # change all four
    pane.filter_bar.set_query("")
    qtbot.waitUntil(lambda: pane.filter_bar.count_label.text() == "6 runs", timeout=5000)
    pane.filter_bar.columnsChosen.emit(["metrics.loss"])
    pane.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    pane.filter_bar.group_combo.setCurrentIndex(0)
    pane.filter_bar.group_combo.activated.emit(0)
    assert pane.table.groups.group_by() is None

    setup.apply_view("good ones")
    qtbot.waitUntil(lambda: pane.filter_bar.count_label.text() == "4 runs", timeout=5000)
    assert pane.filter_bar.query() == "metrics.acc > 0.6"
    assert pane.model.columns() == ["metrics.acc", "params.lr"]
    assert pane.model.sort_state() == (acc, Qt.SortOrder.AscendingOrder)
    assert pane.table.groups.group_by() == "params.depth"
    assert pane.filter_bar.group_combo.currentData() == "params.depth"
    pane.shutdown()

    again = _pane(qtbot, service, runner, home, Settings())
    choose(qtbot, again, "digits", 6)
    assert again.model.columns() == ["metrics.acc", "params.lr"]
    assert again.table.groups.group_by() == "params.depth"
    assert again.table_setup.view_names() == ["good ones"]
    again.table_setup.delete_view("good ones")
    assert again.table_setup.view_names() == []
    choose(qtbot, again, "cifar", 3)
    assert again.table_setup.view_names() == []  # views belong to their experiment
    again.shutdown()


def test_grouping_from_the_combo_shows_groups_and_keeps_selection_working(
    qtbot: Any, pane: Any
) -> None:
    choose(qtbot, pane, None, 10)
    combo = pane.filter_bar.group_combo
    index = combo.findData("params.lr")
    assert index > 0
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    groups = pane.table.groups
    assert {g.label: len(g.rows) for g in groups.groups()}["0.1"] == 3  # the cifar runs
    row = next(r for r in range(groups.rowCount()) if groups.run_at(r) is not None)
    pane.table.selectRow(row)
    assert [r.id for r in pane.selected_runs()] == [groups.run_at(row).id]
    pane.table.clicked.emit(groups.index(0, 1))  # a click on a group row folds it
    assert groups.rowCount() < 10 + len(groups.groups())

    depth = pane.model.column_of_id("params.depth")
    menu = pane.table.pinned.header_menu(depth)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Pin column", "Group by this column", "Hide column"]
    menu.actions()[1].trigger()
    assert groups.group_by() == "params.depth"
    assert pane.filter_bar.group_combo.currentData() == "params.depth"
    assert pane.table_setup.current().group_by == "params.depth"
    menu.actions()[2].trigger()
    assert "params.depth" not in pane.model.columns()


def test_completion_offers_fields_then_values(
    qtbot: Any, pane: Any, home: Path, service: Any
) -> None:
    write_run(home, "opts", "a", params={"opt": "adam", "lr": 0.1}, metrics={"acc": [0.5]})
    write_run(home, "opts", "b", params={"opt": "sgd", "lr": 0.2}, tags={"team": "vision"})
    ingest(qtbot, pane)
    names = lambda: [e.name for e in pane.experiments_list.experiments]  # noqa: E731
    qtbot.waitUntil(lambda: "opts" in names(), timeout=5000)
    choose(qtbot, pane, "opts", 2)
    edit = pane.filter_bar.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "par")
    assert "params.lr" in pane.completer.choices()
    assert "params.opt" in pane.completer.choices()
    assert not any(c.startswith("metrics.") for c in pane.completer.choices())
    pane.completer.insert("params.opt")
    assert edit.text() == "params.opt"
    qtbot.keyClicks(edit, " = ")
    assert pane.completer.choices() == ['"adam"', '"sgd"']
    pane.completer.insert('"sgd"')
    assert edit.text() == 'params.opt = "sgd"'
    qtbot.keyClicks(edit, " and tags.team = ")
    assert pane.completer.choices() == ['"vision"']
    qtbot.keyClick(edit, Qt.Key.Key_Escape)


def test_an_incomplete_query_is_told_only_after_a_pause_and_marks_rows_stale(
    qtbot: Any, pane: Any
) -> None:
    choose(qtbot, pane, "digits", 6)
    bar = pane.filter_bar
    qtbot.keyClicks(bar.edit, "metrics.acc >")
    assert not bar.error_label.isVisible()  # not red while typing
    assert bar.edit.property("invalid") is not True
    qtbot.waitUntil(bar.error_label.isVisible, timeout=ERROR_PAUSE_MS * 5)
    assert bar.edit.property("invalid") is True
    assert bar.is_stale() and bar.stale_label.isVisible()
    assert bar.stale_label.text() == STALE_TEXT
    assert pane.table.groups.is_stale()
    grey = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    index = pane.table.groups.index(0, 1)
    assert pane.table.groups.data(index, Qt.ItemDataRole.ForegroundRole) == grey
    assert pane.model.rowCount() == 6  # the rows of the last valid filter stay

    qtbot.keyClicks(bar.edit, " 0.75")
    assert not bar.error_label.isVisible()  # typing again: the error waits for the next pause
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3 and not pane.is_loading(), timeout=5000)
    assert not bar.is_stale() and not bar.stale_label.isVisible()
    assert not pane.table.groups.is_stale()


def test_enter_on_a_bad_query_tells_at_once(qtbot: Any, pane: Any) -> None:
    choose(qtbot, pane, "digits", 6)
    bar = pane.filter_bar
    bar.edit.setText("params.lr = = 1")
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert bar.error_label.isVisible() and bar.is_stale()


def test_a_live_update_of_some_runs_adds_their_new_keys(qtbot: Any, pane: Any) -> None:
    choose(qtbot, pane, "cifar", 3)
    fresh = summary("x1", experiment="cifar", params={"lr": 0.1, "warmup": 5}, tags={"t": "a"})
    columns = pane.table_setup.columns_after_change([fresh], "")
    assert "params.warmup" in columns and "params.lr" in columns
    assert pane.filter_bar.group_combo.findData("tags.t") > 0
