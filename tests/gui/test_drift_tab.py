"""The Drift tab of the Monitors pane on a fake monitor service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from drift_fake import FakeCheck, FakeMonitors
from hw_fake import FakeHardware
from PySide6.QtCore import Qt

from mlops_desktop.core.drift import MonitorInfo, RetrainSpec
from mlops_desktop.ui.navigation import AppEvents, Navigator, ShowRun
from mlops_desktop.ui.panes.monitors.drift import DriftView
from mlops_desktop.ui.panes.monitors.drift_dialog import NewMonitorDialog
from mlops_desktop.ui.panes.monitors.drift_heatmap import CELL_ROLE, HeatmapModel
from mlops_desktop.ui.panes.monitors.drift_models import (
    AlertsTableModel,
    MonitorsTableModel,
    ScoresTableModel,
)
from mlops_desktop.ui.panes.monitors.pane import MonitorsPane


@pytest.fixture
def fake() -> FakeMonitors:
    return FakeMonitors()


@pytest.fixture
def pane(qtbot: Any, fake: FakeMonitors, runner: Any) -> Iterator[MonitorsPane]:
    widget = MonitorsPane(
        FakeHardware(["local"]), runner, navigator=Navigator(), events=AppEvents(), drift=fake
    )
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.tabs.setCurrentIndex(1)
    assert widget.drift is not None
    with qtbot.waitSignal(widget.drift.page.loaded, timeout=5000):
        widget.show()
    qtbot.waitUntil(lambda: len(fake.called("check")) >= 2, timeout=5000)
    qtbot.waitUntil(lambda: len(widget.drift.page.challengers.model.rows()) == 2, timeout=5000)
    yield widget
    widget.shutdown()


def drift_of(pane: MonitorsPane) -> DriftView:
    assert pane.drift is not None
    return pane.drift


def test_the_drift_tab_lists_monitors_with_their_state(pane: MonitorsPane) -> None:
    view = drift_of(pane)
    assert pane.tabs.count() == 2 and not pane.tabs.tabBar().isHidden()
    assert pane.tabs.tabText(1) == "Drift (1)"  # one open alert
    model = view.model
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == ["churn-inputs", "wine-quality"]
    states = {m.name: m.state for m in model.rows()}
    assert states == {"churn-inputs": "ok", "wine-quality": "alert"}
    assert model.index(1, 1).data() == "model:wine@champion"
    assert model.index(1, 2).data() == "6" and model.index(1, 3).data() == "1"
    assert not model.index(1, 0).data(Qt.ItemDataRole.DecorationRole).isNull()
    assert view.timer.isActive() and view.timer.interval() == 30_000
    assert "2 monitors" in view.count_label.text()


def test_the_page_draws_drift_share_heat_map_and_performance(pane: MonitorsPane) -> None:
    view = drift_of(pane)
    view.select_monitor("wine-quality")
    page = view.page
    assert page.windows and page.windows[0].monitor == "wine-quality"
    x, y = page.share_chart.share_data()
    assert x.tolist() == [1, 2, 3, 4, 5, 6]
    assert np.allclose(y, [0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    dx, _dy = page.share_chart.drifted_data()
    assert dx.tolist() == [3, 4, 5, 6]  # the windows where at least half drifted
    assert page.share_chart.threshold.value() == 0.5
    heat = page.heatmap
    assert heat.rowCount() == 5 and heat.columnCount() == 6
    assert heat.headerData(0, Qt.Orientation.Vertical) == "alcohol"
    assert heat.headerData(5, Qt.Orientation.Horizontal) == "6"
    drifted = heat.index(0, 5).data(CELL_ROLE)
    calm = heat.index(1, 0).data(CELL_ROLE)
    assert drifted.drifted and not calm.drifted
    tip = heat.index(0, 5).data(Qt.ItemDataRole.ToolTipRole)
    assert "alcohol" in tip and "window 6" in tip and "wasserstein" in tip
    drifted_bg = heat.index(0, 5).data(Qt.ItemDataRole.BackgroundRole)
    calm_bg = heat.index(1, 0).data(Qt.ItemDataRole.BackgroundRole)
    assert drifted_bg.red() > 2 * drifted_bg.green()
    assert calm_bg.lightness() > drifted_bg.lightness() + 60
    assert page.performance_chart.isVisible() and set(page.performance_chart.lines) == {
        "accuracy",
        "f1",
    }
    assert "wine@v3" in page.facts.text() and "folder:/data/incoming" in page.facts.text()


def test_clicking_a_cell_draws_its_distribution(
    qtbot: Any, pane: MonitorsPane, fake: FakeMonitors
) -> None:
    page = drift_of(pane).page
    index = page.heatmap.index(0, 5)
    rect = page.heatmap_view.visualRect(index)
    qtbot.mouseClick(page.heatmap_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.distribution.distribution is not None, timeout=5000)
    assert fake.called("distribution")[-1] == ("wine-quality", "alcohol", 6)
    ref, cur = page.distribution.bar_heights()
    assert ref.size == 10 and cur.size == 10 and cur[0] == pytest.approx(0.02)
    page.show_cell(page.heatmap.index(4, 2))  # color: a categorical column
    qtbot.waitUntil(
        lambda: (
            page.distribution.distribution is not None
            and page.distribution.distribution.column == "color"
        ),
        timeout=5000,
    )
    ref, cur = page.distribution.bar_heights()
    assert ref.tolist() == [0.6, 0.4] and cur.tolist() == [0.3, 0.7]
    assert "Window 3" in page.distribution.title and "color" in page.distribution.labels["bottom"]


def test_acknowledge_calls_the_service_and_updates_the_badge(
    qtbot: Any, pane: MonitorsPane, fake: FakeMonitors
) -> None:
    panel = drift_of(pane).page.alerts
    assert panel.model.rowCount() == 1
    panel.table.selectRow(0)
    assert panel.acknowledge_button.isEnabled()
    panel.acknowledge_button.click()
    qtbot.waitUntil(lambda: fake.called("acknowledge") == [(1,)], timeout=5000)
    qtbot.waitUntil(lambda: pane.tabs.tabText(1) == "Drift", timeout=5000)
    qtbot.waitUntil(lambda: panel.model.row_at(0).acknowledged_at is not None, timeout=5000)
    assert not panel.acknowledge_button.isEnabled()
    assert drift_of(pane).model.rows()[1].state != "alert"


def test_retrain_starts_a_job_and_offers_its_run(
    qtbot: Any, pane: MonitorsPane, fake: FakeMonitors
) -> None:
    opened: list[str] = []
    pane.navigator.serve(ShowRun, pane, lambda request: opened.append(request.run_id))
    panel = drift_of(pane).page.alerts
    panel.table.selectRow(0)
    panel.retrain_button.click()
    qtbot.waitUntil(lambda: panel.open_run_button.isVisibleTo(panel), timeout=5000)
    assert fake.called("retrain") == [("wine-quality", 1)]
    assert len(fake.jobs) == 1 and "retrain0" in panel.status.text()
    panel.open_run_button.click()
    assert opened == [fake.jobs[0].run_id]
    qtbot.waitUntil(lambda: panel.model.row_at(0).retrain_run == fake.jobs[0].run_id, timeout=5000)


def test_retrain_through_a_pipeline_offers_the_pipeline_run(
    qtbot: Any, pane: MonitorsPane, fake: FakeMonitors
) -> None:
    opened: list[str] = []
    pane.navigator.serve(ShowRun, pane, lambda request: opened.append(request.run_id))
    page = drift_of(pane).page
    assert page.monitor is not None and page.monitor.name == "wine-quality"
    page.monitor = replace(page.monitor, retrain=RetrainSpec(("pipeline:wine-train",)))
    fake.monitors["wine-quality"] = page.monitor  # as the monitor service would now read it
    panel = page.alerts
    panel.table.selectRow(0)
    panel.retrain_button.click()
    assert panel.status.text() == "Running pipeline wine-train to retrain…"
    qtbot.waitUntil(lambda: panel.open_run_button.isVisibleTo(panel), timeout=5000)
    assert fake.called("retrain") == [("wine-quality", 1)]
    text = panel.status.text()
    assert "pipeline wine-train, run pipe0000" in text and "alert 1 of wine-quality" in text
    panel.open_run_button.click()
    assert opened == ["pipe0000abcdef"]


def test_promote_asks_first_then_moves_the_alias(
    qtbot: Any, pane: MonitorsPane, fake: FakeMonitors
) -> None:
    page = drift_of(pane).page
    panel = page.challengers
    assert panel.model.columnCount() == 6  # version, aliases, window, accuracy, f1, run
    panel.select_version("1")
    assert not panel.promote_button.isEnabled()  # already the champion
    panel.select_version("2")
    assert panel.promote_button.isEnabled()
    answers = [False, True]
    page.confirm = lambda _title, _text: answers.pop(0)
    panel.promote_button.click()
    assert fake.called("promote") == []
    panel.promote_button.click()
    qtbot.waitUntil(lambda: fake.called("promote") == [("wine-quality", "2")], timeout=5000)
    qtbot.waitUntil(
        lambda: any(s.version == "2" and "champion" in s.aliases for s in panel.model.rows()),
        timeout=5000,
    )


def test_a_new_alert_notifies_once(qtbot: Any, pane: MonitorsPane, fake: FakeMonitors) -> None:
    notes: list[tuple[str, str]] = []
    pane.events.notices.connect(lambda notices: notes.extend((n.title, n.body) for n in notices))
    view = drift_of(pane)
    view.select_monitor("churn-inputs")
    fake.arrive("churn-inputs", 4, alert="dataset drift in 3 of the last 5 windows")
    with qtbot.waitSignal(view.checked, timeout=5000):
        view.check_all()
    qtbot.waitUntil(lambda: pane.tabs.tabText(1) == "Drift (2)", timeout=5000)
    assert notes == [("Drift alert: churn-inputs", "dataset drift in 3 of the last 5 windows")]
    pane.tabs.setCurrentIndex(0)
    pane.show_monitor("churn-inputs")  # what the notice's "Open" asks for
    assert pane.tabs.currentWidget() is pane.drift and view.selected().name == "churn-inputs"
    qtbot.waitUntil(lambda: view.page.heatmap.columnCount() == 3, timeout=5000)
    state = {m.name: m.state for m in view.model.rows()}
    assert state["churn-inputs"] == "alert"
    fake.pending["churn-inputs"] = FakeCheck(alerts=fake.alerts("churn-inputs"))  # the same
    with qtbot.waitSignal(view.checked, timeout=5000):
        view.check("churn-inputs")
    assert len(notes) == 1


def test_without_monitors_the_tab_says_how_to_create_one(qtbot: Any, runner: Any) -> None:
    fake = FakeMonitors(monitors=0)
    view = DriftView(fake, runner, Navigator(), AppEvents())
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.monitorsShown, timeout=5000):
        view.start()
    view.stop()
    assert view.stack.currentWidget() is view.empty
    assert "monitors add" in view.empty.text()


def test_the_new_monitor_dialog_adds_through_the_runner(qtbot: Any, runner: Any) -> None:
    fake = FakeMonitors(monitors=0)
    view = DriftView(fake, runner, Navigator(), AppEvents())
    qtbot.addWidget(view)
    dialog = view.open_new_dialog()
    assert isinstance(dialog, NewMonitorDialog)
    dialog.submit()
    assert "name" in dialog.message.text() and fake.called("add") == []
    dialog.name_edit.setText("wine-quality")
    dialog.model_edit.setText("wine@champion")
    dialog.folder_edit.setText("/data/incoming")
    dialog.retrain_edit.setText("python train.py --epochs 3")
    with qtbot.waitSignal(view.monitorsShown, timeout=5000):
        dialog.submit()
    ((name, options),) = fake.called("add")
    assert name == "wine-quality" and options["model"] == "wine@champion"
    assert options["current_folder"] == "/data/incoming" and options["window_rows"] == 1000
    assert options["retrain"].command == ("python", "train.py", "--epochs", "3")
    qtbot.waitUntil(lambda: view.page.monitor is not None, timeout=5000)
    assert view.page.monitor is not None and view.page.monitor.name == "wine-quality"
    again = view.open_new_dialog()
    again.name_edit.setText("wine-quality")
    again.model_edit.setText("wine@champion")
    again.folder_edit.setText("/data/incoming")
    again.submit()
    qtbot.waitUntil(lambda: "exists already" in again.message.text(), timeout=5000)
    assert again.isVisible()
    again.reject()


def test_the_theme_recolours_the_heat_map(qtbot: Any, pane: MonitorsPane) -> None:
    page = drift_of(pane).page
    light = page.heatmap.index(4, 0).data(Qt.ItemDataRole.BackgroundRole)
    page.heatmap.set_dark(True)
    dark = page.heatmap.index(4, 0).data(Qt.ItemDataRole.BackgroundRole)
    assert dark.lightness() < light.lightness()


def test_table_models_pass_the_tester(qtmodeltester: Any, fake: FakeMonitors) -> None:
    monitors = MonitorsTableModel()
    monitors.set_rows(fake.list_monitors())
    qtmodeltester.check(monitors)
    alerts = AlertsTableModel()
    alerts.set_rows(fake.alerts())
    qtmodeltester.check(alerts)
    scores = ScoresTableModel()
    scores.set_rows(fake.scores("wine-quality"))
    qtmodeltester.check(scores)
    heat = HeatmapModel()
    heat.set_windows(fake.windows("wine-quality"), ["alcohol"])
    qtmodeltester.check(heat)


def test_monitor_info_without_windows_draws_empty_charts(qtbot: Any, runner: Any) -> None:
    fake = FakeMonitors(monitors=0)
    fake.add("empty", model="wine@champion", current_folder="/x")
    view = DriftView(fake, runner, Navigator(), AppEvents())
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.page.loaded, timeout=5000):
        view.reload()
    x, _y = view.page.share_chart.share_data()
    assert x.size == 0 and view.page.heatmap.columnCount() == 0
    assert isinstance(view.page.monitor, MonitorInfo)
