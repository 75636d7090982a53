"""The main window, pane registry, preferences and live ingest loop."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialogButtonBox

from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window, describe_catalog
from mlops_desktop.ui.dialogs.preferences import PreferencesDialog
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes import registry
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane
from mlops_desktop.ui.tasks import TaskCancelled


@pytest.fixture
def window(qtbot: Any, services: Any, home: Path) -> Any:
    win = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def test_window_opens_with_registered_experiments_pane(qtbot: Any, window: Any) -> None:
    names = [spec.name for spec in registry.registered_panes()]
    assert "Experiments" in names
    assert window.nav.item(0).text() == names[0]
    assert isinstance(window.panes["Experiments"], ExperimentsPane)
    assert window.width() == 1280 and window.height() == 800
    assert not window.windowIcon().isNull()
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&View", "&Run", "&Help"]
    shortcuts = {a.shortcut().toString() for a in window.actions()}
    assert {"Ctrl+1", "Ctrl+F", "Ctrl+Q", "F5"} <= shortcuts
    qtbot.waitUntil(lambda: "0 runs" in window.status.counts_label.text(), timeout=5000)


def test_registry_takes_new_panes_in_order(qtbot: Any, services: Any) -> None:
    registry.register_pane("Zeta", "monitors", 99, lambda ctx: registry.Pane())
    try:
        win = build_main_window(services, Settings(), start_ingest=False)
        qtbot.addWidget(win)
        texts = [win.nav.item(i).text() for i in range(win.nav.count())]
        assert texts[-1] == "Zeta" and texts.index("Experiments") < texts.index("Zeta")
        win.show_pane_at(len(texts) - 1)
        assert win.stack.currentWidget() is win.panes["Zeta"]
        win.shutdown()
    finally:
        registry.unregister_pane("Zeta")


def test_preferences_dialog_saves_settings(qtbot: Any, window: Any, home: Path) -> None:
    dialog = window.open_preferences()
    assert isinstance(dialog, PreferencesDialog)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.interval_spin.setValue(2.5)
    dialog.smoothing_spin.setValue(0.6)
    dialog.history_spin.setValue(30)
    assert not dialog.keep_spools_check.isChecked() and not window.services.experiments.keep_spools
    dialog.keep_spools_check.setChecked(True)
    with qtbot.waitSignal(window.events.themeChanged, timeout=2000) as blocker:
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert blocker.args == [True]
    saved = Settings.load(home)
    assert (saved.theme, saved.ingest_interval_s, saved.chart_smoothing) == ("dark", 2.5, 0.6)
    assert window.theme.dark
    assert window.panes["Experiments"].charts.smoothing_slider.value() == 60
    assert saved.hw_history_days == 30
    assert window.services.hardware.history_days == 30
    assert saved.keep_spools and window.services.experiments.keep_spools


def test_preferences_refuses_a_bad_url_and_tests_a_good_one(
    qtbot: Any, window: Any, home: Path, tmp_path: Path
) -> None:
    dialog = window.open_preferences()
    dialog.catalog_edit.setText("mysql://nope")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.error_label.isVisible() and dialog.isVisible()
    dialog.catalog_edit.setText(f"sqlite:///{tmp_path / 'other.db'}")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "Connected" in dialog.test_result.text(), timeout=10000)
    dialog.reject()


def test_window_state_is_kept_in_the_home(qtbot: Any, services: Any, home: Path) -> None:
    win = build_main_window(services, Settings(), start_ingest=False)
    qtbot.addWidget(win)
    win.show()
    win.resize(1000, 700)
    win.close()
    assert QSettings(str(home / "window.ini"), QSettings.Format.IniFormat).value("geometry")


def test_theme_toggle_emits_and_saves(qtbot: Any, window: Any, home: Path) -> None:
    start = window.theme.dark
    with qtbot.waitSignal(window.events.themeChanged, timeout=2000):
        window.toggle_theme()
    assert window.theme.dark is not start
    assert Settings.load(home).theme == ("dark" if not start else "light")


def test_ingest_loop_reports_new_and_changed_runs(
    qtbot: Any, service: Any, runner: Any, home: Path
) -> None:
    loop = IngestLoop(service, runner, 60)
    run_id = write_run(home, "digits", metrics={"acc": [0.5]})
    new: list[frozenset[str]] = []
    loop.newRuns.connect(new.append)
    assert loop.ingest_now() is not None
    assert loop.ingest_now() is None  # never two passes at once
    with qtbot.waitSignals([loop.newRuns, loop.runsChanged, loop.ingested], timeout=5000):
        pass
    assert new == [frozenset({run_id})]
    assert describe_catalog(home, "postgresql+psycopg://me:secret@db/x").count("secret") == 0
    qtbot.waitUntil(lambda: not loop.in_flight, timeout=5000)
    loop.stop()


def test_status_bar_shows_labelled_tasks_and_cancels_them(qtbot: Any, window: Any) -> None:
    gate = threading.Event()

    def slow(*, state: Any) -> str:
        while not gate.is_set():
            if state.cancelled:
                raise TaskCancelled
            gate.wait(0.01)
        return "done"

    handle = window.runner.submit(slow, label="Crunching")
    qtbot.waitUntil(lambda: window.status.task_label.isVisible(), timeout=2000)
    assert window.status.task_label.text().startswith("Crunching")
    with qtbot.waitSignal(handle.cancelled, timeout=5000):
        window.status.cancel_button.click()
    qtbot.waitUntil(lambda: not window.status.task_label.isVisible(), timeout=2000)
    gate.set()


def test_a_settings_file_with_wrong_types_starts_the_app_on_defaults(
    qtbot: Any, services: Any, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / "settings.json").write_text(
        json.dumps({"schema_version": 1, "ingest_interval_s": "2", "theme": 7, "runs_columns": 3})
    )
    with caplog.at_level(logging.WARNING, logger="mlops_desktop.settings"):
        settings = Settings.load(home)
    window = build_main_window(services, settings, start_ingest=True)
    qtbot.addWidget(window)
    window.show()
    try:
        assert (settings.ingest_interval_s, settings.theme, settings.runs_columns) == (
            1.0,
            "system",
            None,
        )
        assert window.ingest is not None and window.ingest.running
        assert window.status.currentMessage().startswith("settings.json: ")
        tip = window.status.toolTip()
        assert all(key in tip for key in ("theme", "ingest_interval_s", "runs_columns"))
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert "ingest_interval_s" in logged and "using 1.0" in logged
    finally:
        window.shutdown()
