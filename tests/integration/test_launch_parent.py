"""A launched run may name its parent (a pipeline run's stages): the queued run shows it at
once, the launcher's start event carries it, and the catalog keeps it after the script's own
start event arrives."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.core.compute import TERMINAL_STATES, RunSpec
from mlops_desktop.core.errors import JobError
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.home import run_spool_dir
from mlops_desktop.tracking.spool import read_spool

SCRIPT = "import mlops_desktop as m\nwith m.start_run() as r:\n    r.log_metric('x', 1.0)\n"


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def test_a_launched_child_run_shows_its_parent(
    services: Services, temp_home: Path, tmp_path: Path
) -> None:
    with mlops.start_run(experiment="pipe", name="parent", home=temp_home) as parent:
        pass
    (tmp_path / "child.py").write_text(SCRIPT)
    spec = RunSpec(
        command=[sys.executable, "child.py"],
        workdir=str(tmp_path),
        experiment="pipe",
        name="stage",
        parent_run_id=parent.id,
    )
    job = services.jobs.launch(spec)
    services.experiments.ingest()
    assert services.experiments.get_run(job.run_id).summary.parent_run_id == parent.id  # queued
    deadline = time.monotonic() + 60
    while services.jobs.get(job.run_id).state not in TERMINAL_STATES:
        assert time.monotonic() < deadline, services.jobs.get(job.run_id)
        services.jobs.refresh()
        time.sleep(0.05)
    assert services.jobs.get(job.run_id).exit_code == 0, services.jobs.logs(job.run_id)[0]
    start = read_spool(run_spool_dir(temp_home, job.run_id) / "events.jsonl").events[0]
    assert start["type"] == "start" and start["parent_run_id"] == parent.id
    services.experiments.ingest()
    child = services.experiments.get_run(job.run_id)
    assert child.summary.parent_run_id == parent.id and child.parent_name == "parent"
    assert child.summary.metrics["x"] == 1.0
    assert [name for _, name in services.experiments.get_run(parent.id).children] == ["stage"]
    assert services.jobs.spec(job.run_id).parent_run_id == parent.id


def test_a_parent_that_is_no_run_id_is_refused(services: Services, tmp_path: Path) -> None:
    spec = RunSpec(command=["true"], workdir=str(tmp_path), parent_run_id="../x y")
    with pytest.raises(JobError, match="is not a run id"):
        services.jobs.launch(spec)
    assert services.jobs.jobs() == []
