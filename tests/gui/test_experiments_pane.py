"""The Experiments pane against a real ExperimentService on a temp home."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run
from PySide6.QtCore import Qt

from mlops_desktop.settings import Settings
from mlops_desktop.tracking.home import LOG_FILENAME, run_spool_dir
from mlops_desktop.ui.item_models.runs_table import RUN_ID_ROLE
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane
from mlops_desktop.ui.panes.experiments.run_detail import NO_SELECTION_TEXT


@pytest.fixture
def pane(qtbot: Any, service: Any, runner: Any, home: Path, three_experiments: Any) -> Any:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    widget.ingest_loop = ingest  # kept alive for the test
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    yield widget
    widget.shutdown()


def choose(qtbot: Any, pane: Any, name: str | None, rows: int) -> None:
    qtbot.waitUntil(lambda: pane.experiments_list.topLevelItemCount() > 1, timeout=5000)
    assert pane.experiments_list.choose(name)
    qtbot.waitUntil(lambda: pane.model.rowCount() == rows and not pane.is_loading(), timeout=5000)


def apply_filter(qtbot: Any, pane: Any, text: str) -> None:
    pane.filter_bar.edit.setText(text)
    qtbot.keyClick(pane.filter_bar.edit, Qt.Key.Key_Return)


def select_run(qtbot: Any, pane: Any, run_id: str) -> None:
    pane.table.selectRow(pane.model.row_of(run_id))
    qtbot.waitUntil(lambda: pane.detail.detail is not None, timeout=5000)
    qtbot.waitUntil(lambda: pane.detail.detail.summary.id == run_id, timeout=5000)


def test_lists_experiments_and_loads_runs(qtbot: Any, pane: Any, three_experiments: Any) -> None:
    qtbot.waitUntil(lambda: pane.model.rowCount() == 10, timeout=5000)  # all experiments
    names = [e.name for e in pane.experiments_list.experiments]
    assert names == ["cifar", "digits", "tabular"]
    choose(qtbot, pane, "digits", 6)
    assert "metrics.acc" in pane.model.columns()
    assert pane.filter_bar.count_label.text() == "6 runs"
    assert NO_SELECTION_TEXT in pane.detail.empty.text()


def test_malformed_filter_shows_error_and_keeps_rows(qtbot: Any, pane: Any) -> None:
    choose(qtbot, pane, "digits", 6)
    apply_filter(qtbot, pane, "metrics.acc > ")
    qtbot.waitUntil(lambda: pane.filter_bar.error_label.isVisible(), timeout=5000)
    assert "column" in pane.filter_bar.error_label.text()
    assert "^" in pane.filter_bar.error_label.text()
    assert pane.filter_bar.edit.property("invalid") is True
    assert pane.model.rowCount() == 6

    apply_filter(qtbot, pane, "metrics.acc > 0.75 and params.depth >= 0")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3 and not pane.is_loading(), timeout=5000)
    assert not pane.filter_bar.error_label.isVisible()
    assert "params.depth" in pane.model.columns()  # referenced columns are added


def test_a_new_filter_does_not_read_the_catalog_again(
    qtbot: Any, pane: Any, service: Any, monkeypatch: Any
) -> None:
    choose(qtbot, pane, "digits", 6)
    calls: list[tuple[Any, ...]] = []
    real = service.list_runs
    monkeypatch.setattr(service, "list_runs", lambda *a: calls.append(a) or real(*a))
    apply_filter(qtbot, pane, "metrics.acc >= 0.9")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2 and not pane.is_loading(), timeout=5000)
    apply_filter(qtbot, pane, "")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6 and not pane.is_loading(), timeout=5000)
    assert calls == [], "filtering uses the runs already fetched"
    choose(qtbot, pane, "cifar", 3)
    assert calls == [("cifar", None)], "choosing an experiment fetches its runs"


def test_filter_applies_after_typing_stops(qtbot: Any, pane: Any) -> None:
    choose(qtbot, pane, "digits", 6)
    qtbot.keyClicks(pane.filter_bar.edit, "params.lr < 0.025")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=5000)


def test_selecting_a_run_shows_params_and_log(
    qtbot: Any, pane: Any, three_experiments: Any
) -> None:
    choose(qtbot, pane, "digits", 6)
    run_id = three_experiments["digits"][2]
    select_run(qtbot, pane, run_id)
    detail = pane.detail
    assert detail.name_label.text() == "digits-2"
    params = {
        detail.params_table.item(r, 0).text(): detail.params_table.item(r, 1).text()
        for r in range(detail.params_table.rowCount())
    }
    assert params == {"depth": "2", "lr": "0.03"}
    assert detail.metrics_table.rowCount() == 2
    detail.tabs.setCurrentWidget(detail.log)
    qtbot.waitUntil(lambda: "epoch 2 of digits-2" in detail.log.text.toPlainText(), timeout=5000)

    pane.table.selectAll()
    qtbot.waitUntil(lambda: "6 runs selected" in detail.empty.text(), timeout=5000)
    pane.tabs.setCurrentWidget(pane.compare)
    assert len(pane.compare.runs) == 6


def test_notes_round_trip(qtbot: Any, pane: Any, service: Any, three_experiments: Any) -> None:
    choose(qtbot, pane, "digits", 6)
    run_id = three_experiments["digits"][0]
    select_run(qtbot, pane, run_id)
    notes = pane.detail.notes
    pane.detail.tabs.setCurrentWidget(notes)
    pane.window().activateWindow()
    notes.edit.setFocus()
    qtbot.keyClicks(notes.edit, "lr too high")
    assert notes.is_modified()
    with qtbot.waitSignal(notes.saved, timeout=5000):
        notes.save()
    assert service.get_run(run_id).notes == "lr too high"
    assert "Saved" in notes.state_label.text()

    # Ctrl+S in the box saves too
    qtbot.keyClicks(notes.edit, ".")
    with qtbot.waitSignal(notes.saved, timeout=5000):
        qtbot.keyClick(notes.edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert service.get_run(run_id).notes == "lr too high."

    # switching runs saves pending edits first
    qtbot.keyClicks(notes.edit, "!")
    with qtbot.waitSignal(notes.saved, timeout=5000):
        select_run(qtbot, pane, three_experiments["digits"][1])
    assert service.get_run(run_id).notes == "lr too high.!"


def test_live_ingest_updates_rows_in_place(
    qtbot: Any, pane: Any, home: Path, three_experiments: Any
) -> None:
    choose(qtbot, pane, "digits", 6)
    keep = three_experiments["digits"][3]
    select_run(qtbot, pane, keep)
    resets: list[int] = []
    pane.model.modelReset.connect(lambda: resets.append(1))
    new_id = write_run(home, "digits", "fresh", metrics={"acc": [0.99]})
    with qtbot.waitSignal(pane.ingest_loop.newRuns, timeout=5000):
        pane.ingest_loop.ingest_now()
    qtbot.waitUntil(lambda: pane.model.row_of(new_id) is not None, timeout=5000)
    assert not resets
    selected = [pane.model.data(i, RUN_ID_ROLE) for i in pane.table.selectionModel().selectedRows()]
    assert selected == [keep]
    qtbot.waitUntil(lambda: "7" in pane.experiments_list.topLevelItem(2).text(1), timeout=5000)


def test_empty_catalog_shows_how_to_log_a_run_until_one_arrives(
    qtbot: Any, service: Any, runner: Any, home: Path
) -> None:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.stack.currentWidget() is widget.empty, timeout=5000)
    assert f"mlops-desktop --home {home} demo" in widget.empty.text()
    assert "start_run" in widget.empty.text()
    write_run(home, "first", "hello", metrics={"acc": [0.1]})
    ingest.ingest_now()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1, timeout=5000)
    assert widget.stack.currentWidget() is widget.hsplit
    widget.shutdown()


def test_log_of_a_running_run_follows_new_output(
    qtbot: Any, pane: Any, home: Path, three_experiments: Any
) -> None:
    choose(qtbot, pane, "tabular", 1)
    run_id = three_experiments["tabular"][0]
    select_run(qtbot, pane, run_id)
    log = pane.detail.log
    pane.detail.tabs.setCurrentWidget(log)
    assert log.run_id == run_id
    with open(run_spool_dir(home, run_id) / LOG_FILENAME, "a", encoding="utf-8") as fh:
        fh.write("step 1\nstep 2\n")
    qtbot.waitUntil(lambda: "step 2" in log.text.toPlainText(), timeout=5000)
    with open(run_spool_dir(home, run_id) / LOG_FILENAME, "a", encoding="utf-8") as fh:
        fh.write("step 3\n")
    qtbot.waitUntil(lambda: log.text.toPlainText().count("step") == 3, timeout=5000)


def test_opening_selects_the_newest_running_run(
    qtbot: Any, pane: Any, three_experiments: Any
) -> None:
    live = three_experiments["tabular"][0]
    qtbot.waitUntil(lambda: [r.id for r in pane.selected_runs()] == [live], timeout=5000)
    qtbot.waitUntil(lambda: pane.detail.run_id == live, timeout=5000)


def test_a_run_that_starts_just_after_opening_is_shown_too(
    qtbot: Any, service: Any, runner: Any, home: Path
) -> None:
    write_run(home, "first", "done-already", metrics={"acc": [0.1]})
    service.ingest()
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1 and not widget.is_loading(), timeout=5000)
    assert widget.selected_runs() == []
    live = write_run(home, "first", "live-one", status=None)
    ingest.ingest_now()
    qtbot.waitUntil(lambda: [r.id for r in widget.selected_runs()] == [live], timeout=5000)
    widget.shutdown()
