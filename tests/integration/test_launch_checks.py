"""Issue 12 on the local target: a launch is refused before it starts when its program, script
or interpreter is missing, and ``--python`` picks the interpreter of a leading ``python``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli import main
from mlops_desktop.core.compute import TERMINAL_STATES, RunSpec
from mlops_desktop.core.errors import LaunchCheckFailed
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService

WHERE = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.executable)"


@pytest.fixture
def jobs(temp_home: Path, tmp_path: Path) -> Iterator[JobService]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened.jobs
        for job in opened.jobs.jobs(active_only=True):
            opened.jobs.cancel(job.run_id, grace_s=0)


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A second interpreter: a virtual environment whose sys.executable is its own."""
    folder = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return folder


def ended(jobs: JobService, run_id: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state in TERMINAL_STATES:
            return job.state
        time.sleep(0.05)
    raise AssertionError(f"{run_id} did not end: {jobs.get(run_id)}")


def test_a_missing_program_script_or_interpreter_is_refused_before_anything_starts(
    jobs: JobService, tmp_path: Path
) -> None:
    with pytest.raises(LaunchCheckFailed, match="nonexistent_cmd_xyz was not found on local"):
        jobs.launch(RunSpec(command=["nonexistent_cmd_xyz", "--x"], workdir=str(tmp_path)))
    with pytest.raises(LaunchCheckFailed, match=r"The script missing\.py does not exist in"):
        jobs.launch(RunSpec(command=["python3", "missing.py"], workdir=str(tmp_path)))
    with pytest.raises(LaunchCheckFailed, match="Python interpreter /nowhere/bin/python") as e:
        jobs.launch(RunSpec(command=["python", "-c", "1"], python="/nowhere/bin/python"))
    assert e.value.field == "python"
    jobs.check_command(RunSpec(command=["python3", "-c", "1"], workdir=str(tmp_path)))
    assert jobs.jobs() == []


def test_local_python_runs_a_leading_python_with_the_chosen_interpreter(
    jobs: JobService, venv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "where.txt"
    spec = RunSpec(command=["python", "-c", WHERE, str(out)], python=str(venv))
    job = jobs.launch(spec)
    assert ended(jobs, job.run_id) == "finished"
    assert out.read_text() == str(venv / "bin" / "python") != sys.executable


def test_cli_refuses_a_missing_program_and_honours_python_locally(
    temp_home: Path, venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["launch", "--", "nonexistent_cmd_xyz"]) == 2
    err = capsys.readouterr().err
    assert "nonexistent_cmd_xyz was not found on local" in err and "Traceback" not in err
    assert main(["launch", "--python", str(tmp_path / "no-venv"), "--", "python", "t.py"]) == 2
    assert "The Python interpreter" in capsys.readouterr().err
    out = tmp_path / "where.txt"
    argv = ["launch", "--json", "--python", str(venv / "bin" / "python"), "--"]
    assert main([*argv, "python3", "-c", WHERE, str(out)]) == 0
    capsys.readouterr()
    deadline = time.monotonic() + 20
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert out.read_text() == str(venv / "bin" / "python")


def test_cli_no_check_starts_the_job_which_then_fails(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["launch", "--no-check", "--", "nonexistent_cmd_xyz"]) == 2
    err = capsys.readouterr().err
    assert "failed at once" in err and "Traceback" not in err
