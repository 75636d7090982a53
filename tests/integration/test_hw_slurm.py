"""The agent on the node of a running job, through srun on a real single-node Slurm: here, and
through a login host (the loopback sshd)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from mlops_desktop.compute.slurm_script import package_root
from mlops_desktop.core.compute import HostInfo, JobInfo
from mlops_desktop.monitoring.remote import AgentStream, Backoff
from mlops_desktop.monitoring.slurm_nodes import (
    SlurmAgentSource,
    SlurmNode,
    job_node_targets,
    run_local,
    slurm_runner,
)
from tests.hw_stream_helpers import Recorder, agent_pids, samples, wait_gone

pytestmark = pytest.mark.system
CLUSTER = HostInfo(name="lab", kind="slurm", address="local")
FAKE = {"MLOPS_DESKTOP_FAKE_GPUS": "2"}


def _squeue(*args: str) -> str:
    return subprocess.run(["squeue", "-h", *args], capture_output=True, text=True).stdout


@pytest.fixture
def running_job(slurm_env: Path) -> Iterator[JobInfo]:
    """A ``sleep`` job of the app, running."""
    out = subprocess.run(
        ["sbatch", "--parsable", "--output=/dev/null", "--wrap", "sleep 300"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    job_id = out.strip().split(";")[0]
    deadline = time.monotonic() + 30
    while _squeue("-j", job_id, "-o", "%T").strip() != "RUNNING":
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.1)
    yield JobInfo(
        run_id="run1",
        target="slurm:lab",
        state="running",
        submitted_at=time.time(),
        handle={"slurm_job_id": job_id, "cluster": "lab"},
    )
    subprocess.run(["scancel", job_id], capture_output=True)


def agent_steps(job_id: str) -> list[str]:
    out = _squeue("-s", "-j", job_id, "-o", "%i %j")
    return [ln for ln in out.splitlines() if "mlops-hw-agent" in ln]


def stream_node(target: SlurmNode, home: Path, rec: Recorder) -> AgentStream:
    source = SlurmAgentSource(target, home, 0.3, env=FAKE)
    stream = AgentStream(target.name, source, 0.3, rec, backoff=Backoff((0.2, 0.5)))
    stream.start()
    return stream


def check_stream(target: SlurmNode, home: Path, job_id: str, marker: str) -> None:
    rec = Recorder()
    stream = stream_node(target, home, rec)
    try:
        rec.wait_for(lambda u: samples(u) >= 2, timeout=60)
        assert agent_steps(job_id), "the agent runs as a step of the job"
        assert agent_pids(marker), "the agent runs on the node (this machine)"
    finally:
        stream.stop()
    sample = next(u.sample for u in rec.updates if u.sample is not None)
    assert sample.host == f"slurm:lab/{socket.gethostname()}"
    assert [g.index for g in sample.gpus] == [0, 1]
    assert rec.updates[-1].state == "stopped"
    deadline = time.monotonic() + 15
    while agent_steps(job_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert agent_steps(job_id) == [], "stopping leaves no step behind"
    assert wait_gone(marker) == []


def test_the_node_of_a_running_job_streams_through_srun(
    running_job: JobInfo, temp_home: Path
) -> None:
    job_id = running_job.handle["slurm_job_id"]
    queued = replace(running_job, run_id="run2", state="queued")
    targets = job_node_targets(CLUSTER, [running_job, queued], run_local)
    assert [(t.name, t.job_ids, t.runs) for t in targets] == [
        (f"slurm:lab/{socket.gethostname()}", (job_id,), ("run1",))
    ]
    check_stream(targets[0], temp_home, job_id, marker=f"PYTHONPATH={package_root()}")


def test_a_cluster_behind_a_login_host_streams_over_ssh(
    running_job: JobInfo, slurm_env: Path, ssh_host: HostInfo, temp_home: Path, tmp_path: Path
) -> None:
    cluster = HostInfo(
        name="lab",
        kind="slurm",
        address=ssh_host.address,
        identity=ssh_host.identity,
        remote_root=ssh_host.remote_root,
        env={"SLURM_CONF": str(slurm_env)},
    )
    job_id = running_job.handle["slurm_job_id"]
    targets = job_node_targets(cluster, [running_job], slurm_runner(cluster, temp_home))
    assert [t.node for t in targets] == [socket.gethostname()]
    check_stream(targets[0], temp_home, job_id, marker=str(tmp_path / "agent"))


def test_a_node_whose_jobs_ended_says_so(slurm_env: Path, temp_home: Path) -> None:
    target = SlurmNode(CLUSTER, socket.gethostname(), ("999999",))
    rec = Recorder()
    stream = stream_node(target, temp_home, rec)
    try:
        rec.wait_for(lambda u: any(x.state == "unreachable" for x in u))
    finally:
        stream.stop()
    problem = next(x.problem for x in rec.updates if x.state == "unreachable")
    assert problem == (
        f"slurm:lab/{socket.gethostname()}: no job of this app runs there any more (999999)."
    )
