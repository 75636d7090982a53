"""The task runner: results reach the GUI thread, and never a widget that is gone."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtWidgets import QLabel

from mlops_desktop.ui.tasks import TaskRunner


def _slow(gate: threading.Event, *, state: Any) -> str:
    gate.wait(5)
    return "done"


def test_result_reaches_the_gui_thread(qtbot: Any) -> None:
    runner = TaskRunner()
    seen: list[tuple[str, bool]] = []
    gate = threading.Event()
    gate.set()
    handle = runner.submit(
        _slow,
        gate,
        on_done=lambda r: seen.append((r, threading.current_thread() is threading.main_thread())),
    )
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert seen == [("done", True)]
    assert runner.shutdown()


def test_a_result_for_a_deleted_widget_is_dropped_quietly(qtbot: Any) -> None:
    runner = TaskRunner()
    label = QLabel()
    gate = threading.Event()
    bound = runner.submit(_slow, gate, on_done=label.setText)
    closure = runner.submit(_slow, gate, on_done=lambda text: label.setText(text))
    label.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(label), timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: bound.is_finished and closure.is_finished, timeout=5000)
    assert runner.shutdown()
