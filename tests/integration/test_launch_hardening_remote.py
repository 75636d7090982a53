"""Issue 11 on an SSH host (a real sshd on loopback, so the same hostname and machine as the
app): a launch that fails at once exits 2, a cancel ends the run killed, and a mirrored run's
liveness comes from its job, never from a local pid check."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli import main
from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, JobInfo, RunSpec
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.experiments import ExperimentService

PY = sys.executable
WAITS = """
import pathlib, sys, time
import mlops_desktop as mlops
with mlops.start_run() as run:
    run.log_metric("x", 1.0, step=0)
    print("started", flush=True)
    while not pathlib.Path(sys.argv[1]).exists():
        time.sleep(0.05)
"""


@pytest.fixture
def services(temp_home: Path) -> Iterator[tuple[ExperimentService, JobService]]:
    with Services.open(temp_home) as opened:
        yield opened.experiments, opened.jobs
        for job in opened.jobs.jobs(active_only=True):
            opened.jobs.cancel(job.run_id, grace_s=0)


def _until(jobs: JobService, run_id: str, states: set[str], timeout: float = 30.0) -> JobInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"{run_id} never reached {states}: {jobs.get(run_id)}")


def _launch_waiting(jobs: JobService, host: HostInfo, tmp_path: Path, flag: Path) -> JobInfo:
    code = tmp_path / "project"
    code.mkdir(exist_ok=True)
    (code / "train.py").write_text(WAITS)
    spec = RunSpec(
        command=[PY, "train.py", str(flag)],
        target=f"ssh:{host.name}",
        code="folder",
        workdir=str(code),
        python=PY,
    )
    job = jobs.launch(spec)
    deadline = time.monotonic() + 30
    while "started" not in jobs.logs(job.run_id)[0]:
        assert time.monotonic() < deadline, jobs.get(job.run_id)
        time.sleep(0.1)
    return job


def test_cli_launch_with_a_missing_interpreter_exits_2(
    ssh_host: HostInfo, temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["launch", "--target", f"ssh:{ssh_host.name}", "--python", "/nonexistent/python"]
    assert main([*argv, "--workdir", str(tmp_path), "--", "python", "train.py"]) == 2
    err = capsys.readouterr().err  # refused before it starts (issue 12)
    assert f"/nonexistent/python was not found on ssh:{ssh_host.name}" in err, err
    assert main([*argv, "--no-check", "--workdir", str(tmp_path), "--", "python", "t.py"]) == 2
    err = capsys.readouterr().err
    assert "failed at once" in err and "/nonexistent/python" in err, err
    assert "Traceback" not in err


def test_a_mirrored_run_stays_running_until_its_end_then_a_cancel_is_killed(
    services: tuple[ExperimentService, JobService],
    ssh_host: HostInfo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    experiments, jobs = services
    # As from a container or a clone with this hostname: its pids are none of this machine's.
    monkeypatch.setattr("mlops_desktop.catalog.ingest._process_gone", lambda pid: True)
    flag = tmp_path / "go"
    job = _launch_waiting(jobs, ssh_host, tmp_path, flag)
    for _ in range(3):  # the mirrored run's pid is not this app's to judge
        jobs.refresh()
        experiments.ingest()
        assert experiments.get_run(job.run_id).summary.status == "running"
    flag.write_text("")
    assert _until(jobs, job.run_id, TERMINAL_STATES).state == "finished"
    experiments.ingest()
    assert experiments.get_run(job.run_id).summary.status == "finished"

    flag.unlink()
    second = _launch_waiting(jobs, ssh_host, tmp_path, flag)
    assert jobs.cancel(second.run_id, grace_s=5).state == "cancelled"
    experiments.ingest()
    assert experiments.get_run(second.run_id).summary.status == "killed"
