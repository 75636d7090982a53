"""JobService end to end on an SSH host (real sshd on loopback) and on the local Slurm."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, JobInfo, RunSpec
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.experiments import ExperimentService

PY = sys.executable
TRAIN = """
import mlops_desktop as mlops
with mlops.start_run(params={"x": "$(id);`x`"}) as run:
    for step in range(3):
        run.log_metric("loss", float(step), step=step)
    print("remote hello")
"""


@pytest.fixture
def services(temp_home: Path) -> Iterator[tuple[ExperimentService, JobService]]:
    with Services.open(temp_home) as opened:
        yield opened.experiments, opened.jobs
        for job in opened.jobs.jobs(active_only=True):
            opened.jobs.cancel(job.run_id, grace_s=0)


def _until_ended(jobs: JobService, run_id: str, timeout: float = 60.0) -> JobInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state in TERMINAL_STATES:
            return job
        time.sleep(0.2)
    raise AssertionError(f"{run_id} did not end: {jobs.get(run_id)}")


def _code(tmp_path: Path) -> Path:
    code = tmp_path / "project"
    code.mkdir()
    (code / "train.py").write_text(textwrap.dedent(TRAIN))
    (code / ".gitignore").write_text("*.ckpt\n")
    (code / "big.ckpt").write_bytes(b"\0" * 1000)
    return code


def test_ssh_launch_to_catalog_and_cancel(
    services: tuple[ExperimentService, JobService], ssh_host: HostInfo, tmp_path: Path
) -> None:
    experiments, jobs = services
    assert ssh_host.name in {h.name for h in jobs.hosts()}
    check = jobs.check_host(ssh_host.name)
    assert check["reachable"] is True
    spec = RunSpec(
        command=[PY, "train.py"],
        target=f"ssh:{ssh_host.name}",
        code="folder",
        workdir=str(_code(tmp_path)),
        python=PY,
    )
    job = jobs.launch(spec)
    done = _until_ended(jobs, job.run_id)
    assert (done.state, done.exit_code) == ("finished", 0)
    assert "remote hello" in jobs.logs(job.run_id)[0]
    experiments.ingest()
    series = experiments.metric_series(job.run_id, "loss")
    assert series.values.tolist() == [0.0, 1.0, 2.0]
    assert experiments.get_run(job.run_id).summary.params["x"] == "$(id);`x`"

    long = jobs.launch(
        RunSpec(
            command=[PY, "-c", "import time; print('up', flush=True); time.sleep(600)"],
            target=f"ssh:{ssh_host.name}",
            python=PY,
        )
    )
    deadline = time.monotonic() + 30
    while jobs.get(long.run_id).state != "running" and time.monotonic() < deadline:
        jobs.refresh()
        time.sleep(0.1)
    assert jobs.cancel(long.run_id, grace_s=1).state == "cancelled"


def test_slurm_local_launch_to_catalog(
    services: tuple[ExperimentService, JobService], slurm_env: Path, tmp_path: Path
) -> None:
    experiments, jobs = services
    assert any(h.kind == "slurm" and h.name == "local" for h in jobs.hosts())
    spec = RunSpec(
        command=[PY, "train.py"],
        target="slurm:local",
        code="folder",
        workdir=str(_code(tmp_path)),
        gpus=1,
        python=PY,
    )
    job = jobs.launch(spec)
    done = _until_ended(jobs, job.run_id, timeout=90)
    assert (done.state, done.exit_code) == ("finished", 0), done
    assert "remote hello" in jobs.logs(job.run_id)[0]
    experiments.ingest()
    assert experiments.metric_series(job.run_id, "loss").values.tolist() == [0.0, 1.0, 2.0]
