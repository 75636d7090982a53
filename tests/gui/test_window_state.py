"""The window state round trip: geometry, splitters, the shown pane and each pane's selection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
from palette_catalog import fill_catalog
from PySide6.QtCore import QRect, QSettings, QSize
from sklearn.dummy import DummyClassifier

from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.window_state import (
    FRAME_ALLOWANCE_PX,
    WINDOW_STATE_FILE,
    placed_on_screen,
    size_on_screen,
)


def open_window(qtbot: Any, services: Any, home: Path) -> Any:
    window = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(window)
    window.show()
    return window


def saved(home: Path, key: str) -> Any:
    state = QSettings(str(home / WINDOW_STATE_FILE), QSettings.Format.IniFormat)
    return state.value(key)


def add_dataset_and_model(services: Any, tmp_path: Path) -> None:
    folder = tmp_path / "table"
    folder.mkdir()
    (folder / "rows.csv").write_text("a,b\n1,2\n")
    services.datasets.add(folder, "table", message="first")
    (folder / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    services.datasets.add(folder, "table", message="more")
    model = tmp_path / "clf.joblib"
    joblib.dump(DummyClassifier().fit([[0], [1]], [0, 1]), model)
    services.models.register("clf", path=model)
    services.models.register("clf", path=model)


def test_window_state_round_trip(
    qtbot: Any, services: Any, home: Path, tmp_path: Path, three_experiments: dict[str, list[str]]
) -> None:
    add_dataset_and_model(services, tmp_path)
    chosen_run = three_experiments["digits"][2]
    first = open_window(qtbot, services, home)
    experiments = first.panes["Experiments"]
    qtbot.waitUntil(lambda: experiments.model.rowCount() > 0, timeout=10000)
    experiments.experiments_list.choose("digits")
    qtbot.waitUntil(lambda: experiments.model.row_of(chosen_run) is not None, timeout=10000)
    experiments.show_run(chosen_run)
    experiments.tabs.setCurrentIndex(2)
    experiments.hsplit.setSizes([333, 900])
    datasets = first.show_pane("Datasets")
    datasets.select_dataset("table", "v1")
    qtbot.waitUntil(lambda: getattr(datasets.detail.current_version(), "version", "") == "v1")
    models = first.show_pane("Models")
    models.select_model("clf", 1)
    qtbot.waitUntil(lambda: getattr(models.detail.current_version(), "version", 0) == 1)
    first.show_pane("Datasets")
    first.setGeometry(40, 50, 1000, 700)
    geometry = first.geometry()

    # Saved a moment after each change, without closing: a crash loses little.
    qtbot.waitUntil(lambda: saved(home, "pane") == "Datasets", timeout=5000)
    runs = json.loads(saved(home, "selection/Experiments"))["runs"]
    assert runs == [chosen_run]
    first.close()

    second = open_window(qtbot, services, home)
    assert second.geometry().size() == geometry.size()
    assert second.current_pane_name() == "Datasets"
    again = second.show_pane("Experiments")
    assert again.hsplit.sizes()[0] == 333  # the list's width; the rest follows the window
    qtbot.waitUntil(lambda: [r.id for r in again.selected_runs()] == [chosen_run], timeout=10000)
    assert again.experiments_list.current_experiment() == "digits"
    assert again.tabs.currentIndex() == 2
    detail = second.panes["Datasets"].detail
    qtbot.waitUntil(lambda: getattr(detail.current_version(), "version", "") == "v1")
    model_detail = second.panes["Models"].detail
    qtbot.waitUntil(lambda: getattr(model_detail.current_version(), "version", 0) == 1)
    assert model_detail.name == "clf"
    second.close()


def test_what_no_longer_exists_falls_back_quietly(
    qtbot: Any, services: Any, home: Path, tmp_path: Path, three_experiments: dict[str, list[str]]
) -> None:
    add_dataset_and_model(services, tmp_path)
    state = QSettings(str(home / WINDOW_STATE_FILE), QSettings.Format.IniFormat)
    state.setValue("pane", "Gone pane")
    gone = {"experiment": "gone", "runs": ["0" * 32], "tab": 9}
    state.setValue("selection/Experiments", json.dumps(gone))
    state.setValue("selection/Datasets", json.dumps({"dataset": "gone", "version": "v9"}))
    state.setValue("selection/Models", json.dumps({"model": "clf", "version": 99}))
    state.setValue("selection/Jobs", "not json")
    state.sync()
    window = open_window(qtbot, services, home)
    assert window.current_pane_name() == "Experiments"
    experiments = window.panes["Experiments"]
    qtbot.waitUntil(lambda: experiments.model.rowCount() == 10, timeout=10000)
    assert experiments.experiments_list.current_experiment() is None  # All experiments
    datasets = window.panes["Datasets"]
    qtbot.waitUntil(lambda: datasets.detail.name == "table", timeout=10000)
    models = window.panes["Models"]
    qtbot.waitUntil(lambda: models.detail.current_version() is not None, timeout=10000)
    assert models.detail.name == "clf"
    window.close()


def test_a_window_off_every_screen_comes_back(qtbot: Any, services: Any, home: Path) -> None:
    screen = QRect(0, 0, 1920, 1080)
    inside = QRect(100, 100, 800, 600)
    assert placed_on_screen(inside, [screen]) == inside
    assert placed_on_screen(QRect(-700, 20, 800, 600), [screen]) == QRect(-700, 20, 800, 600)
    moved = placed_on_screen(QRect(5000, 4000, 2400, 600), [screen])
    assert screen.contains(moved) and moved.width() == 1920
    beside = QRect(1920, 0, 1280, 1024)  # a second screen right of the first
    assert placed_on_screen(QRect(2000, 50, 800, 600), [screen, beside]).x() == 2000

    first = open_window(qtbot, services, home)
    first.setGeometry(9000, 9000, 900, 600)
    first.close()
    second = open_window(qtbot, services, home)
    available = second.screen().availableGeometry()
    assert available.intersects(second.geometry()), (available, second.geometry())
    second.close()


def test_the_monitors_tab_machine_and_monitor_come_back(
    qtbot: Any, services: Any, home: Path, tmp_path: Path
) -> None:
    fill_catalog(services, tmp_path)  # a monitor "wine-drift" and an SSH host "gpu-box"
    first = open_window(qtbot, services, home)
    monitors = first.show_pane("Monitors")
    hardware = monitors.hardware
    qtbot.waitUntil(lambda: "gpu-box" in hardware.cards, timeout=10000)
    hardware.select_host("gpu-box")
    monitors.show_monitor("wine-drift")
    qtbot.waitUntil(
        lambda: (chosen := monitors.drift.selected()) is not None and chosen.name == "wine-drift",
        timeout=10000,
    )
    expected = {"tab": "drift", "host": "gpu-box", "monitor": "wine-drift"}
    qtbot.waitUntil(
        lambda: json.loads(saved(home, "selection/Monitors") or "{}") == expected, timeout=5000
    )
    first.close()

    second = open_window(qtbot, services, home)
    assert second.current_pane_name() == "Monitors"
    again = second.panes["Monitors"]
    assert again.tabs.currentWidget() is again.drift
    qtbot.waitUntil(
        lambda: (chosen := again.drift.selected()) is not None and chosen.name == "wine-drift",
        timeout=10000,
    )
    qtbot.waitUntil(lambda: again.hardware.selected == "gpu-box", timeout=10000)
    second.close()


def test_a_first_window_fits_a_small_screen() -> None:
    laptop = QRect(0, 0, 1280, 720)
    assert size_on_screen(QSize(1280, 800), laptop) == QSize(1280, 720 - FRAME_ALLOWANCE_PX)
    assert size_on_screen(QSize(1280, 800), QRect(0, 0, 1920, 1080)) == QSize(1280, 800)
    assert size_on_screen(QSize(1280, 800), QRect(0, 0, 1024, 600), 0) == QSize(1024, 600)
    assert size_on_screen(QSize(1280, 800), None) == QSize(1280, 800)
