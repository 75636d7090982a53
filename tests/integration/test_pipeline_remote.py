"""Pipeline stages on the loopback SSH host and on the single-node Slurm: each is a child run of
the pipeline run, and its outs come back to the pipeline's folder (copied back from the SSH
host; written in place by the local cluster), where the next stage reads them and the next run
finds them cached."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.compute import HostInfo
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.home import run_spool_dir
from mlops_desktop.tracking.spool import read_spool

pytestmark = pytest.mark.system


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def project(tmp_path: Path, target: str) -> Path:
    root = tmp_path / "remote-project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "raw.txt").write_text("raw rows\n")
    (root / "pipeline.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: remote
            stages:
              make:
                cmd: mkdir -p out && cp data/raw.txt out/copy.txt && pwd > out/where.txt
                deps: [data/raw.txt]
                outs: [out]
                target: {target}
              use:
                cmd: cat out/copy.txt > used.txt
                deps: [out/copy.txt]
                outs: [used.txt]
            """
        )
    )
    return root


def check_run(services: Services, root: Path, target: str) -> None:
    run = services.pipelines.run(root)
    states = {s.stage: s for s in run.stages}
    assert run.state == "done", states["make"].detail
    assert states["make"].state == "done" and states["make"].target == target
    assert (root / "out" / "copy.txt").read_text() == "raw rows\n"
    assert (root / "used.txt").read_text() == "raw rows\n"
    services.experiments.ingest()
    child = services.experiments.get_run(states["make"].run_id or "").summary
    assert child.parent_run_id == run.run_id and child.target == target
    assert child.tags["mlops.pipeline.stage"] == "make"
    spool = run_spool_dir(services.home, child.id) / "events.jsonl"
    start = read_spool(spool).events[0]  # the launcher's, on the host: it names the parent
    assert start["type"] == "start" and start["parent_run_id"] == run.run_id
    again = services.pipelines.run(root)
    assert {s.stage: s.state for s in again.stages} == {"make": "cached", "use": "cached"}


def test_a_stage_on_an_ssh_host_brings_its_outs_back(
    services: Services, ssh_host: HostInfo, tmp_path: Path
) -> None:
    target = f"ssh:{ssh_host.name}"
    root = project(tmp_path, target)
    check_run(services, root, target)
    where = (root / "out" / "where.txt").read_text().strip()
    assert where.startswith(str(tmp_path / "remote-alpha")) and where.endswith("/code")


def test_a_stage_on_the_local_slurm_writes_into_the_folder(
    services: Services, slurm_env: Path, tmp_path: Path
) -> None:
    root = project(tmp_path, "slurm:local")
    check_run(services, root, "slurm:local")
    assert (root / "out" / "where.txt").read_text().strip() == str(root)
