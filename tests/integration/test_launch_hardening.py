"""Issue 11 on the local target: a cancel ends the run killed, a launched run is in the catalog
(queued) before ``launch`` returns, and a launch that fails at once exits non-zero."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli import main
from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo, RunSpec
from mlops_desktop.core.errors import JobError
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.experiments import ExperimentService

PY = sys.executable
TRACKED_LOOP = """
import sys, time
import mlops_desktop as mlops
with mlops.start_run() as run:
    print("started", flush=True)
    for step in range(100000):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
        time.sleep(0.05)
"""


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[tuple[ExperimentService, JobService]]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened.experiments, opened.jobs
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def wait_for(jobs: JobService, run_id: str, states: set[str], timeout: float = 20.0) -> JobInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {run_id} never reached {states}: {jobs.get(run_id)}")


def wait_log(jobs: JobService, run_id: str, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in jobs.logs(run_id)[0]:
        assert time.monotonic() < deadline, jobs.logs(run_id)[0]
        time.sleep(0.05)


def test_cancel_of_a_tracked_script_ends_its_run_killed(
    services: tuple[ExperimentService, JobService], tmp_path: Path
) -> None:
    experiments, jobs = services
    train = tmp_path / "train.py"
    train.write_text(textwrap.dedent(TRACKED_LOOP))
    job = jobs.launch(RunSpec(command=[PY, str(train)], workdir=str(tmp_path)))
    wait_log(jobs, job.run_id, "started")
    assert jobs.cancel(job.run_id, grace_s=5).state == "cancelled"
    experiments.ingest()
    run = experiments.get_run(job.run_id).summary
    assert run.status == "killed", run
    assert jobs.get(job.run_id).state == "cancelled"


def test_a_launched_run_is_queued_in_the_catalog_then_runs(
    services: tuple[ExperimentService, JobService],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_FAKE_GPUS", "1")
    experiments, jobs = services
    flag = tmp_path / "go"
    hold = f"import pathlib, time\nwhile not pathlib.Path({str(flag)!r}).exists(): time.sleep(0.05)"
    holder = jobs.launch(RunSpec(command=[PY, "-c", hold], gpus=1, name="holder"))
    wait_for(jobs, holder.run_id, {"running"})
    waiter = jobs.launch(RunSpec(command=[PY, "-c", "print('ran')"], gpus=1))
    run = experiments.get_run(waiter.run_id).summary  # no ingest: there before launch returned
    assert run.status == "queued" and run.name
    cancelled = jobs.launch(RunSpec(command=[PY, "-c", "print('never')"], gpus=1))
    assert experiments.get_run(cancelled.run_id).summary.status == "queued"
    assert [r.status for r in experiments.list_runs() if r.id == waiter.run_id] == ["queued"]
    wait_for(jobs, waiter.run_id, {"queued"})
    experiments.ingest()
    assert experiments.get_run(waiter.run_id).summary.status == "queued"
    jobs.cancel(cancelled.run_id, grace_s=1)
    experiments.ingest()
    assert experiments.get_run(cancelled.run_id).summary.status == "killed"
    flag.write_text("")
    assert wait_for(jobs, waiter.run_id, TERMINAL_STATES).state == "finished"
    assert waiter.run_id in experiments.ingest().new_runs  # views add it as it starts
    summary = experiments.get_run(waiter.run_id).summary
    assert (summary.status, summary.name) == ("finished", run.name)


def test_a_launch_that_fails_at_once_is_refused_before_it_starts(
    services: tuple[ExperimentService, JobService], tmp_path: Path
) -> None:
    _experiments, jobs = services
    with pytest.raises(JobError, match="not found"):
        jobs.launch(RunSpec(command=["/nonexistent/python", "train.py"]))
    with pytest.raises(JobError, match="no-such-program-xyz"):
        jobs.launch(RunSpec(command=["no-such-program-xyz"]))
    plain = tmp_path / "plain.sh"
    plain.write_text("echo hi\n")
    with pytest.raises(JobError, match="not executable"):
        jobs.launch(RunSpec(command=[str(plain)]))
    assert jobs.jobs() == []


def test_cli_launch_that_fails_at_once_exits_2_with_the_reason(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["launch", "--", "/nonexistent/python", "train.py"]) == 2
    err = capsys.readouterr().err
    assert "/nonexistent/python" in err and "Traceback" not in err
    # Passes the checks, fails in the launcher: its interpreter line names no program.
    prog = tmp_path / "fakeprog"
    prog.write_text("#!/nonexistent/interpreter\n")
    prog.chmod(0o755)
    assert main(["launch", "--", str(prog)]) == 2
    err = capsys.readouterr().err
    assert "cannot start the command" in err and "Traceback" not in err


def test_cli_launch_waits_only_until_the_job_started(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t0 = time.monotonic()
    assert main(["launch", "--", PY, "-c", "import time; time.sleep(30)"]) == 0
    elapsed = time.monotonic() - t0
    out = capsys.readouterr().out
    assert "(running)" in out and elapsed < 5, (out, elapsed)
    run = out.split()[2]
    assert main(["jobs", "cancel", run[:8], "--grace", "0"]) == 0
