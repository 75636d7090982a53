"""Desktop notifications over a real D-Bus session bus (``dbus-run-session``) with a fake
notification server in a subprocess: the Notify call, its "Open" action, and the banner when
the bus has no server. System tests: skipped without dbus-run-session, failures in CI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run
from PySide6.QtDBus import QDBusConnection

from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.navigation import ShowRun

pytestmark = pytest.mark.system
REQUIRE_SYSTEM = os.environ.get("MLOPS_DESKTOP_REQUIRE_SYSTEM") == "1"
SERVER = Path(__file__).with_name("fake_notification_server.py")
BUS_NAME = "mlops-test-session-bus"


def system_missing(what: str) -> None:
    """Skip, or fail where CI requires the system's services."""
    if REQUIRE_SYSTEM:
        pytest.fail(f"{what} (MLOPS_DESKTOP_REQUIRE_SYSTEM=1 makes this a failure)")
    pytest.skip(what)


def _start_bus(record: Path, *flags: str) -> tuple[subprocess.Popen[str], str]:
    if shutil.which("dbus-run-session") is None:
        system_missing("dbus-run-session is not installed (Debian package dbus-daemon)")
    proc = subprocess.Popen(
        ["dbus-run-session", "--", sys.executable, str(SERVER), str(record), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    ready = proc.stdout.readline().strip()
    if not address or ready != "ready":
        _stop(proc)
        pytest.fail(f"the fake notification server did not start (exit code {proc.poll()})")
    return proc, address


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[Callable[..., tuple[QDBusConnection, Path]]]:
    """Starts a private session bus (with the fake server, or ``--absent``), connected here."""
    procs: list[subprocess.Popen[str]] = []

    def start(*flags: str) -> tuple[QDBusConnection, Path]:
        record = tmp_path / "notify-calls.jsonl"
        proc, address = _start_bus(record, *flags)
        procs.append(proc)
        bus = QDBusConnection.connectToBus(address, BUS_NAME)
        assert bus.isConnected(), bus.lastError().message()
        return bus, record

    yield start
    QDBusConnection.disconnectFromBus(BUS_NAME)
    for proc in procs:
        _stop(proc)


@pytest.fixture
def window_on(qtbot: Any, services: Any) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(bus: QDBusConnection, settings: Settings | None = None) -> Any:
        win = build_main_window(
            services, settings or Settings(), start_ingest=False, notification_bus=bus
        )
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.shutdown()


def _calls(record: Path) -> list[dict[str, Any]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]


def test_a_run_end_is_a_desktop_notification_whose_action_opens_the_run(
    qtbot: Any, session_bus: Any, window_on: Any, home: Path
) -> None:
    bus, record = session_bus("--click")
    win = window_on(bus)
    center = win.shell.notifications
    run_id = write_run(home, "digits", "resnet", status="finished", started_at=time.time())
    with qtbot.waitSignal(win.navigator.navigated, timeout=10000) as navigated:
        win.ingest.ingest_now()
    assert navigated.args == [ShowRun(run_id)]
    assert win.current_pane() is win.panes["Experiments"]
    (call,) = _calls(record)
    assert call["summary"] == "Run finished: resnet"
    assert call["body"].startswith("resnet in digits finished after ")
    assert call["actions"] == ["default", "Open"]
    assert call["app_name"] == "MLOps Desktop" and call["replaces_id"] == 0
    assert call["hints"] == {"desktop-entry": "mlops-desktop"}
    assert center.use_desktop and win.shell.banner.isHidden()


def test_a_kind_turned_off_sends_nothing_on_the_bus(
    qtbot: Any, session_bus: Any, window_on: Any, home: Path
) -> None:
    bus, record = session_bus()
    win = window_on(bus, Settings(notifications_off=["run_finished"]))
    center = win.shell.notifications
    write_run(home, "digits", "quiet", status="finished", started_at=time.time())
    loud = write_run(home, "digits", "loud", status="failed", started_at=time.time())
    with qtbot.waitSignal(center.delivered, timeout=10000) as delivered:
        win.ingest.ingest_now()
    assert delivered.args[1] == "desktop" and delivered.args[0].target.ref == loud
    assert [c["summary"] for c in _calls(record)] == ["Run failed: loud"]


def test_a_bus_without_a_notification_server_falls_back_to_the_banner(
    qtbot: Any, session_bus: Any, window_on: Any, home: Path
) -> None:
    bus, record = session_bus("--absent")
    win = window_on(bus)
    center = win.shell.notifications
    assert center.use_desktop  # a bus is there; whether a server is, only a call tells
    write_run(home, "digits", "resnet", status="finished", started_at=time.time())
    with qtbot.waitSignal(center.delivered, timeout=10000) as delivered:
        win.ingest.ingest_now()
    assert delivered.args[1] == "banner" and not center.use_desktop
    assert win.shell.banner.title_label.text() == "Run finished: resnet"
    assert _calls(record) == []
