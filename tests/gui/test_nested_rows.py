"""Nested runs in the runs table: children under their parent, folded by default, indented,
kept under it by sorting and live updates, a filter's context parent greyed, and the Detail
header's link to the parent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_spools import summary, write_run
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPalette

from mlops_desktop.settings import Settings
from mlops_desktop.ui.item_models.run_groups import NEST_INDENT, RunGroupsModel
from mlops_desktop.ui.item_models.runs_table import (
    COL_NAME,
    FIXED_HEADERS,
    RunsTableModel,
)
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane
from mlops_desktop.ui.panes.experiments.run_detail import RUN_LINK
from mlops_desktop.ui.panes.experiments.runs_view import RunsTableView

ACC = len(FIXED_HEADERS)  # the metrics.acc column


def _family() -> list[Any]:
    """p (5 children c0..c4, c2 with a grandchild g), and a lone run l, newest first."""
    kids = [
        summary(
            f"c{i}",
            name=f"child-{i}",
            parent_run_id="p",
            metrics={"acc": 0.1 * i},
            started_at=10 + i,
        )
        for i in range(5)
    ]
    grandchild = summary("g", name="grand", parent_run_id="c2", metrics={"acc": 0.9}, started_at=20)
    lone = summary("l", name="lone", metrics={"acc": 0.5}, started_at=30)
    parent = summary("p", name="parent", metrics={"acc": 0.2}, started_at=1)
    return [lone, grandchild, *reversed(kids), parent]


def _names(groups: RunGroupsModel) -> list[str]:
    return [groups.data(groups.index(r, COL_NAME)) for r in range(groups.rowCount())]


def _ids(groups: RunGroupsModel) -> list[str]:
    return [run.id for r in range(groups.rowCount()) if (run := groups.run_at(r)) is not None]


def test_children_fold_under_their_parent_and_follow_the_sort(qtmodeltester: Any) -> None:
    source = RunsTableModel()
    source.set_columns(["metrics.acc"])
    groups = RunGroupsModel(source)
    source.set_runs(_family())
    qtmodeltester.check(groups, force_py=True)  # watches every change below
    assert _ids(groups) == ["l", "p"]  # children folded by default
    assert _names(groups)[1] == "▸ parent · 5 children"
    assert groups.is_parent_row(1) and not groups.is_parent_row(0)
    assert groups.child_count("p") == 5 and groups.child_count("c2") == 1

    assert groups.toggle_children_at(1)
    assert _ids(groups) == ["l", "p", "c4", "c3", "c2", "c1", "c0"]
    assert _names(groups)[1] == "▾ parent · 5 children"
    assert _names(groups)[4] == f"{NEST_INDENT}▸ child-2 · 1 child"
    assert _names(groups)[2] == f"{NEST_INDENT}child-4"
    assert groups.depth_at(2) == 1
    assert groups.row_of("g") is None  # its parent c2 is folded
    row = groups.row_of("g", expand=True)  # unfolds the ancestors
    assert row == 5 and groups.depth_at(row) == 2 and groups.is_expanded("c2")
    assert _names(groups)[5] == f"{NEST_INDENT * 2}grand"

    # sorting by acc (highest first) sorts the top runs, and children among themselves
    groups.sort(ACC, Qt.SortOrder.DescendingOrder)
    assert _ids(groups) == ["l", "p", "c4", "c3", "c2", "g", "c1", "c0"]
    groups.sort(ACC, Qt.SortOrder.AscendingOrder)
    assert _ids(groups) == ["p", "c0", "c1", "c2", "g", "c3", "c4", "l"]
    groups.set_expanded("p", False)
    assert _ids(groups) == ["p", "l"]
    source.set_runs(_family())  # a reload keeps what was folded and unfolded
    assert _ids(groups) == ["p", "l"] and groups.is_expanded("c2")


def test_live_updates_keep_children_under_their_parent(qtbot: Any, qtmodeltester: Any) -> None:
    source = RunsTableModel()
    groups = RunGroupsModel(source)
    qtmodeltester.check(groups, force_py=True)  # watches every change below
    source.set_runs([summary("l", started_at=2), summary("p", name="parent", started_at=1)])
    assert _ids(groups) == ["l", "p"]  # no nesting: the rows are the source's
    groups.set_expanded("p", True)
    source.update_rows([summary("c", name="kid", parent_run_id="p", started_at=3)])
    qtbot.waitUntil(lambda: _ids(groups) == ["l", "p", "c"], timeout=2000)  # newest, yet under p
    assert groups.child_count("p") == 1
    source.update_rows([summary("c", name="kid", parent_run_id="p", started_at=3, status="failed")])
    assert groups.run_at(2).status == "failed"
    source.update_rows([], removed=["c"])
    assert _ids(groups) == ["l", "p"] and not groups.is_parent_row(1)


def test_grouped_runs_nest_within_their_group() -> None:
    source = RunsTableModel()
    groups = RunGroupsModel(source)
    runs = [
        summary("c", parent_run_id="p", params={"opt": "adam"}, started_at=3),
        summary("x", parent_run_id="p", params={"opt": "sgd"}, started_at=2),
        summary("p", params={"opt": "adam"}, started_at=1),
    ]
    source.set_runs(runs)
    groups.set_group_by("params.opt")
    groups.set_expanded("p", True)
    rows = [groups.run_at(r).id if groups.run_at(r) else "-" for r in range(groups.rowCount())]
    assert rows == ["-", "p", "c", "-", "x"]  # x's parent is in another group: a top row there


def test_a_click_on_the_triangle_folds_and_elsewhere_selects(qtbot: Any) -> None:
    source = RunsTableModel()
    view = RunsTableView(source)
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    source.set_runs(_family())
    view.sortByColumn(COL_NAME, Qt.SortOrder.DescendingOrder)  # "parent" above "lone"
    row = view.groups.row_of("p")
    assert row == 0
    rect = view.visualRect(view.groups.index(row, COL_NAME))
    on_triangle = QPoint(view.triangle_right(row) - 4, rect.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_triangle)
    assert view.groups.is_expanded("p") and view.groups.rowCount() == 7
    assert view.selected_runs() == []  # the triangle folds, it does not select
    on_name = QPoint(rect.right() - 4, rect.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_name)
    assert [run.id for run in view.selected_runs()] == ["p"]
    assert view.groups.is_expanded("p")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=on_triangle)
    assert view.groups.rowCount() == 2
    assert [run.id for run in view.selected_runs()] == ["p"]  # the selection stays


@pytest.fixture
def sweep(home: Path, service: Any) -> dict[str, Any]:
    parent = write_run(home, "sweep", "search", metrics={"acc": [0.5]}, started_at=100)
    kids = [
        write_run(
            home,
            "sweep",
            f"trial-{i}",
            metrics={"acc": [0.6 + i / 10]},
            started_at=101 + i,
            tags={"mlops.parent_run_id": parent},
        )
        for i in range(5)
    ]
    service.ingest()
    return {"parent": parent, "kids": kids}


@pytest.fixture
def pane(qtbot: Any, service: Any, runner: Any, home: Path, sweep: Any) -> Any:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    widget.ingest_loop = ingest
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    yield widget
    widget.shutdown()


def test_a_filter_keeps_the_parent_greyed_and_the_detail_links_to_it(
    qtbot: Any, pane: Any, sweep: dict[str, Any]
) -> None:
    parent, kids = sweep["parent"], sweep["kids"]
    groups = pane.table.groups
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6 and not pane.is_loading(), timeout=5000)
    assert groups.rowCount() == 1 and groups.child_count(parent) == 5

    pane.filter_bar.edit.setText("metrics.acc > 0.95")
    qtbot.keyClick(pane.filter_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2 and not pane.is_loading(), timeout=5000)
    assert groups.context_runs() == frozenset({parent})
    assert pane.filter_bar.count_label.text() == "1 run"
    grey = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert groups.data(groups.index(0, COL_NAME), Qt.ItemDataRole.ForegroundRole) == grey
    assert groups.run_at(0).id == parent and groups.child_count(parent) == 1

    pane.table.select_run_ids([kids[4]])  # unfolds the parent to show it
    assert groups.is_expanded(parent)
    qtbot.waitUntil(lambda: pane.detail.detail is not None, timeout=5000)
    qtbot.waitUntil(lambda: pane.detail.detail.summary.id == kids[4], timeout=5000)
    header = pane.detail.family_label
    assert header.isVisible() and "child of" in header.text() and ">search</a>" in header.text()
    pane.detail.family_label.linkActivated.emit(RUN_LINK + parent)
    assert [run.id for run in pane.table.selected_runs()] == [parent]
    qtbot.waitUntil(lambda: pane.detail.detail.summary.id == parent, timeout=5000)
    assert "Children (5)" in header.text() and ">trial-0</a>" in header.text()
