"""Issue 12 in the launch dialog with the real JobService: the command is checked before the
job starts (next to its field), the dialog follows the job, steps aside to the Jobs pane once
it runs, and shows the exit code and the log's last lines when it fails at once."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.ui.dialogs.launch import LaunchDialog
from mlops_desktop.ui.panes.jobs.pane import JobsPane

TIMEOUT_MS = 30_000


@pytest.fixture
def jobs(service: Any, home: Path) -> Any:
    from mlops_desktop.services.compute import JobService

    return JobService(service.catalog, home)  # borrows the catalog: closed by service


@pytest.fixture
def pane(qtbot: Any, jobs: Any, runner: Any, home: Path) -> Iterator[JobsPane]:
    widget = JobsPane(jobs, runner, home)
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    yield widget
    for job in jobs.jobs(active_only=True):  # never leave a process behind
        jobs.cancel(job.run_id, grace_s=0)
    widget.shutdown()
    if widget.launch_dialog is not None:
        widget.launch_dialog.close()


def open_dialog(qtbot: Any, pane: JobsPane, workdir: Path) -> LaunchDialog:
    dialog = pane.open_launch_dialog()
    qtbot.waitUntil(lambda: not dialog.gpu_picker.loading, timeout=10_000)
    dialog.workdir_edit.setText(str(workdir))
    return dialog


def test_a_missing_program_is_said_next_to_the_command_while_typing_and_at_launch(
    qtbot: Any, pane: JobsPane, jobs: Any, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, pane, tmp_path)
    dialog.command_edit.setText("nonexistent_cmd_xyz --lr 0.1")
    sentence = "nonexistent_cmd_xyz was not found on local"
    qtbot.waitUntil(lambda: sentence in dialog.command_problem.text(), timeout=TIMEOUT_MS)
    dialog.command_edit.setText("python3 -c pass")  # fixed: the sentence goes
    assert not dialog.command_problem.isVisible()
    dialog.command_edit.setText("nonexistent_cmd_xyz")
    dialog.launch_button.click()
    qtbot.waitUntil(lambda: sentence in dialog.message.text(), timeout=TIMEOUT_MS)
    assert sentence in dialog.command_problem.text() and jobs.jobs() == []


def test_a_missing_script_and_a_missing_interpreter_are_refused(
    qtbot: Any, pane: JobsPane, jobs: Any, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, pane, tmp_path)
    dialog.command_edit.setText("python train_missing.py --epochs 2")
    dialog.launch_button.click()
    qtbot.waitUntil(lambda: "train_missing.py does not exist" in dialog.command_problem.text())
    (tmp_path / "train.py").write_text("print('hi')\n")
    dialog.command_edit.setText("python train.py")
    dialog.python_edit.setText(str(tmp_path / "no-venv"))
    dialog.launch_button.click()
    qtbot.waitUntil(lambda: "The Python interpreter" in dialog.python_problem.text())
    assert not dialog.command_problem.isVisible() and jobs.jobs() == []


def test_a_job_that_exits_127_shows_its_exit_code_and_log(
    qtbot: Any, pane: JobsPane, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, pane, tmp_path)
    dialog.command_edit.setText("sh -c 'echo cannot find the data >&2; exit 127'")
    with qtbot.waitSignal(dialog.failedAtOnce, timeout=TIMEOUT_MS):
        dialog.launch_button.click()
    assert "with exit code 127" in dialog.message.text()
    assert "starting" not in dialog.message.text()
    assert dialog.log_tail.isVisible()
    qtbot.waitUntil(lambda: "cannot find the data" in dialog.log_tail.toPlainText())
    assert dialog.isVisible()  # it stays open to fix the command


def test_a_started_job_closes_the_dialog_and_is_selected_in_jobs(
    qtbot: Any, pane: JobsPane, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, pane, tmp_path)
    code = "import time; time.sleep(600)"
    dialog.command_edit.setText(f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}")
    with qtbot.waitSignal(dialog.started, timeout=TIMEOUT_MS) as blocker:
        dialog.launch_button.click()
    run_id = blocker.args[0].run_id
    assert blocker.args[0].state == "running" and not dialog.isVisible()
    qtbot.waitUntil(lambda: pane.selected_job() is not None, timeout=TIMEOUT_MS)
    assert pane.selected_job().run_id == run_id


def test_the_python_field_picks_the_interpreter_of_a_local_job(
    qtbot: Any, pane: JobsPane, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    out = tmp_path / "where.txt"
    code = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.executable)"
    dialog = open_dialog(qtbot, pane, tmp_path)
    dialog.python_edit.setText(str(venv))
    dialog.command_edit.setText(f"python -c {shlex.quote(code)} {shlex.quote(str(out))}")
    with qtbot.waitSignal(dialog.started, timeout=TIMEOUT_MS):
        dialog.launch_button.click()
    qtbot.waitUntil(out.exists, timeout=TIMEOUT_MS)
    assert out.read_text() == str(venv / "bin" / "python") != sys.executable
