"""One app per home, with real processes: the first a real GUI (offscreen) on a temp home, the
second hands its request over and exits; a socket left by ``kill -9``; two homes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

import mlops_desktop
from mlops_desktop.single_instance import instance_address

pytestmark = pytest.mark.slow
START_TIMEOUT_S = 60.0
HEAVY_MODULES = ("sqlalchemy", "pyqtgraph", "PySide6", "mlops_desktop.catalog", "numpy")


@pytest.fixture(autouse=True)
def short_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The sockets go to a short private folder (a socket path has at most 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="mdi"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def apps() -> Iterator[list[subprocess.Popen[bytes]]]:
    """The app processes a test starts; killed at its end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def start_app(
    apps: list[subprocess.Popen[bytes]], home: Path, *options: str
) -> subprocess.Popen[bytes]:
    """Start ``mlops-desktop --home HOME gui OPTIONS`` and wait until it answers later starts."""
    command = [sys.executable, "-m", "mlops_desktop", "--home", str(home), "gui", *options]
    process = subprocess.Popen(command, env=_env(), stderr=subprocess.PIPE)
    apps.append(process)
    wait_for(lambda: answers(instance_address(home)) or process.poll() is not None)
    assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
    return process


def hand_over(home: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """A second start on ``home``; its result and how long it ran (s)."""
    command = [sys.executable, "-m", "mlops_desktop", "--home", str(home), "gui", *options]
    began = time.monotonic()
    done = subprocess.run(
        command, env=_env(), capture_output=True, text=True, timeout=START_TIMEOUT_S
    )
    return done, time.monotonic() - began


def answers(address: str) -> bool:
    """True when an app listens at ``address`` (a connection without a request: it is let go)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(address)
        except OSError:
            return False
    return True


def wait_for(condition: Callable[[], object], timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll ``condition`` (another process's state: no Qt signal reaches here) until true."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def selection(home: Path, pane: str) -> dict[str, object]:
    state = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat)
    state.sync()
    value = state.value(f"selection/{pane}")
    return json.loads(value) if isinstance(value, str) else {}


def shown_pane(home: Path) -> object:
    return QSettings(str(home / "window.ini"), QSettings.Format.IniFormat).value("pane")


def make_runs(home: Path) -> list[str]:
    ids = []
    for name in ("first", "second"):
        with mlops_desktop.start_run(
            "digits", name, home=home, capture_env=False, capture_output=False
        ) as run:
            run.log_metric("loss", 0.5, step=1)
            ids.append(run.id)
    return ids


def test_second_start_hands_over_and_the_first_shows_the_run(
    home: Path, apps: list[subprocess.Popen[bytes]]
) -> None:
    first_run, _second_run = make_runs(home)
    first = start_app(apps, home)
    done, elapsed = hand_over(home, "--show-run", first_run[:8])
    assert done.returncode == 0, done.stderr
    assert elapsed < 10, elapsed  # the speed target is measured by bench_single_instance.py
    wait_for(lambda: selection(home, "Experiments").get("runs") == [first_run])
    assert first.poll() is None
    log = (home / "logs" / "app.log").read_text()
    assert f"A later start asked for ShowRequest(show_run='{first_run[:8]}'" in log

    # The hand-over path imports neither the catalog nor Qt, and shows the pane asked for.
    script = (
        "import json, sys; from mlops_desktop.entry import main; "
        f"code = main(['--home', {str(home)!r}, 'gui', '--pane', 'Jobs']); "
        f"print(json.dumps([code, [m for m in {HEAVY_MODULES!r} if m in sys.modules]]))"
    )
    quick = subprocess.run(
        [sys.executable, "-c", script], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert json.loads(quick.stdout) == [0, []], quick.stderr
    wait_for(lambda: shown_pane(home) == "Jobs")


def test_a_socket_left_by_a_killed_app_does_not_stop_the_next(
    home: Path, apps: list[subprocess.Popen[bytes]]
) -> None:
    crashed = start_app(apps, home)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=30)
    address = instance_address(home)
    assert Path(address).exists() and not answers(address)  # stale: refuses connections

    second = start_app(apps, home)  # connects, is refused, removes the file, listens
    done, _elapsed = hand_over(home, "--pane", "Models")
    assert done.returncode == 0, done.stderr
    wait_for(lambda: shown_pane(home) == "Models")
    assert second.poll() is None


def test_two_homes_are_two_apps(
    home: Path, tmp_path: Path, apps: list[subprocess.Popen[bytes]]
) -> None:
    other_home = tmp_path / "other home"
    other_home.mkdir()
    assert instance_address(home) != instance_address(other_home)
    first = start_app(apps, home)
    second = start_app(apps, other_home)  # would have exited had it handed over
    assert first.poll() is None and second.poll() is None
