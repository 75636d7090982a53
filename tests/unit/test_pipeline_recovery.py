"""Which "running" pipeline runs recovery ends: those of this machine whose process is gone,
and every one of an earlier boot of this machine; never one whose process lives, nor one of
another machine (a pid means nothing there)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.catalog import pipeline_owner, pipeline_repo
from mlops_desktop.core.pipelines import StageRun
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.machine import machine_identity


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened


def going(services: Services, name: str, pid: int, machine: str) -> str:
    """A pipeline run left "running" by process ``pid`` of ``machine``."""
    with services.catalog.session_scope(write=True) as s:
        run = pipeline_repo.create_pipeline_run(
            s,
            pipeline=name,
            path=f"/p/{name}/pipeline.yaml",
            experiment=name,
            stages=[StageRun("train", "queued")],
        )
        pipeline_owner.claim_run(s, run.run_id, pid, machine)
    return run.run_id


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_runs_whose_process_is_gone_here_are_ended(services: Services) -> None:
    here = machine_identity()
    machine_id = here.rpartition(":")[0] if not here.startswith("host:") else here
    dead = going(services, "dead", dead_pid(), here)
    alive = going(services, "alive", os.getppid(), here)  # pytest's parent: alive
    own = going(services, "own", os.getpid(), here)
    elsewhere = going(services, "elsewhere", dead_pid(), "other-machine:boot")
    ended = [dead]
    if not here.startswith("host:"):
        ended.append(going(services, "rebooted", os.getppid(), f"{machine_id}:an-earlier-boot"))
    assert sorted(services.pipelines.recover()) == sorted(ended)
    for run_id in ended:
        run = services.pipelines.show(run_id)
        assert run.state == "failed" and run.stages[0].state == "cancelled"
    for run_id in (alive, own, elsewhere):
        assert services.pipelines.show(run_id).state == "running"
    assert services.pipelines.recover() == []
