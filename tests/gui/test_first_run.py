"""The empty Experiments pane: a snippet that logs into the app's home, Copy, Build the demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

import mlops_desktop.demo.build
from mlops_desktop.cli.app import build_demo as demo_command_handler
from mlops_desktop.cli.main import build_parser
from mlops_desktop.settings import Settings
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.panes.experiments import first_run
from mlops_desktop.ui.panes.experiments.first_run import FirstRunPage, demo_build_command
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane

INGEST = (
    "\nfrom mlops_desktop.services.bundle import Services\n"
    "with Services.open(__import__('pathlib').Path({home!r})) as services:\n"
    "    services.experiments.ingest()\n"
)


@pytest.fixture
def empty_pane(qtbot: Any, service: Any, runner: Any, home: Path) -> Any:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    widget.ingest_loop = ingest
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.stack.currentWidget() is widget.empty, timeout=5000)
    yield widget
    widget.shutdown()


def test_snippet_and_demo_hint_name_a_home_that_is_not_the_default(
    qtbot: Any, runner: Any, home: Path, monkeypatch: Any
) -> None:
    page = FirstRunPage(home, runner)
    qtbot.addWidget(page)
    assert f'home="{home}"' in page.code_label.text()
    assert f"mlops-desktop --home {home} demo" in page.text()

    monkeypatch.setattr(first_run, "default_home", lambda: home)
    plain = FirstRunPage(home, runner)
    qtbot.addWidget(plain)
    assert "home=" not in plain.code_label.text()
    assert "mlops-desktop demo" in plain.text() and "--home" not in plain.text()

    page.copy_button.click()
    assert QGuiApplication.clipboard().text() == page.code_label.text()


def test_build_demo_runs_the_demo_command_of_this_home(home: Path, monkeypatch: Any) -> None:
    command = demo_build_command(home)
    assert command[:3] == [sys.executable, "-m", "mlops_desktop"]
    args = build_parser().parse_args(command[3:])
    assert args.handler is demo_command_handler and args.no_gui
    built: list[Path] = []

    def fake_build(at: Path, _url: Any = None, progress: Any = None) -> dict[str, int]:
        built.append(Path(at))
        return {"runs": 0}

    monkeypatch.setattr(mlops_desktop.demo.build, "build_demo", fake_build)
    args.home, args.catalog, args.json = Path(args.home), None, True
    assert args.handler(args) == 0
    assert built == [home], "the button's command reaches the real builder's entry point"


def test_build_button_fills_the_table_through_the_snippet(
    qtbot: Any, empty_pane: Any, home: Path, monkeypatch: Any
) -> None:
    page = empty_pane.empty
    script = (
        "print('step one', flush=True)\n" + page.code_label.text() + INGEST.format(home=str(home))
    )
    monkeypatch.delenv("MLOPS_DESKTOP_HOME")  # the snippet alone must say where to log
    page.build_command = lambda _home: [sys.executable, "-c", script]
    page.build_button.click()
    assert page.is_building() and not page.build_button.isEnabled()
    qtbot.waitUntil(lambda: not page.is_building(), timeout=20000)
    assert "built" in page.status_label.text(), page.status_label.text()
    qtbot.waitUntil(lambda: empty_pane.model.rowCount() == 1, timeout=5000)
    assert empty_pane.stack.currentWidget() is empty_pane.hsplit
    assert empty_pane.model.run_at(0).experiment == "digits"


def test_cancel_stops_the_build(qtbot: Any, runner: Any, home: Path) -> None:
    page = FirstRunPage(home, runner)
    qtbot.addWidget(page)
    page.show()
    slow = "import time\nprint('step one', flush=True)\ntime.sleep(60)"
    page.build_command = lambda _home: [sys.executable, "-c", slow]
    page.build_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "step one", timeout=10000)
    assert page.progress_bar.isVisible() and page.cancel_button.isVisible()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: not page.is_building(), timeout=10000)
    assert "cancelled" in page.status_label.text()
    assert page.build_button.isEnabled() and not page.cancel_button.isVisible()


def test_a_failed_build_says_so_in_one_sentence(qtbot: Any, runner: Any, home: Path) -> None:
    page = FirstRunPage(home, runner)
    qtbot.addWidget(page)
    page.build_command = lambda _home: [sys.executable, "-c", "print('boom'); raise SystemExit(3)"]
    page.build_button.click()
    qtbot.waitUntil(lambda: not page.is_building(), timeout=10000)
    assert "exit code 3 (boom)" in page.status_label.text()
