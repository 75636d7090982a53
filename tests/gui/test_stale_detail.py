"""Detail, Charts and Compare follow the table: a run no longer listed is no longer shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_experiments_pane import apply_filter, choose, select_run

from mlops_desktop.settings import Settings
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes.experiments.pane import CHARTS_TAB, ExperimentsPane
from mlops_desktop.ui.panes.experiments.run_detail import NO_SELECTION_TEXT


@pytest.fixture
def pane(qtbot: Any, service: Any, runner: Any, home: Path, three_experiments: Any) -> Any:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    widget.ingest_loop = ingest
    widget.charted = []
    real_set_runs = widget.charts.set_runs

    def record(runs: list[Any]) -> None:
        widget.charted = [run.id for run in runs]
        real_set_runs(runs)

    widget.charts.set_runs = record
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    yield widget
    widget.shutdown()


def charted_ids(pane: Any) -> set[str]:
    """The runs the pane last gave the Charts tab (shown when the tab is current)."""
    pane.tabs.setCurrentIndex(CHARTS_TAB)
    return set(pane.charted)


def test_changing_experiment_clears_a_run_no_longer_listed(
    qtbot: Any, pane: Any, three_experiments: Any
) -> None:
    choose(qtbot, pane, "digits", 6)
    run_id = three_experiments["digits"][1]
    select_run(qtbot, pane, run_id)
    pane.tabs.setCurrentIndex(CHARTS_TAB)
    qtbot.waitUntil(lambda: charted_ids(pane) == {run_id}, timeout=5000)
    pane.tabs.setCurrentIndex(0)

    choose(qtbot, pane, "cifar", 3)
    qtbot.waitUntil(lambda: pane.detail.run_id is None, timeout=5000)
    assert NO_SELECTION_TEXT in pane.detail.empty.text()
    assert pane.table.selected_runs() == []
    qtbot.waitUntil(lambda: charted_ids(pane) == set(), timeout=5000)
    pane.tabs.setCurrentWidget(pane.compare)
    assert pane.compare.runs == []


def test_filtering_drops_runs_not_listed_from_detail_charts_and_compare(
    qtbot: Any, pane: Any, three_experiments: Any
) -> None:
    choose(qtbot, pane, "digits", 6)
    kept, dropped = three_experiments["digits"][5], three_experiments["digits"][0]
    select_run(qtbot, pane, dropped)
    apply_filter(qtbot, pane, "metrics.acc >= 0.9")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2 and not pane.is_loading(), timeout=5000)
    qtbot.waitUntil(lambda: pane.detail.run_id is None, timeout=5000)
    assert NO_SELECTION_TEXT in pane.detail.empty.text()

    apply_filter(qtbot, pane, "")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6 and not pane.is_loading(), timeout=5000)
    pane.table.select_run_ids([kept, dropped])
    pane.tabs.setCurrentWidget(pane.compare)
    qtbot.waitUntil(lambda: {r.id for r in pane.compare.runs} == {kept, dropped}, timeout=5000)
    apply_filter(qtbot, pane, "metrics.acc >= 0.9")
    qtbot.waitUntil(lambda: {r.id for r in pane.compare.runs} == {kept}, timeout=5000)
    assert [r.id for r in pane.table.selected_runs()] == [kept]
    qtbot.waitUntil(lambda: charted_ids(pane) == {kept}, timeout=5000)
    qtbot.waitUntil(lambda: pane.detail.run_id == kept, timeout=5000)
