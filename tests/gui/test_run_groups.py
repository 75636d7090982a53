"""The runs table's grouping model, colour swatch, pinned columns and stored setup."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from gui_spools import summary
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon

from mlops_desktop.services.table_views import (
    TABLE_VIEWS_FILENAME,
    TableView,
    TableViewsStore,
)
from mlops_desktop.ui.charts.palette import PIN_COLOR_TAG, color_of_run, stable_run_color
from mlops_desktop.ui.item_models.run_groups import RANGE_DASH, RunGroupsModel
from mlops_desktop.ui.item_models.runs_table import (
    COL_NAME,
    COL_STARTED,
    FIXED_HEADERS,
    RUN_ID_ROLE,
    RunsTableModel,
)
from mlops_desktop.ui.panes.experiments.runs_view import RunsTableView


def _runs() -> list[Any]:
    return [
        summary("a1", params={"opt": "adam"}, metrics={"acc": 0.9, "loss": 0.1}, started_at=1),
        summary("b2", params={"opt": "adam"}, metrics={"acc": 0.7, "loss": 0.3}, started_at=2),
        summary("c3", params={"opt": "sgd"}, metrics={"acc": 0.5, "loss": math.nan}, started_at=3),
        summary("d4", params={"opt": "adam"}, metrics={"acc": 0.8}, started_at=4),
        summary("e5", params={}, metrics={"acc": 0.1}, started_at=5),
    ]


def _model() -> RunsTableModel:
    model = RunsTableModel()
    model.set_columns(["metrics.acc", "metrics.loss"])
    model.set_runs(_runs())
    return model


def test_group_by_a_param_counts_and_aggregates(qtmodeltester: Any) -> None:
    source = _model()
    groups = RunGroupsModel(source)
    assert groups.rowCount() == 5  # no grouping: the same rows
    groups.set_group_by("params.opt")
    qtmodeltester.check(groups, force_py=True)
    found = {g.label: len(g.rows) for g in groups.groups()}
    assert found == {"adam": 3, "sgd": 1, "(none)": 1}
    assert groups.rowCount() == 5 + 3
    assert groups.is_group_row(0)
    acc = len(FIXED_HEADERS)
    adam = groups.groups()[0]
    mean, low, high = groups.group_stats(adam, "metrics.acc") or (0, 0, 0)
    assert math.isclose(mean, 0.8) and low == 0.7 and high == 0.9
    assert groups.group_stats(groups.groups()[1], "metrics.loss") is None  # NaN only: none
    assert groups.data(groups.index(0, acc)) == f"0.8 (0.7{RANGE_DASH}0.9)"
    assert "adam" in groups.data(groups.index(0, COL_NAME)) and "3 runs" in groups.data(
        groups.index(0, COL_NAME)
    )
    assert not groups.flags(groups.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert groups.run_at(0) is None and groups.run_at(1) is not None

    groups.toggle_group_at(0)  # fold "adam"
    assert groups.rowCount() == 5
    assert groups.row_of("a1") is None
    assert groups.row_of("a1", expand=True) is not None
    assert groups.rowCount() == 8


def test_grouped_rows_follow_live_updates_and_sort(qtbot: Any) -> None:
    source = _model()
    view = RunsTableView(source)
    qtbot.addWidget(view)
    view.set_group_by("params.opt")
    view.select_run_ids(["b2"])
    layouts: list[int] = []
    view.groups.layoutChanged.connect(lambda *_: layouts.append(1))
    source.update_runs([summary("a1", params={"opt": "adam"}, metrics={"acc": 1.0}, started_at=1)])
    header = view.groups.data(view.groups.index(0, len(FIXED_HEADERS)))
    assert header == f"0.833 (0.7{RANGE_DASH}1)"  # the aggregate follows, in place
    assert not layouts
    source.update_runs([summary("f6", params={"opt": "sgd"}, metrics={"acc": 0.2})])
    qtbot.waitUntil(lambda: len(view.groups.groups()[1].rows) == 2)
    assert [r.id for r in view.selected_runs()] == ["b2"]
    source.update_runs([summary("b2", params={"opt": "zeta"}, metrics={"acc": 0.7})])
    qtbot.waitUntil(lambda: len(view.groups.groups()) == 4)  # b2 moved to a new group
    assert [g.label for g in view.groups.groups()] == ["adam", "sgd", "zeta", "(none)"]
    assert view.groups.run_at(view.groups.rowCount() - 3).id == "b2"  # past the source rows
    assert [r.id for r in view.selected_runs()] == ["b2"]
    source.update_runs([summary("b2", params={"opt": "adam"}, metrics={"acc": 0.7})])
    qtbot.waitUntil(lambda: len(view.groups.groups()) == 3)
    view.sortByColumn(len(FIXED_HEADERS), Qt.SortOrder.AscendingOrder)  # acc, ascending
    adam_rows = [view.groups.run_at(r) for r in range(1, 4)]
    assert [run.id for run in adam_rows if run is not None] == ["b2", "d4", "a1"]
    assert [r.id for r in view.selected_runs()] == ["b2"]


def test_name_shows_a_swatch_of_the_run_colour() -> None:
    model = RunsTableModel()
    pinned = summary("p1", tags={PIN_COLOR_TAG: "#123456"})
    model.set_runs([summary("a1"), pinned])
    for row in range(2):
        run = model.run_at(row)
        icon = model.data(model.index(row, COL_NAME), Qt.ItemDataRole.DecorationRole)
        assert isinstance(icon, QIcon)
        image = icon.pixmap(10, 10).toImage()
        assert image.pixelColor(5, 5).name() == color_of_run(run).name()
    assert stable_run_color("p1", pinned.tags).name() == "#123456"


def test_pinned_column_stays_in_sight_when_scrolled(qtbot: Any) -> None:
    model = RunsTableModel()
    model.set_columns([f"metrics.m{i}" for i in range(20)])
    model.set_runs(_runs())
    view = RunsTableView(model)
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    frozen = view.pinned.view
    assert view.pinned_columns() == ["name"]
    assert view.horizontalHeader().visualIndex(COL_NAME) == 0
    assert frozen.isVisible() and not frozen.isColumnHidden(COL_NAME)
    assert frozen.isColumnHidden(COL_STARTED)
    view.set_pinned_columns(["name", "metrics.m3"])
    m3 = model.column_of_id("metrics.m3")
    assert m3 is not None and view.horizontalHeader().visualIndex(m3) == 1
    assert frozen.width() == view.columnWidth(COL_NAME) + view.columnWidth(m3)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum())
    assert view.horizontalScrollBar().value() > 0
    assert frozen.columnViewportPosition(m3) == view.columnWidth(COL_NAME)  # still in sight
    frozen.selectRow(2)
    assert view.selectionModel() is frozen.selectionModel()
    assert [r.id for r in view.selected_runs()] == [model.run_at(2).id]
    menu = view.pinned.header_menu(m3)
    assert menu.actions()[0].text() == "Unpin column"
    with qtbot.waitSignal(view.pinsChanged) as signal:
        menu.actions()[0].trigger()
    assert signal.args == [["name"]]
    assert frozen.isColumnHidden(m3)


def test_store_round_trip_and_legacy_columns(home: Path) -> None:
    store = TableViewsStore(home, legacy_columns=["params.lr"])
    assert store.table(None).columns == ["params.lr"]  # the old setting, for all experiments
    assert store.table("digits").columns is None
    digits = store.table("digits")
    digits.columns = ["metrics.acc"]
    digits.group_by = "params.opt"
    digits.views["best"] = TableView("metrics.acc > 0.5", ("metrics.acc",), "metrics.acc")
    store.save()
    again = TableViewsStore(home)
    assert again.table("digits").columns == ["metrics.acc"]
    assert again.table("digits").views["best"].query == "metrics.acc > 0.5"
    assert again.table("digits").group_by == "params.opt"
    assert again.table(None).columns == ["params.lr"]  # migrated into the file
    data = json.loads((home / TABLE_VIEWS_FILENAME).read_text())
    data["experiments"]["digits"]["views"]["bad"] = {"columns": 3}
    data["experiments"]["digits"]["pinned"] = "name"
    (home / TABLE_VIEWS_FILENAME).write_text(json.dumps(data))
    shaky = TableViewsStore(home)
    assert set(shaky.table("digits").views) == {"best"}  # a bad view is left out, not fatal
    assert shaky.table("digits").pinned == ["name"]
    (home / TABLE_VIEWS_FILENAME).write_text("{not json")
    assert TableViewsStore(home).table("digits").columns is None


def test_ids_of_rows_stay_those_of_the_source_without_grouping() -> None:
    source = _model()
    groups = RunGroupsModel(source)
    ids = [groups.data(groups.index(r, 0), RUN_ID_ROLE) for r in range(groups.rowCount())]
    assert ids == [source.run_at(r).id for r in range(source.rowCount())]


def test_right_click_on_a_pinned_cell_reaches_the_table(qtbot: Any) -> None:
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    rows: list[int] = []

    class Table(RunsTableView):
        def contextMenuEvent(self, event: QContextMenuEvent) -> None:
            rows.append(self.indexAt(event.pos()).row())

    view = Table(_model())
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    frozen = view.pinned.view
    rect = frozen.visualRect(frozen.model().index(2, COL_NAME))
    local = rect.center()
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, local, frozen.viewport().mapToGlobal(local)
    )
    QApplication.sendEvent(frozen.viewport(), event)
    assert rows == [2]


class _MovingModel(RunsTableModel):
    """Moves a row as a live update that re-sorts one run does."""

    def move_row(self, row: int, to: int) -> None:
        from PySide6.QtCore import QModelIndex

        assert self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), to)
        runs = self._runs
        run = runs.pop(row)
        runs.insert(to if to < row else to - 1, run)
        self._reindex()
        self.endMoveRows()


def test_rows_moved_in_the_source_keep_selection_grouped_or_not(qtbot: Any) -> None:
    source = _MovingModel()
    source.set_columns(["metrics.acc"])
    source.set_runs(_runs())
    view = RunsTableView(source)
    qtbot.addWidget(view)
    for group_by in (None, "params.opt"):
        view.set_group_by(group_by)
        view.select_run_ids(["a1"])
        first = source.run_at(0).id
        source.move_row(0, source.rowCount())
        assert source.run_at(source.rowCount() - 1).id == first
        assert [r.id for r in view.selected_runs()] == ["a1"]
        ids = [view.groups.run_at(r) for r in range(view.groups.rowCount())]
        assert sorted(r.id for r in ids if r is not None) == sorted(r.id for r in _runs())
