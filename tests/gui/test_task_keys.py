"""The latest request wins in the task runner; panes are reached through the navigator."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtWidgets import QWidget

from mlops_desktop.ui.navigation import Navigator, ShowDataset, ShowRun
from mlops_desktop.ui.tasks import TaskRunner


def wait_for(gate: threading.Event, value: str, *, state: Any) -> str:
    while not gate.wait(0.01):
        if state.cancelled:
            break
    return value


def test_a_newer_request_of_a_key_supersedes_the_running_one(
    qtbot: Any, runner: TaskRunner
) -> None:
    gate = threading.Event()
    done: list[str] = []
    first = runner.submit(wait_for, gate, "old", key="runs", on_done=done.append)
    cancelled: list[bool] = []
    first.cancelled.connect(lambda: cancelled.append(True))
    second = runner.submit(wait_for, gate, "new", key="runs", on_done=done.append)
    assert first.state.cancelled and runner.is_busy("runs")
    gate.set()
    qtbot.waitUntil(lambda: first.is_finished and second.is_finished, timeout=5000)
    assert done == ["new"] and cancelled == [True]
    assert not runner.is_busy("runs")


def test_requests_while_busy_wait_and_only_the_newest_runs(qtbot: Any, runner: TaskRunner) -> None:
    gate = threading.Event()
    done: list[str] = []
    running = runner.submit_when_idle("live", wait_for, gate, "running", on_done=done.append)
    assert running is not None
    for value in ("queued-1", "queued-2", "queued-3"):
        assert runner.submit_when_idle("live", wait_for, gate, value, on_done=done.append) is None
    gate.set()
    qtbot.waitUntil(lambda: len(done) == 2 and not runner.is_busy("live"), timeout=5000)
    assert done == ["running", "queued-3"]


def test_a_stale_result_can_be_dropped_for_the_request_that_waits(
    qtbot: Any, runner: TaskRunner
) -> None:
    gate = threading.Event()
    done: list[str] = []
    runner.submit_when_idle("check", wait_for, gate, "before the change", on_done=done.append)
    runner.submit_when_idle(
        "check", wait_for, gate, "after the change", on_done=done.append, deliver_stale=False
    )
    gate.set()
    qtbot.waitUntil(lambda: not runner.is_busy("check"), timeout=5000)
    assert done == ["after the change"]


def test_cancelling_a_key_drops_its_result_and_its_waiting_request(
    qtbot: Any, runner: TaskRunner
) -> None:
    gate = threading.Event()
    done: list[str] = []
    handle = runner.submit_when_idle("k", wait_for, gate, "a", on_done=done.append)
    runner.submit_when_idle("k", wait_for, gate, "b", on_done=done.append)
    runner.cancel("k")
    gate.set()
    assert handle is not None
    qtbot.waitUntil(lambda: handle.is_finished and not runner.is_busy("k"), timeout=5000)
    assert done == []


def test_the_navigator_brings_the_serving_pane_to_the_front(qtbot: Any) -> None:
    navigator = Navigator()
    pane = QWidget()
    qtbot.addWidget(pane)
    fronts: list[QWidget] = []
    shown: list[ShowRun] = []
    navigator.set_pane_switcher(fronts.append)
    navigator.serve(ShowRun, pane, shown.append)
    with qtbot.waitSignal(navigator.navigated, timeout=1000):
        navigator.show_run("3f2a")
    assert shown == [ShowRun("3f2a")] and fronts == [pane]
    assert navigator.go(ShowDataset("wine", "v2")) is None  # nobody serves datasets here
    assert fronts == [pane] and navigator.serves(ShowRun) and not navigator.serves(ShowDataset)
