"""The Monitors pane on a fake hardware service: cards, charts, gaps, problems, processes."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hw_fake import FakeHardware, synthetic_sample
from PySide6.QtCore import Qt

from mlops_desktop.core.hardware import HostUpdate, StoredBucket
from mlops_desktop.monitoring.idle import IdleRun
from mlops_desktop.ui.item_models import processes_table as pt
from mlops_desktop.ui.navigation import AppEvents, Navigator, ShowRun
from mlops_desktop.ui.panes.monitors.detail import DAY
from mlops_desktop.ui.panes.monitors.pane import MonitorsPane

T0 = 1_700_000_000.0


@pytest.fixture
def fake() -> FakeHardware:
    return FakeHardware(["local", "gpu-box"])


@pytest.fixture
def pane(qtbot: Any, fake: FakeHardware, runner: Any) -> Iterator[MonitorsPane]:
    widget = MonitorsPane(fake, runner, navigator=Navigator())
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    qtbot.waitUntil(lambda: len(widget.hardware.cards) == 2, timeout=5000)
    yield widget
    widget.shutdown()


def feed(qtbot: Any, pane: MonitorsPane, fake: FakeHardware, updates: list[HostUpdate]) -> None:
    with qtbot.waitSignal(pane.hardware.updatesShown, timeout=5000):
        for update in updates:
            fake.push(update)


def live(host: str, t: float, **kw: Any) -> HostUpdate:
    return HostUpdate(host, t, synthetic_sample(host, t, **kw))


def test_the_pane_shows_every_host_and_starts_one_watch(pane: MonitorsPane, fake: Any) -> None:
    view = pane.hardware
    assert list(view.cards) == ["local", "gpu-box"] and len(fake.watches) == 1
    assert view.stack.currentWidget() is view.split and "2 machines" in view.count_label.text()
    assert pane.tabs.count() == 1 and pane.tabs.tabBar().isHidden()
    assert view.selected == "local"
    view.interval_combo.setCurrentIndex(view.interval_combo.findData(5.0))
    assert fake.watches[0].interval == 5.0
    pane.shutdown()
    assert fake.watches[0].stopped and not view.running


def test_updates_from_worker_threads_reach_cards_and_charts(
    qtbot: Any, pane: MonitorsPane, fake: FakeHardware
) -> None:
    feed(qtbot, pane, fake, [live("local", T0 + i) for i in range(5)])
    qtbot.waitUntil(lambda: len(pane.hardware.histories["local"]) == 5, timeout=5000)
    card = pane.hardware.cards["local"]
    assert [row.key for row in card.rows] == ["cpu", "memory", "gpu0.util", "gpu1.util"]
    assert all(row.spark.points == 5 for row in card.rows)
    assert "run run0001a (alice)" in card.rows[2].holder.text()  # type: ignore[union-attr]
    assert card.rows[2].value.text().endswith(" %")
    assert " W · " in card.rows[2].holder.text() and "4.0 kJ" in card.rows[2].holder.text()  # type: ignore[union-attr]
    charts = pane.hardware.detail.charts
    t, _y = charts["util"].line_data("1")
    assert t.size == 5 and t.tolist() == [-4.0, -3.0, -2.0, -1.0, 0.0]
    assert set(charts["power"].lines) == {"0", "1"}
    cpu_t, _cpu = charts["cpu"].line_data("CPU")
    assert cpu_t.size == 5


def test_a_gap_stays_nan_in_the_charts(qtbot: Any, pane: MonitorsPane, fake: Any) -> None:
    updates = [live("local", T0), HostUpdate("local", T0 + 1, None, "no answer for 5 s", "live")]
    feed(qtbot, pane, fake, [*updates, live("local", T0 + 2)])
    qtbot.waitUntil(lambda: len(pane.hardware.histories["local"]) == 3, timeout=5000)
    _t, y = pane.hardware.detail.charts["util"].line_data("0")
    assert math.isfinite(y[0]) and math.isnan(y[1]) and math.isfinite(y[2])
    assert pane.hardware.cards["local"].rows[0].spark.points == 3


def test_an_unreachable_host_shows_its_sentence_and_keeps_its_data_greyed(
    qtbot: Any, pane: MonitorsPane, fake: FakeHardware
) -> None:
    feed(qtbot, pane, fake, [live("gpu-box", T0)])
    sentence = "ssh: connect to host gpu-box port 22: Connection refused"
    feed(qtbot, pane, fake, [HostUpdate("gpu-box", T0 + 1, None, sentence, "unreachable")])
    card = pane.hardware.cards["gpu-box"]
    assert card.problem_label.text() == sentence and card.problem_label.isVisible()
    assert card.is_stale() and all(row.spark.stale for row in card.rows)
    assert card.rows[0].value.text().endswith("%")  # the last figures stay
    assert card.state_label.text() == "unreachable"
    feed(qtbot, pane, fake, [live("gpu-box", T0 + 2)])
    assert not card.is_stale() and not card.problem_label.isVisible()


def test_a_host_that_reports_without_being_listed_gets_a_card(
    qtbot: Any, pane: MonitorsPane, fake: FakeHardware
) -> None:
    feed(qtbot, pane, fake, [live("slurm:c/node7", T0)])
    assert "slurm:c/node7" in pane.hardware.cards


def test_the_process_table_opens_the_run_of_a_process(
    qtbot: Any, pane: MonitorsPane, fake: FakeHardware
) -> None:
    opened: list[str] = []
    pane.navigator.serve(ShowRun, pane, lambda request: opened.append(request.run_id))
    feed(qtbot, pane, fake, [live("local", T0)])
    detail = pane.hardware.detail
    assert detail.model.rowCount() == 2
    proxy = detail.proxy
    rows = {proxy.index(r, pt.COL_PID).data(): r for r in range(proxy.rowCount())}
    detail.table.doubleClicked.emit(proxy.index(rows["99"], pt.COL_RUN))  # no run: nothing
    assert opened == []
    detail.table.doubleClicked.emit(proxy.index(rows["4242"], pt.COL_COMMAND))
    assert opened == ["run0001abcd"]
    assert proxy.index(rows["4242"], pt.COL_RUN).data() == "run0001a"
    assert proxy.index(rows["4242"], pt.COL_RAM).data() == "3.0 GiB"
    assert proxy.index(rows["99"], pt.COL_GPU_MEMORY).data() == "—"


def test_the_process_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    model = pt.ProcessesTableModel()
    model.update_processes(synthetic_sample("local", T0).processes)
    qtmodeltester.check(model)
    model.update_processes(synthetic_sample("local", T0 + 1).processes)  # in place
    qtmodeltester.check(model)
    assert model.row_of(4242) == 1 and model.headerData(0, Qt.Orientation.Horizontal) == "PID"
    model.update_processes(synthetic_sample("local", T0 + 2).processes, {"run0001abcd": "resnet"})
    assert model.index(1, pt.COL_RUN).data() == "resnet (run0001a)"


def test_the_day_view_loads_stored_minutes_before_the_live_ones(
    qtbot: Any, pane: MonitorsPane, fake: FakeHardware
) -> None:
    now = time.time()
    fake.stored["local"] = [StoredBucket("local", now - 600, {"cpu": (10.0, 20.0, 30.0, 60)})]
    feed(qtbot, pane, fake, [live("local", now)])
    pane.hardware.detail.range_combo.setCurrentIndex(DAY)
    chart = pane.hardware.detail.charts["cpu"]
    qtbot.waitUntil(lambda: chart.line_data("CPU")[0].size == 2, timeout=5000)
    assert fake.stored_calls[0][0] == "local"
    assert chart.lines["CPU"].high.isVisible()  # the stored minute is a band


def test_without_a_hardware_service_the_pane_says_what_to_do(qtbot: Any, runner: Any) -> None:
    widget = MonitorsPane(None, runner)
    qtbot.addWidget(widget)
    widget.show()
    view = widget.hardware
    assert view.stack.currentWidget() is view.empty
    assert "Hosts…" in view.empty.text() and "Launch…" in view.empty.text()
    widget.shutdown()


def test_theme_change_redraws_without_error(qtbot: Any, pane: MonitorsPane, fake: Any) -> None:
    from mlops_desktop.ui.theme import ThemeController

    feed(qtbot, pane, fake, [live("local", T0), live("gpu-box", T0)])
    theme = ThemeController("dark")
    theme.themeChanged.connect(pane.events.themeChanged)
    theme.set_theme("dark")
    assert pane.hardware.cards["local"].rows[0].spark.points == 1


def test_idle_runs_get_a_badge_and_one_notification(qtbot: Any, runner: Any) -> None:
    fake = FakeHardware(["local"])
    events = AppEvents()
    pane = MonitorsPane(fake, runner, events=events)
    qtbot.addWidget(pane)
    pane.start_live()
    notes: list[tuple[str, str]] = []
    badges: list[dict[str, str]] = []
    events.notices.connect(lambda notices: notes.extend((n.title, n.body) for n in notices))
    events.idleRunsChanged.connect(badges.append)
    fake.idle = {"run-1": IdleRun("run-1", "local", (0, 1), 0.0)}
    for _ in range(2):
        with qtbot.waitSignal(pane.hardware.updatesShown, timeout=5000):
            fake.push(HostUpdate("local", 1.0, sample=synthetic_sample("local", 1.0)))
    assert len(notes) == 1 and "GPU 0, 1 on local" in notes[0][1]
    assert list(badges[-1]) == ["run-1"]
    fake.idle = {}
    with qtbot.waitSignal(pane.hardware.updatesShown, timeout=5000):
        fake.push(HostUpdate("local", 2.0, sample=synthetic_sample("local", 2.0)))
    assert badges[-1] == {}
    pane.shutdown()
