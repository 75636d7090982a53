"""Launching runs with dataset versions: the data reaches the run, the run records its inputs."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, JobInfo, RunSpec
from mlops_desktop.core.errors import JobError
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.services.experiments import ExperimentService

PY = sys.executable
READER = """
import os, sys
import mlops_desktop as mlops
path = mlops.dataset_path("wine")
with open(os.path.join(path, "wine.csv")) as fh:
    print("rows:", len(fh.read().splitlines()))
print("path:", path)
with mlops.start_run() as run:
    run.use_dataset("wine")
try:
    mlops.dataset_path("nope")
except LookupError as exc:
    print("unknown:", exc)
"""


@pytest.fixture
def services(
    temp_home: Path, tmp_path: Path
) -> Iterator[tuple[ExperimentService, JobService, DatasetService]]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened.experiments, opened.jobs, opened.datasets
        for job in opened.jobs.jobs(active_only=True):
            opened.jobs.cancel(job.run_id, grace_s=0)


def _until_ended(jobs: JobService, run_id: str, timeout: float = 60.0) -> JobInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state in TERMINAL_STATES:
            return job
        time.sleep(0.1)
    raise AssertionError(f"{run_id} did not end: {jobs.get(run_id)}")


def _wine(tmp_path: Path) -> Path:
    folder = tmp_path / "wine"
    folder.mkdir()
    (folder / "wine.csv").write_text("a,b\n1,2\n3,4\n")
    return folder


def _project(tmp_path: Path) -> Path:
    code = tmp_path / "project"
    code.mkdir()
    (code / "read.py").write_text(textwrap.dedent(READER))
    return code


def _inputs(experiments: ExperimentService, run_id: str) -> set[tuple[str, str | None]]:
    experiments.ingest()
    return {(d["name"], d["version"]) for d in experiments.get_run(run_id).datasets}


def test_local_launch_reads_the_source_and_records_the_input(
    services: tuple[ExperimentService, JobService, DatasetService], tmp_path: Path
) -> None:
    experiments, jobs, datasets = services
    wine = _wine(tmp_path)
    datasets.add(wine, "wine")
    code = _project(tmp_path)
    job = jobs.launch(RunSpec(command=[PY, "read.py"], workdir=str(code), datasets=["wine"]))
    done = _until_ended(jobs, job.run_id)
    log = jobs.logs(job.run_id)[0]
    assert (done.state, done.exit_code) == ("finished", 0), log
    assert "rows: 3" in log and f"path: {wine}" in log
    assert "unknown:" in log and "'nope'" in log
    assert _inputs(experiments, job.run_id) == {("wine", "v1")}
    manifest = json.loads((jobs.home / "jobs" / job.run_id / "datasets.json").read_text())
    assert manifest == {"wine": {"version": "v1", "path": str(wine)}}
    assert jobs.spec(job.run_id).env == {}  # the job keeps the spec as given


def test_inputs_are_recorded_without_use_dataset(
    services: tuple[ExperimentService, JobService, DatasetService], tmp_path: Path
) -> None:
    experiments, jobs, datasets = services
    datasets.add(_wine(tmp_path), "wine")
    job = jobs.launch(RunSpec(command=[PY, "-c", "print('hi')"], datasets=["wine@v1"]))
    done = _until_ended(jobs, job.run_id)
    assert (done.state, done.exit_code) == ("finished", 0), jobs.logs(job.run_id)[0]
    assert _inputs(experiments, job.run_id) == {("wine", "v1")}


def test_changed_source_without_snapshot_is_refused(
    services: tuple[ExperimentService, JobService, DatasetService], tmp_path: Path
) -> None:
    _experiments, jobs, datasets = services
    wine = _wine(tmp_path)
    datasets.add(wine, "wine")
    (wine / "wine.csv").write_text("a,b\n9,9\n")
    with pytest.raises(JobError, match="v1 of wine is no longer at its source and was not snapsh"):
        jobs.launch(RunSpec(command=[PY, "-c", "pass"], datasets=["wine@v1"]))
    assert jobs.jobs() == []


def test_unknown_dataset_is_refused(
    services: tuple[ExperimentService, JobService, DatasetService],
) -> None:
    _experiments, jobs, _datasets = services
    with pytest.raises(JobError, match="'ghost'"):
        jobs.launch(RunSpec(command=[PY, "-c", "pass"], datasets=["ghost"]))
    with pytest.raises(JobError):
        jobs.launch(RunSpec(command=[PY, "-c", "pass"], datasets=["ghost@v7"]))
    assert jobs.jobs() == []


def test_snapshot_is_checked_out_when_the_source_changed(
    services: tuple[ExperimentService, JobService, DatasetService], tmp_path: Path
) -> None:
    experiments, jobs, datasets = services
    wine = _wine(tmp_path)
    datasets.add(wine, "wine", snapshot=True)
    (wine / "wine.csv").write_text("a,b\n9,9\n")
    code = _project(tmp_path)
    job = jobs.launch(RunSpec(command=[PY, "read.py"], workdir=str(code), datasets=["wine@v1"]))
    done = _until_ended(jobs, job.run_id)
    log = jobs.logs(job.run_id)[0]
    assert (done.state, done.exit_code) == ("finished", 0), log
    checkout = jobs.home / "jobs" / job.run_id / "data" / "wine"
    assert "rows: 3" in log and f"path: {checkout}" in log
    assert _inputs(experiments, job.run_id) == {("wine", "v1")}


def test_ssh_launch_ships_the_data(
    services: tuple[ExperimentService, JobService, DatasetService],
    ssh_host: HostInfo,
    tmp_path: Path,
) -> None:
    experiments, jobs, datasets = services
    wine = _wine(tmp_path)
    datasets.add(wine, "wine")
    job = jobs.launch(
        RunSpec(
            command=[PY, "read.py"],
            target=f"ssh:{ssh_host.name}",
            code="folder",
            workdir=str(_project(tmp_path)),
            python=PY,
            datasets=["wine@v1"],
        )
    )
    done = _until_ended(jobs, job.run_id)
    log = jobs.logs(job.run_id)[0]
    assert (done.state, done.exit_code) == ("finished", 0), log
    run_dir = done.handle["run_dir"]
    assert "rows: 3" in log and f"path: {run_dir}/code/data/wine" in log
    assert _inputs(experiments, job.run_id) == {("wine", "v1")}
