"""The Experiments pane's first-run page: how to log a run into *this* app's home, and a button
that builds the demo catalog in the background.

The snippet and the ``demo`` hint name the home when the app does not run on the default one
(``--home DIR`` or ``MLOPS_DESKTOP_HOME``), so a script run from any terminal logs where the app
looks. Building the demo runs the ``mlops-desktop --home DIR demo --no-gui`` command in a child
process (the trainings' output, environment and CPU stay out of the app), reports each step it
prints, and stops it on Cancel.
"""

from __future__ import annotations

import json
import queue
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget

from mlops_desktop.core.errors import DemoBuildFailed
from mlops_desktop.tracking.home import default_home
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import shown_html
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState

DEMO_STEPS = 60  # lines of progress a whole demo build prints (demo version 5): the bar's scale
NO_RUNS_FOOTER = "Runs appear here while they are running."
POLL_S = 0.1


def custom_home(home: Path) -> Path | None:
    """``home`` when it is not the platform's default home (a script must be told), else None."""
    try:
        same = home.expanduser().resolve() == default_home().expanduser().resolve()
    except OSError:
        same = False
    return None if same else home


def demo_hint_command(home: Path) -> str:
    """The command that builds the demo into ``home``, as a person types it."""
    chosen = custom_home(home)
    return (
        "mlops-desktop demo"
        if chosen is None
        else f"mlops-desktop --home {shlex.quote(str(chosen))} demo"
    )


def first_run_snippet(home: Path) -> str:
    """Python that logs a run into ``home`` (``home=`` only when it is not the default)."""
    chosen = custom_home(home)
    where = "" if chosen is None else f", home={json.dumps(str(chosen))}"
    return (
        "import mlops_desktop as mlops\n"
        f'with mlops.start_run(experiment="digits", params={{"lr": 0.01}}{where}) as run:\n'
        '    run.log_metric("acc", 0.93, step=1)'
    )


def first_run_html(home: Path) -> str:
    return (
        "<h2>No runs yet</h2>"
        f"<p>Build a demo catalog with <code>{shown_html(demo_hint_command(home))}</code> "
        "(or the button below), or log a run from any Python script:</p>"
    )


def demo_build_command(home: Path) -> list[str]:
    """The ``demo --no-gui`` command of this installation, building into ``home``."""
    return [sys.executable, "-m", "mlops_desktop", "--home", str(home), "demo", "--no-gui"]


def run_demo_build(command: list[str], *, state: TaskState) -> str:
    """Run ``command`` (a demo build), reporting each line it prints; stop it when cancelled.

    Returns:
        The counts line it printed last ("4 experiments, 33 runs, ...").

    Raises:
        DemoBuildFailed: the command cannot start or ends with an error.
    """
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise DemoBuildFailed(f"Cannot start the demo build: {exc.strerror or exc}.") from exc
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process, lines), daemon=True).start()
    last, step = "", 0
    while True:
        if state.cancelled:
            _stop(process)
            state.check()
        try:
            line = lines.get(timeout=POLL_S)
        except queue.Empty:
            continue
        if line is None:
            break
        if line.strip():
            last, step = line.strip(), step + 1
            state.progress(min(step / DEMO_STEPS, 0.99), last)
    code = process.wait()
    if code != 0:
        raise DemoBuildFailed(
            f"The demo build stopped with exit code {code} ({last or 'no output'}); "
            "run `mlops-desktop demo --no-gui` in a terminal to see why."
        )
    return last


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class FirstRunPage(EmptyState):
    """The empty Experiments pane: the snippet with a Copy button, and Build the demo catalog.

    Signals:
        demoBuilt(str): the build ended; the text is what it counted.
    """

    demoBuilt = Signal(str)

    def __init__(self, home: Path, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(first_run_html(home), first_run_snippet(home), NO_RUNS_FOOTER, parent)
        self._home = home
        self._runner = runner
        self._handle: TaskHandle | None = None
        self.build_command: Callable[[Path], list[str]] = demo_build_command
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the Python example to the clipboard")
        self.build_button = QPushButton("Build the demo catalog")
        self.build_button.setToolTip(
            f"Runs {demo_hint_command(home)} --no-gui: real trainings, well under a minute"
        )
        self.cancel_button = QPushButton("Cancel")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMinimumWidth(240)
        self.status_label = QLabel()
        self.add_buttons(self.copy_button, self.build_button, self.cancel_button)
        self.add_widgets(self.progress_bar, self.status_label)
        self._set_building(False)
        self.copy_button.clicked.connect(self.copy_snippet)
        self.build_button.clicked.connect(self.build_demo)
        self.cancel_button.clicked.connect(self.cancel_build)

    def copy_snippet(self) -> None:
        QGuiApplication.clipboard().setText(self.code_label.text())
        self.status_label.setText("Example copied.")

    def build_demo(self) -> None:
        """Build the demo catalog in the background, showing each step."""
        if self._handle is not None:
            return
        self._set_building(True)
        self.progress_bar.setValue(0)
        self.status_label.setText("Starting the demo build…")
        self._handle = self._runner.submit(
            run_demo_build,
            self.build_command(self._home),
            on_done=self._on_built,
            on_failed=self._on_failed,
            on_progress=self._on_progress,
            label="Building the demo catalog",
        )
        self._handle.cancelled.connect(self._on_cancelled)

    def cancel_build(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self.status_label.setText("Stopping the demo build…")

    def is_building(self) -> bool:
        return self._handle is not None

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress_bar.setValue(round(fraction * 100))
        self.status_label.setText(message)

    def _on_built(self, counts: str) -> None:
        self._finish(f"Demo catalog built: {counts}." if counts else "Demo catalog built.")
        self.demoBuilt.emit(counts)

    def _on_failed(self, failure: Failure) -> None:
        self._finish(str(failure))

    def _on_cancelled(self) -> None:
        self._finish("Demo build cancelled; build it again to finish it.")

    def _finish(self, message: str) -> None:
        self._handle = None
        self._set_building(False)
        self.status_label.setText(message)

    def _set_building(self, building: bool) -> None:
        self.build_button.setEnabled(not building)
        self.cancel_button.setVisible(building)
        self.progress_bar.setVisible(building)
