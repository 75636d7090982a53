"""Issue 12 on an SSH host (a real sshd on loopback): the command is checked there with
``command -v`` before anything starts, in the launch dialog too, and ``--python`` runs a
leading ``python`` with the chosen interpreter."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, RunSpec
from mlops_desktop.core.errors import LaunchCheckFailed
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService

WHERE = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.executable)"


@pytest.fixture
def jobs(temp_home: Path) -> Iterator[JobService]:
    with Services.open(temp_home) as opened:
        yield opened.jobs
        for job in opened.jobs.jobs(active_only=True):
            opened.jobs.cancel(job.run_id, grace_s=0)


def test_a_missing_program_or_interpreter_on_the_host_is_refused(
    jobs: JobService, ssh_host: HostInfo, tmp_path: Path
) -> None:
    target = f"ssh:{ssh_host.name}"
    with pytest.raises(LaunchCheckFailed, match=f"nonexistent_cmd_xyz was not found on {target}"):
        jobs.launch(RunSpec(command=["nonexistent_cmd_xyz"], target=target, workdir=str(tmp_path)))
    with pytest.raises(LaunchCheckFailed, match="The Python interpreter ~/no-venv/bin/python"):
        jobs.check_command(
            RunSpec(command=["python", "-c", "1"], target=target, python="~/no-venv")
        )
    with pytest.raises(LaunchCheckFailed, match="does not exist on"):
        jobs.check_command(RunSpec(command=["python3", "/nowhere/t.py"], target=target))
    jobs.check_command(RunSpec(command=["sh", "-c", "true"], target=target, code="none"))
    assert jobs.jobs() == []


def test_python_runs_a_leading_python_with_the_chosen_interpreter_over_ssh(
    jobs: JobService, ssh_host: HostInfo, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    out = tmp_path / "where.txt"
    spec = RunSpec(
        command=["python", "-c", WHERE, str(out)],
        target=f"ssh:{ssh_host.name}",
        code="none",
        python=str(venv),
    )
    job = jobs.launch(spec)
    deadline = time.monotonic() + 30
    while jobs.get(job.run_id).state not in TERMINAL_STATES and time.monotonic() < deadline:
        jobs.refresh()
        time.sleep(0.1)
    assert jobs.get(job.run_id).state == "finished"
    assert out.read_text() == str(venv / "bin" / "python")


def test_the_dialog_refuses_a_missing_program_on_the_host(
    qtbot: Any, jobs: JobService, ssh_host: HostInfo, temp_home: Path, tmp_path: Path
) -> None:
    from mlops_desktop.ui.dialogs.launch import LaunchDialog
    from mlops_desktop.ui.tasks import TaskRunner

    runner = TaskRunner()
    dialog = LaunchDialog(jobs, runner, temp_home)
    qtbot.addWidget(dialog)
    dialog.show()
    target = f"ssh:{ssh_host.name}"
    qtbot.waitUntil(lambda: dialog.target_combo.findData(target) >= 0, timeout=10_000)
    dialog.target_combo.setCurrentIndex(dialog.target_combo.findData(target))
    dialog.workdir_edit.setText(str(tmp_path))
    dialog.command_edit.setText("nonexistent_cmd_xyz --epochs 3")
    dialog.launch_button.click()
    sentence = f"nonexistent_cmd_xyz was not found on {target}"
    qtbot.waitUntil(lambda: sentence in dialog.command_problem.text(), timeout=30_000)
    assert dialog.command_problem.isVisible() and jobs.jobs() == []
    dialog.close()
    assert runner.shutdown()


def test_slurm_checks_then_the_dialog_follows_queued_to_running(
    qtbot: Any, jobs: JobService, slurm_env: Path, temp_home: Path, tmp_path: Path
) -> None:
    from mlops_desktop.ui.dialogs.launch import LaunchDialog
    from mlops_desktop.ui.tasks import TaskRunner

    with pytest.raises(LaunchCheckFailed, match="nonexistent_cmd_xyz was not found on slurm:local"):
        jobs.check_command(RunSpec(command=["nonexistent_cmd_xyz"], target="slurm:local"))
    runner = TaskRunner()
    dialog = LaunchDialog(jobs, runner, temp_home)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.target_combo.findData("slurm:local") >= 0, timeout=10_000)
    dialog.target_combo.setCurrentIndex(dialog.target_combo.findData("slurm:local"))
    dialog.workdir_edit.setText(str(tmp_path))
    dialog.code_combo.setCurrentIndex(dialog.code_combo.findData("folder"))
    dialog.command_edit.setText(f"{sys.executable} -c 'import time; time.sleep(600)'")
    states: list[str] = []
    dialog.follower.waiting.connect(lambda job: states.append(job.state))
    with qtbot.waitSignal(dialog.started, timeout=60_000) as blocker:
        dialog.launch_button.click()
    assert blocker.args[0].state == "running" and not dialog.isVisible()
    assert set(states) <= {"starting", "queued", "running"}
    dialog.close()
    assert runner.shutdown()
