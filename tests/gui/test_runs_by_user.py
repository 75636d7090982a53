"""Who ran what in the runs table: the User column, ``user = '...'`` in the filter, Group by
user, and the "Mine" button (kept in the settings), against a real ExperimentService."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run
from PySide6.QtCore import Qt

from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.settings import Settings
from mlops_desktop.tracking.who import os_user
from mlops_desktop.ui.item_models.runs_table import COL_USER, FIXED_HEADERS, RUN_ID_ROLE
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes.experiments.filter_completion import completions_at
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane
from mlops_desktop.ui.panes.experiments.run_filter import MINE_ON

ME = os_user()


@pytest.fixture
def by_user(home: Path, service: ExperimentService) -> dict[str, str]:
    """Four runs: two of this OS user, one of alice on gpu1, one from an old spool (no user)."""
    runs = {
        "mine-1": write_run(home, "lab", "mine-1", metrics={"acc": [0.5]}, user=ME),
        "mine-2": write_run(home, "lab", "mine-2", metrics={"acc": [0.7]}, user=ME),
        "alice": write_run(home, "lab", "alice", metrics={"acc": [0.9]}, user="alice", host="gpu1"),
        "old": write_run(home, "lab", "old", metrics={"acc": [0.1]}),
    }
    service.ingest()
    return runs


def _pane(qtbot: Any, service: Any, runner: Any, home: Path, settings: Settings) -> Any:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, settings, home, ingest=ingest)
    widget.ingest_loop = ingest  # kept alive for the test
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    return widget


def _names(pane: Any) -> set[str]:
    model = pane.model
    return {model.run_at(row).name for row in range(model.rowCount())}


def _wait_rows(qtbot: Any, pane: Any, names: set[str]) -> None:
    qtbot.waitUntil(lambda: _names(pane) == names and not pane.is_loading(), timeout=5000)


def test_user_column_filter_and_grouping(
    qtbot: Any, service: Any, runner: Any, home: Path, by_user: dict[str, str]
) -> None:
    pane = _pane(qtbot, service, runner, home, Settings())
    _wait_rows(qtbot, pane, set(by_user))
    model = pane.model
    assert (
        model.headerData(COL_USER, Qt.Orientation.Horizontal) == "User" == FIXED_HEADERS[COL_USER]
    )
    shown = {model.run_at(r).name: model.index(r, COL_USER).data() for r in range(4)}
    assert shown == {"mine-1": ME, "mine-2": ME, "alice": "alice", "old": "unknown"}
    alice_row = model.row_of(by_user["alice"])
    assert (
        model.index(alice_row, COL_USER).data(Qt.ItemDataRole.ToolTipRole) == "alice ran it on gpu1"
    )

    pane.filter_bar.edit.setText("user = ")  # completion offers the users shown, then hosts
    pane.filter_bar.edit.setCursorPosition(7)
    pane.completer.update_choices()
    assert pane.completer.choices() == sorted(['"alice"', f'"{ME}"'])
    assert completions_at('host != "g', pane.model.runs()) == ('"g', ['"gpu1"', '"localhost"'])
    assert completions_at("metrics.user = ", pane.model.runs()) == ("", [])
    pane.filter_bar.edit.setText("user = 'alice' or user is null")
    pane.filter_bar.edit.returnPressed.emit()
    _wait_rows(qtbot, pane, {"alice", "old"})

    pane.filter_bar.edit.setText("")
    pane.filter_bar.edit.returnPressed.emit()
    _wait_rows(qtbot, pane, set(by_user))
    combo = pane.filter_bar.group_combo
    index = combo.findData("user")
    assert index > 0 and combo.itemText(index) == "Group by user"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    groups = pane.table.groups
    assert groups.group_by() == "user"
    labels = {g.label: {model.run_at(r).name for r in g.rows} for g in groups.groups()}
    assert labels == {ME: {"mine-1", "mine-2"}, "alice": {"alice"}, "unknown": {"old"}}
    assert [g.label for g in groups.groups()][-1] == "unknown"  # not recorded: last

    menu = pane.table.pinned.header_menu(COL_USER)  # the User column's title offers it too
    assert [a.text() for a in menu.actions()] == ["Pin column", "Stop grouping"]
    menu.actions()[1].trigger()
    assert groups.group_by() is None and combo.currentData() == ""
    menu = pane.table.pinned.header_menu(COL_USER)
    assert [a.text() for a in menu.actions()] == ["Pin column", "Group by this column"]
    menu.actions()[1].trigger()
    assert groups.group_by() == "user" and combo.currentData() == "user"
    pane.shutdown()


def test_mine_shows_only_this_users_runs_and_is_remembered(
    qtbot: Any, service: Any, runner: Any, home: Path, by_user: dict[str, str]
) -> None:
    settings = Settings()
    pane = _pane(qtbot, service, runner, home, settings)
    _wait_rows(qtbot, pane, set(by_user))
    button = pane.filter_bar.mine_button
    assert button.isVisible() and button.text() == "Mine" and not button.isChecked()
    button.click()
    _wait_rows(qtbot, pane, {"mine-1", "mine-2"})
    assert pane.filter_bar.count_label.text() == "2 runs, yours"
    assert Settings.load(home).runs_mine is True  # saved at once
    assert button.text() == MINE_ON  # on shows at a glance

    pane.filter_bar.edit.setText("metrics.acc > 0.6")  # Mine narrows the typed filter
    pane.filter_bar.edit.returnPressed.emit()
    _wait_rows(qtbot, pane, {"mine-2"})
    assert pane.filter_bar.query() == "metrics.acc > 0.6"  # the box keeps what was typed
    pane.shutdown()

    again = _pane(qtbot, service, runner, home, Settings.load(home))
    assert again.filter_bar.mine_button.isChecked()
    assert again.filter_bar.mine_button.text() == MINE_ON
    _wait_rows(qtbot, again, {"mine-1", "mine-2"})
    again.filter_bar.mine_button.click()
    _wait_rows(qtbot, again, set(by_user))
    assert Settings.load(home).runs_mine is False
    ids = {again.model.index(r, 0).data(RUN_ID_ROLE) for r in range(again.model.rowCount())}
    assert ids == set(by_user.values())
    again.shutdown()
