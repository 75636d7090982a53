"""JobService on the local target: launch, logs, metrics into the catalog, cancel, restart,
GPU queueing, and jobs rows on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo, RunSpec
from mlops_desktop.core.errors import HostError, JobError
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking import procs

PY = sys.executable


@pytest.fixture
def services(
    temp_home: Path, tmp_path: Path, catalog_url: str | None
) -> Iterator[tuple[ExperimentService, JobService]]:
    with Services.open(temp_home, catalog_url, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened.experiments, opened.jobs
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def wait_done(jobs: JobService, run_id: str, timeout: float = 30.0) -> JobInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state in TERMINAL_STATES:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {run_id} did not end: {jobs.get(run_id)}")


def wait_state(jobs: JobService, run_id: str, state: str, timeout: float = 20.0) -> JobInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state == state:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {run_id} never reached {state}: {jobs.get(run_id)}")


def live_group_members(pgid: int) -> list[int]:
    """Pids of processes in group ``pgid`` that are not zombies (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry))
    return found


def script(tmp_path: Path, body: str, name: str = "train.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_launch_logs_and_metrics_reach_the_catalog(
    services: tuple[ExperimentService, JobService], tmp_path: Path
) -> None:
    experiments, jobs = services
    train = script(
        tmp_path,
        """
        import mlops_desktop as mlops
        with mlops.start_run(params={"lr": 0.1}) as run:
            for step in range(5):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            print("trained; $(id) `x` stays literal")
        """,
    )
    job = jobs.launch(
        RunSpec(command=[PY, str(train)], workdir=str(tmp_path), experiment="jobs-it", name="first")
    )
    assert job.state in ("starting", "queued", "running", "finished")
    assert job.target == "local" and len(job.run_id) == 32
    done = wait_done(jobs, job.run_id)
    assert done.state == "finished" and done.exit_code == 0
    assert done.started_at is not None and done.ended_at is not None
    assert done.ended_at >= done.started_at >= done.submitted_at - 1
    text, offset = jobs.logs(job.run_id)
    assert "trained; $(id) `x` stays literal" in text and offset > 0
    assert jobs.logs(job.run_id, offset) == ("", offset)
    experiments.ingest()
    detail = experiments.get_run(job.run_id)
    assert detail.summary.metrics["loss"] == pytest.approx(0.2)
    assert experiments.metric_series(job.run_id, "loss").values.tolist() == pytest.approx(
        [1.0, 0.5, 1 / 3, 0.25, 0.2]
    )
    experiments.ingest()  # exactly once
    assert len(experiments.metric_series(job.run_id, "loss").values) == 5
    assert [j.run_id for j in jobs.jobs()] == [job.run_id]
    assert jobs.jobs(active_only=True) == []


def test_failed_command_and_bad_specs(
    services: tuple[ExperimentService, JobService], tmp_path: Path
) -> None:
    _experiments, jobs = services
    job = jobs.launch(RunSpec(command=[PY, "-c", "import sys; sys.exit(3)"]))
    done = wait_done(jobs, job.run_id)
    assert (done.state, done.exit_code) == ("failed", 3)
    with pytest.raises(JobError, match="command"):
        jobs.launch(RunSpec(command=[]))
    with pytest.raises(JobError, match="Unknown target"):
        jobs.launch(RunSpec(command=["x"], target="k8s:foo"))
    with pytest.raises(HostError, match="nowhere"):
        jobs.launch(RunSpec(command=["x"], target="ssh:nowhere"))
    with pytest.raises(JobError, match="No job"):
        jobs.get("ffffffff")


def test_follow_until_the_end(services: tuple[ExperimentService, JobService]) -> None:
    _experiments, jobs = services
    code = "import time\nfor i in range(3):\n    print('line', i, flush=True); time.sleep(0.2)"
    job = jobs.launch(RunSpec(command=[PY, "-c", code]))
    text = "".join(jobs.follow(job.run_id, poll_s=0.05))
    assert [f"line {i}" in text for i in range(3)] == [True] * 3
    assert jobs.get(job.run_id).state == "finished"


def test_cancel_leaves_no_process(services: tuple[ExperimentService, JobService]) -> None:
    _experiments, jobs = services
    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "print('started', flush=True); time.sleep(600)"
    )
    job = jobs.launch(RunSpec(command=[PY, "-c", code]))
    running = wait_state(jobs, job.run_id, "running")
    deadline = time.monotonic() + 10
    while "started" not in jobs.logs(job.run_id)[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    pgid = int(running.handle["pid"])
    cancelled = jobs.cancel(job.run_id, grace_s=1)
    assert cancelled.state == "cancelled" and cancelled.ended_at is not None
    assert live_group_members(pgid) == []
    assert not procs.process_alive(pgid, running.handle.get("start_ticks"))
    assert jobs.cancel(job.run_id).state == "cancelled"  # idempotent
    assert jobs.refresh() == []


def test_a_new_service_finds_the_running_job(
    temp_home: Path, catalog_url: str | None, tmp_path: Path
) -> None:
    flag = tmp_path / "go"
    code = (
        f"import time, pathlib\nprint('waiting', flush=True)\n"
        f"while not pathlib.Path({str(flag)!r}).exists(): time.sleep(0.05)\nprint('done')"
    )
    first = JobService.open(temp_home, catalog_url)
    try:
        job = first.launch(RunSpec(command=[PY, "-c", code]))
        wait_state(first, job.run_id, "running")
    finally:
        first.close()  # the app quits; the job runs on
    second = JobService.open(temp_home, catalog_url)
    try:
        assert [j.run_id for j in second.jobs(active_only=True)] == [job.run_id]
        flag.write_text("")
        text = "".join(second.follow(job.run_id[:8], poll_s=0.05))
        assert "waiting" in text and "done" in text
        assert second.get(job.run_id).state == "finished"
    finally:
        for j in second.jobs(active_only=True):
            second.cancel(j.run_id, grace_s=0)
        second.close()


def test_two_jobs_wanting_the_only_gpu_run_one_after_the_other(
    services: tuple[ExperimentService, JobService],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_FAKE_GPUS", "1")
    _experiments, jobs = services
    out = tmp_path / "times"
    out.mkdir()
    code = (
        "import os, sys, time, pathlib\nt0 = time.time(); time.sleep(0.6)\n"
        f"pathlib.Path({str(out)!r}, sys.argv[1]).write_text("
        "f\"{t0} {time.time()} {os.environ.get('CUDA_VISIBLE_DEVICES')}\")"
    )
    a = jobs.launch(RunSpec(command=[PY, "-c", code, "a"], gpus=1))
    b = jobs.launch(RunSpec(command=[PY, "-c", code, "b"], gpus=1))
    assert len(jobs.gpus("local")) == 1
    states = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs.refresh()
        now = {j.run_id: j.state for j in jobs.jobs()}
        states.update(now.values())
        if all(s in TERMINAL_STATES for s in now.values()):
            break
        time.sleep(0.05)
    assert "queued" in states
    ja, jb = jobs.get(a.run_id), jobs.get(b.run_id)
    assert ja.state == jb.state == "finished" and ja.gpus == jb.gpus == [0]
    (a0, a1, ga), (b0, b1, gb) = ((out / n).read_text().split() for n in ("a", "b"))
    assert ga == gb == "0"
    first, second = sorted([(float(a0), float(a1)), (float(b0), float(b1))])
    assert first[1] <= second[0], "the two runs held the one GPU at the same time"
