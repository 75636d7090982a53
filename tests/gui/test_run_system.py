"""A run's System tab: the hardware it used, apart from its metrics, and its energy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_spools import write_run

from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.ui.charts.chart_grid import ordered_groups
from mlops_desktop.ui.charts.metric_panel import load_selection
from mlops_desktop.ui.panes.experiments.run_detail import RunDetailView
from mlops_desktop.ui.panes.experiments.run_system import chart_specs
from mlops_desktop.ui.tasks import TaskState

SYSTEM = {
    "sys/cpu_percent": [50.0, 80.0, float("nan"), 90.0],
    "sys/rss_mb": [100.0, 120.0, 130.0, 140.0],
    "sys/gpu0_util": [90.0, 95.0, 97.0, 99.0],
    "sys/gpu0_power_w": [200.0, 250.0, 260.0, 255.0],
    "sys/gpu0_energy_j": [0.0, 250.0, 510.0, 765.0],
    "sys/energy_j": [0.0, 250.0, 510.0, 7200.0],
}


def test_system_tab_draws_each_series_unsmoothed_and_says_the_energy_and_its_source(
    qtbot: Any, home: Path, service: ExperimentService, runner: Any
) -> None:
    run_id = write_run(
        home,
        metrics={"loss": [1.0, 0.5], **SYSTEM},
        tags={"sys.energy_source": "integrated"},
    )
    service.ingest()
    view = RunDetailView(service, runner)
    qtbot.addWidget(view)
    view.show_run(run_id)
    qtbot.waitUntil(lambda: bool(view.system.plots), timeout=10000)
    assert list(view.system.plots) == [
        "CPU (the run's processes)",
        "RAM (resident)",
        "GPU 0 utilisation",
        "GPU 0 power",
    ]
    text = view.system.energy_label.text()
    assert "7.2 kJ (2.00 Wh)" in text and "integrated" in text
    cpu = view.system.plots["CPU (the run's processes)"].getPlotItem().listDataItems()[0]
    _x, y = cpu.getData()
    assert list(y[:2]) == [50.0, 80.0]  # raw values: never smoothed


def test_a_run_without_system_metrics_says_how_to_get_them(
    qtbot: Any, home: Path, service: ExperimentService, runner: Any
) -> None:
    run_id = write_run(home, metrics={"loss": [1.0]})
    service.ingest()
    view = RunDetailView(service, runner)
    qtbot.addWidget(view)
    view.show_run(run_id)
    qtbot.waitUntil(lambda: not runner.is_busy((view.system, "system")), timeout=10000)
    assert "No system metrics" in view.system.empty.label.text()
    assert view.system.stack.currentWidget() is view.system.empty


def test_system_keys_come_last_in_their_own_group_and_unsmoothed(
    home: Path, service: ExperimentService
) -> None:
    run_id = write_run(home, metrics={"loss": [1.0, 0.5], **SYSTEM})
    service.ingest()
    keys, _computed, _later = load_selection(
        service, [run_id], {}, "step", 0.9, state=TaskState(lambda _f, _m: None)
    )
    assert keys[0] == "loss"
    assert keys[1:] and all(key.startswith("sys/") for key in keys[1:])
    assert [group for group, _keys in ordered_groups(keys)][-1] == "sys/"


def test_unknown_system_keys_get_a_chart_of_their_own() -> None:
    specs = chart_specs(["sys/cpu_percent", "sys/net_mb", "sys/gpu1_temp_c", "sys/gpu1_energy_j"])
    assert [s.title for s in specs] == ["CPU (the run's processes)", "GPU 1 temperature", "net_mb"]
