"""One way to fail: bugs land in the home's log with their tracebacks, user errors are sentences."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import qInfo

from mlops_desktop.app_log import ROOT_LOGGER, current_log_path, log_path, setup_logging
from mlops_desktop.core.errors import DatasetError
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.failures import Failure, FailureReporter
from mlops_desktop.ui.live import JobsLoop
from mlops_desktop.ui.tasks import TaskRunner


@pytest.fixture
def app_log(home: Path) -> Iterator[Path]:
    """The app's log set up in the test's home, removed again afterwards."""
    path = setup_logging(home)
    assert path == log_path(home)
    yield path
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in list(logger.handlers):
        if Path(getattr(handler, "baseFilename", "")) == path.absolute():
            logger.removeHandler(handler)
            handler.close()


def read_log(path: Path) -> str:
    for handler in logging.getLogger(ROOT_LOGGER).handlers:
        handler.flush()
    return path.read_text(encoding="utf-8") if path.exists() else ""


def compute_the_answer(*, state: Any) -> int:
    raise RuntimeError("the answer is not 42")


def refuse_politely(*, state: Any) -> int:
    raise DatasetError("wine has no version v9: choose one of v1, v2.")


def test_a_bug_in_a_worker_lands_in_the_log_with_its_traceback(
    qtbot: Any, runner: TaskRunner, app_log: Path
) -> None:
    failures: list[Failure] = []
    with qtbot.waitSignal(runner.reporter.bugReported, timeout=5000) as reported:
        handle = runner.submit(compute_the_answer, on_failed=failures.append)
    qtbot.waitUntil(lambda: handle.is_finished, timeout=5000)
    (failure,) = failures
    assert failure.is_bug and reported.args == [failure]
    assert str(app_log) in str(failure) and "RuntimeError" in str(failure)
    text = read_log(app_log)
    assert "Traceback (most recent call last)" in text
    assert "in compute_the_answer" in text and "RuntimeError: the answer is not 42" in text


def test_a_user_error_is_its_sentence_and_is_not_logged(
    qtbot: Any, runner: TaskRunner, app_log: Path
) -> None:
    failures: list[Failure] = []
    bugs: list[Failure] = []
    runner.reporter.bugReported.connect(bugs.append)
    handle = runner.submit(refuse_politely, on_failed=failures.append)
    qtbot.waitUntil(lambda: handle.is_finished, timeout=5000)
    (failure,) = failures
    assert not failure.is_bug and not bugs
    assert str(failure) == "wine has no version v9: choose one of v1, v2."
    assert "DatasetError" not in read_log(app_log)


def test_a_bug_behind_a_pane_is_logged_and_the_status_bar_offers_the_log(
    qtbot: Any, services: Any, home: Path, app_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = build_main_window(services, Settings(), start_ingest=False)
    qtbot.addWidget(window)
    window.show()
    try:
        pane = window.panes["Datasets"]
        qtbot.waitUntil(lambda: pane.loaded, timeout=5000)

        def broken() -> list[Any]:
            raise KeyError("summary")

        monkeypatch.setattr(services.datasets, "list_datasets", broken)
        pane.refresh()
        qtbot.waitUntil(lambda: window.status.log_button.isVisible(), timeout=5000)
        assert "Internal error while list datasets" in window.status.currentMessage()
        assert "in broken" in read_log(app_log) and "KeyError: 'summary'" in read_log(app_log)
        opened: list[str] = []
        monkeypatch.setattr(
            "mlops_desktop.ui.main_window.QDesktopServices.openUrl",
            lambda url: opened.append(url.toLocalFile()),
        )
        window.status.log_button.click()
        assert opened == [str(app_log)] and not window.status.log_button.isVisible()
    finally:
        window.shutdown()


def test_uncaught_exceptions_and_qt_messages_reach_the_log(qtbot: Any, app_log: Path) -> None:
    reporter = FailureReporter()
    previous = sys.excepthook, threading.excepthook
    reporter.install()
    try:
        try:
            raise ValueError("raised in a slot")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        thread = threading.Thread(target=lambda: 1 / 0, name="sampler")
        thread.start()
        thread.join()
        qInfo("a word from Qt")
    finally:
        reporter.uninstall()
    assert (sys.excepthook, threading.excepthook) == previous
    text = read_log(app_log)
    assert "while handling an event" in text and "ValueError: raised in a slot" in text
    assert "while running sampler" in text and "ZeroDivisionError" in text
    assert "Qt: a word from Qt" in text


def test_the_log_rotates_and_moves_with_the_home(tmp_path: Path, app_log: Path) -> None:
    assert current_log_path() == app_log.absolute()
    other = setup_logging(tmp_path / "other-home")
    try:
        assert other is not None and current_log_path() == other.absolute()
    finally:
        setup_logging(app_log.parent.parent)
    assert current_log_path() == app_log.absolute()


class FailingJobs:
    """A job service whose every refresh fails the same way."""

    def __init__(self) -> None:
        self.calls = 0

    def refresh(self) -> list[Any]:
        self.calls += 1
        raise DatasetError("the cluster is down")

    def jobs(self) -> list[Any]:
        return []


def test_a_poll_that_keeps_failing_is_announced_once(qtbot: Any, runner: TaskRunner) -> None:
    service = FailingJobs()
    loop = JobsLoop(service, runner, interval_ms=200)  # type: ignore[arg-type]
    problems: list[str] = []
    loop.problem.connect(problems.append)
    loop.start()
    qtbot.waitUntil(lambda: service.calls >= 3, timeout=5000)
    loop.stop()
    qtbot.waitUntil(lambda: not loop.in_flight, timeout=5000)
    assert problems == ["Cannot refresh jobs: the cluster is down"]
