"""RunsTableModel: model contract, sorting with NaN and missing values, live updates."""

from __future__ import annotations

import math
from typing import Any

from gui_spools import summary
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QTableView

from mlops_desktop.ui.formatting import format_duration, format_number
from mlops_desktop.ui.item_models.runs_table import (
    COL_DURATION,
    COL_ID,
    COL_STATUS,
    FIXED_HEADERS,
    RUN_ID_ROLE,
    SORT_ROLE,
    RunsTableModel,
)


def _runs() -> list[Any]:
    return [
        summary("a1", params={"lr": 0.1, "opt": "adam"}, metrics={"acc": 0.91234567}),
        summary("b2", params={"lr": 0.01}, metrics={"acc": math.nan}, status="failed"),
        summary("c3", params={"opt": "sgd"}, metrics={}, status="running", ended_at=None),
        summary("d4", params={"lr": 1}, metrics={"acc": 0.5, "loss": math.inf}, status="killed"),
    ]


def _ids(model: RunsTableModel) -> list[str]:
    return [model.data(model.index(r, 0), RUN_ID_ROLE) for r in range(model.rowCount())]


def _column(model: RunsTableModel, key: str) -> int:
    return len(FIXED_HEADERS) + model.columns().index(key)


def test_model_passes_qtmodeltester_with_dynamic_columns(qtmodeltester: Any) -> None:
    model = RunsTableModel()
    model.set_columns(["params.lr", "params.opt", "metrics.acc", "metrics.loss"])
    model.set_runs(_runs())
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


def test_display_roles_format_values() -> None:
    model = RunsTableModel()
    model.set_columns(["metrics.acc", "metrics.loss", "params.lr"])
    model.set_runs(_runs())
    row = model.row_of("a1")
    assert model.data(model.index(row, _column(model, "metrics.acc"))) == "0.9123"
    assert model.data(model.index(row, _column(model, "metrics.acc")), SORT_ROLE) == 0.91234567
    assert model.data(model.index(row, COL_ID)) == "a1"
    assert model.data(model.index(row, COL_DURATION)) == "1m 00s"
    assert isinstance(
        model.data(model.index(row, COL_STATUS), Qt.ItemDataRole.DecorationRole), QIcon
    )
    d4 = model.row_of("d4")
    assert model.data(model.index(d4, _column(model, "metrics.loss"))) == "inf"
    c3 = model.row_of("c3")
    assert model.data(model.index(c3, _column(model, "metrics.acc"))) == ""
    assert model.headerData(_column(model, "params.lr"), Qt.Orientation.Horizontal) == "lr"
    tip = model.headerData(
        _column(model, "params.lr"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert tip.startswith("params.lr")
    assert format_number(123456.0) == "1.235e+05"
    assert format_duration(3725) == "1h 02m"


def test_sorting_puts_nan_and_missing_last_in_both_orders() -> None:
    model = RunsTableModel()
    model.set_columns(["metrics.acc", "params.lr"])
    model.set_runs(_runs())
    acc = _column(model, "metrics.acc")
    model.sort(acc, Qt.SortOrder.AscendingOrder)
    assert _ids(model)[:2] == ["d4", "a1"]
    assert set(_ids(model)[2:]) == {"b2", "c3"}  # NaN and missing
    model.sort(acc, Qt.SortOrder.DescendingOrder)
    assert _ids(model)[:2] == ["a1", "d4"]
    assert set(_ids(model)[2:]) == {"b2", "c3"}
    lr = _column(model, "params.lr")
    model.sort(lr, Qt.SortOrder.DescendingOrder)
    assert _ids(model) == ["d4", "a1", "b2", "c3"]


def test_update_runs_changes_in_place_and_keeps_selection(qtbot: Any) -> None:
    model = RunsTableModel()
    model.set_columns(["metrics.acc"])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    model.set_runs(_runs())
    model.sort(_column(model, "metrics.acc"), Qt.SortOrder.DescendingOrder)
    view.selectRow(model.row_of("d4"))
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    changed = summary("d4", params={"lr": 1}, metrics={"acc": 0.6}, status="killed")
    fresh = summary("e5", metrics={"acc": 0.7})
    with qtbot.waitSignals([model.dataChanged, model.rowsInserted], timeout=1000):
        model.update_runs([changed, fresh])
    assert not resets
    assert model.rowCount() == 5
    assert _ids(model)[:3] == ["a1", "e5", "d4"]  # inserted where the sort puts it
    selected = view.selectionModel().selectedRows()
    assert [model.data(i, RUN_ID_ROLE) for i in selected] == ["d4"]
    assert model.run_at(model.row_of("d4")).metrics["acc"] == 0.6


def test_update_runs_removes_missing_and_sort_keeps_selection(qtbot: Any) -> None:
    model = RunsTableModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    runs = _runs()
    model.set_runs(runs)
    view.selectRow(model.row_of("c3"))
    model.update_runs([r for r in runs if r.id != "a1"], remove_missing=True)
    assert model.row_of("a1") is None and model.rowCount() == 3
    model.sort(COL_STATUS, Qt.SortOrder.AscendingOrder)
    selected = view.selectionModel().selectedRows()
    assert [model.data(i, RUN_ID_ROLE) for i in selected] == ["c3"]


def test_available_keys_and_column_changes() -> None:
    model = RunsTableModel()
    model.set_runs(_runs())
    assert model.available_keys() == (["lr", "opt"], ["acc", "loss"])
    model.set_columns(["params.lr", "bogus", "params.lr"])
    assert model.columns() == ["params.lr"]
    assert model.columnCount() == len(FIXED_HEADERS) + 1
