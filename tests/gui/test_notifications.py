"""Notices in the window: the banner where no notification server answers, per-kind off,
run ends seen live (not those before the start), the tray's menu and closing into the tray."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run
from PySide6.QtDBus import QDBusConnection
from PySide6.QtWidgets import QDialogButtonBox

from mlops_desktop.core.notices import Notice, NoticeTarget
from mlops_desktop.core.runs import RunSummary
from mlops_desktop.services.notifications import TrayRuns
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.icons import app_icon
from mlops_desktop.ui.navigation import ShowRun
from mlops_desktop.ui.tray import AppTray, badge_icon

NO_BUS = "mlops-test-no-bus"


@pytest.fixture
def no_bus() -> Iterator[QDBusConnection]:
    """A session bus that is not there (the address names no socket)."""
    bus = QDBusConnection.connectToBus("unix:path=/nonexistent/mlops-test-bus", NO_BUS)
    assert not bus.isConnected()
    yield bus
    QDBusConnection.disconnectFromBus(NO_BUS)


@pytest.fixture
def make_window(qtbot: Any, services: Any, no_bus: QDBusConnection) -> Iterator[Any]:
    made: list[Any] = []

    def make(settings: Settings | None = None, tray: bool = False) -> Any:
        win = build_main_window(
            services,
            settings or Settings(),
            start_ingest=False,
            tray_available=tray,
            notification_bus=no_bus,
        )
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.shutdown()


def test_a_run_ending_live_shows_in_the_banner_and_open_selects_it(
    qtbot: Any, make_window: Any, home: Path, service: Any
) -> None:
    write_run(home, "digits", "before", started_at=time.time() - 3600)
    service.ingest()  # ended before the app started: never told
    win = make_window()
    center = win.shell.notifications
    assert not center.use_desktop and win.shell.banner.isHidden()
    run_id = write_run(home, "digits", "fresh", status=None, started_at=time.time())
    win.ingest.ingest_now()
    qtbot.waitUntil(lambda: win.shell.tray.running == 1, timeout=5000)
    write_run(home, "digits", "fresh", status="failed", run_id=run_id, started_at=time.time())
    with qtbot.waitSignal(center.delivered, timeout=5000) as delivered:
        win.ingest.ingest_now()
    notice, where = delivered.args
    assert where == "banner" and notice.kind == "run_failed"
    banner = win.shell.banner
    assert banner.isVisible() and banner.title_label.text() == "Run failed: fresh"
    assert banner.open_button.isVisible()
    with qtbot.waitSignal(win.navigator.navigated, timeout=5000) as navigated:
        banner.open_button.click()
    assert navigated.args == [ShowRun(run_id)]
    assert win.current_pane() is win.panes["Experiments"]
    assert banner.isHidden()


def test_kinds_turned_off_are_not_told_and_banner_notices_queue(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window(Settings(notifications_off=["run_finished"]))
    center = win.shell.notifications
    told: list[Notice] = []
    center.delivered.connect(lambda notice, _where: told.append(notice))
    now = time.time()
    finished = Notice("run_finished", "Run finished: a", "a finished.", None, "k1", now)
    failed = Notice("run_failed", "Run failed: b", "b failed.", NoticeTarget("run", "b"), "k2", now)
    lost = Notice("job_lost", "Job lost: c", "c was lost.", NoticeTarget("job", "c"), "k3", now)
    with qtbot.waitSignal(center.delivered, timeout=2000):
        win.events.post_notices([finished, failed, lost])
    assert [n.title for n in told] == ["Run failed: b", "Job lost: c"]
    banner = win.shell.banner
    assert banner.title_label.text() == "Run failed: b" and banner.more_label.text() == "+1 more"
    banner.close_button.click()
    assert banner.title_label.text() == "Job lost: c" and banner.more_label.text() == ""
    banner.close_button.click()
    assert banner.isHidden()


def test_the_banner_hides_itself_after_a_while(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    banner = win.shell.banner
    banner.timer.setInterval(50)
    win.events.post_notices([Notice("gpu_idle", "GPUs idle", "Run x idles.")])
    assert banner.isVisible()
    qtbot.waitUntil(banner.isHidden, timeout=2000)


def test_tray_menu_shows_running_count_and_opens_recent_runs(qtbot: Any) -> None:
    tray = AppTray(app_icon(), False)
    assert tray.icon is None and not tray.available
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == ["Show MLOps Desktop", "Recent runs", "Launch…", "Quit"]
    assert not tray.recent_menu.isEnabled()
    now = time.time()
    runs = [
        RunSummary(f"{i:032d}", "digits", f"run-{i}", "running" if i < 2 else "finished", now - i)
        for i in range(5)
    ]
    tray.set_runs(TrayRuns(2, runs))
    assert tray.tooltip == "MLOps Desktop: 2 runs running"
    recent = tray.recent_menu.actions()
    assert [a.text() for a in recent][:2] == ["run-0 (digits, running)", "run-1 (digits, running)"]
    with qtbot.waitSignal(tray.runRequested, timeout=1000) as chosen:
        recent[3].trigger()
    assert chosen.args == [f"{3:032d}"]
    with qtbot.waitSignal(tray.launchRequested, timeout=1000):
        tray.launch_action.trigger()
    icon = badge_icon(app_icon(), 7)
    assert not icon.isNull() and icon.availableSizes()


def test_without_a_tray_closing_quits_even_when_asked_to_keep_running(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window(Settings(keep_in_tray=True), tray=False)
    assert not win.keeps_running_in_tray()
    with qtbot.waitSignal(win.closed, timeout=2000):
        win.close()


# The offscreen platform has no tray: the icon is made, and Qt notes it cannot follow it.
OFFSCREEN_TRAY = pytest.mark.qt_log_ignore("systemTrayWindowChanged")


@OFFSCREEN_TRAY
def test_with_a_tray_closing_hides_into_it_and_quit_quits(qtbot: Any, make_window: Any) -> None:
    win = make_window(Settings(keep_in_tray=True), tray=True)
    closed: list[bool] = []
    win.closed.connect(lambda: closed.append(True))
    assert win.keeps_running_in_tray()
    win.close()
    assert win.isHidden() and not closed
    win.shell.tray.show_action.trigger()
    assert win.isVisible()
    win.close()
    assert win.isHidden() and not closed
    with qtbot.waitSignal(win.closed, timeout=2000):
        win.shell.tray.quit_action.trigger()


@OFFSCREEN_TRAY
def test_a_tray_without_the_setting_closes_as_before(qtbot: Any, make_window: Any) -> None:
    win = make_window(Settings(), tray=True)
    with qtbot.waitSignal(win.closed, timeout=2000):
        win.close()


def test_preferences_save_notice_kinds_and_the_tray_setting(
    qtbot: Any, make_window: Any, home: Path
) -> None:
    win = make_window()
    dialog = win.open_preferences()
    assert all(c.isChecked() for c in dialog.notify_checks.values())
    assert not dialog.keep_in_tray_check.isChecked()
    dialog.notify_checks["gpu_idle"].setChecked(False)
    dialog.keep_in_tray_check.setChecked(True)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    saved = Settings.load(home)
    assert saved.notifications_off == ["gpu_idle"] and saved.keep_in_tray
    assert not win.settings.notifies("gpu_idle")  # the gate asks the live settings
