"""A Slurm cluster through its login node over SSH: the loopback sshd (ssh_fixture.py) is the
login node of the test cluster (slurm_fixture.py) on the same machine, so the cluster's
``SLURM_CONF`` path is valid "remotely"; it reaches the Slurm commands through the host's
``env``, never through this process's environment."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ssh_fixture import SshServer

from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.slurm import SlurmExecutor
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, JobInfo, RunSpec
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.experiments import ExperimentService

PY = sys.executable
EVIL = "$(touch pwned);`touch pwned2`; echo 'x"
TRAIN = """
import sys
import mlops_desktop as mlops
with mlops.start_run(params={"x": sys.argv[1]}) as run:
    for step in range(3):
        run.log_metric("loss", float(step), step=step)
    print("over ssh", sys.argv[1])
"""


@pytest.fixture
def cluster(
    ssh_servers: list[SshServer],
    slurm_conf: Path,
    temp_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[HostInfo]:
    """Cluster "lab": login node "alpha" (key confirmed), SLURM_CONF only in the host's env."""
    monkeypatch.delenv("SLURM_CONF", raising=False)
    server = ssh_servers[0]
    inv = HostInventory(temp_home, ssh_config=tmp_path / "no-ssh-config")
    host = inv.add(
        "lab",
        server.address,
        identity=str(server.client_key),
        accept_host_key=server.fingerprint,
        remote_root=str(tmp_path / "remote-lab"),
        kind="slurm",
        env={"SLURM_CONF": str(slurm_conf)},
    )
    yield host
    SshClient(host, temp_home).stop_master()


@pytest.fixture
def services(temp_home: Path) -> Iterator[tuple[ExperimentService, JobService]]:
    with Services.open(temp_home) as opened:
        yield opened.experiments, opened.jobs
        for job in opened.jobs.jobs(active_only=True):
            opened.jobs.cancel(job.run_id, grace_s=0)


def _until(jobs: JobService, run_id: str, states: frozenset[str], timeout: float) -> JobInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.refresh()
        job = jobs.get(run_id)
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"{run_id} never reached {set(states)}: {jobs.get(run_id)}")


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_inventory_keeps_the_env(cluster: HostInfo, temp_home: Path, tmp_path: Path) -> None:
    inv = HostInventory(temp_home, ssh_config=tmp_path / "no-ssh-config")
    assert inv.get("lab").env == cluster.env and cluster.kind == "slurm"
    ex = SlurmExecutor(cluster, temp_home)
    assert ex.remote is not None
    assert ex.runner(["printenv", "SLURM_CONF"])[1].strip() == cluster.env["SLURM_CONF"]


@pytest.mark.system
def test_launch_follow_and_cancel_through_the_login_node(
    services: tuple[ExperimentService, JobService],
    cluster: HostInfo,
    temp_home: Path,
    tmp_path: Path,
) -> None:
    experiments, jobs = services
    info = jobs.check_host("lab")
    assert [p["name"] for p in info["partitions"]] == ["debug"]  # type: ignore[attr-defined]
    assert info["gpus"] == 2

    code = tmp_path / "project"
    code.mkdir()
    (code / "train.py").write_text(textwrap.dedent(TRAIN))
    spec = RunSpec(
        command=[PY, "train.py", EVIL],
        target="slurm:lab",
        code="folder",
        workdir=str(code),
        gpus=1,
        python=PY,
        env={"EVIL": EVIL},
    )
    job = jobs.launch(spec)
    assert str(job.handle["run_dir"]).startswith(str(tmp_path / "remote-lab"))
    assert job.handle["slurm_job_id"].isdigit()
    done = _until(jobs, job.run_id, TERMINAL_STATES, 90)
    assert (done.state, done.exit_code) == ("finished", 0), done
    assert f"over ssh {EVIL}" in jobs.logs(job.run_id)[0]
    assert (temp_home / "spool" / job.run_id / "events.jsonl").exists()
    experiments.ingest()
    assert experiments.metric_series(job.run_id, "loss").values.tolist() == [0.0, 1.0, 2.0]
    assert experiments.get_run(job.run_id).summary.params["x"] == EVIL
    run_dir = Path(job.handle["run_dir"])
    assert not list(run_dir.rglob("pwned*")) and not list(code.rglob("pwned*"))
    assert not Path("pwned").exists()

    pids = tmp_path / "pids"
    sleeper = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import signal, time;"
        " signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "print('up', flush=True)\n"
        "time.sleep(600)\n"
    )
    long = jobs.launch(
        RunSpec(
            command=[PY, "-c", sleeper],
            target="slurm:lab",
            python=PY,
            gpus=1,
            cancel_grace_s=1.0,
        )
    )
    _until(jobs, long.run_id, frozenset({"running"}), 60)
    deadline = time.monotonic() + 30
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline, "the command never wrote its pids"
        time.sleep(0.1)
    procs = [int(p) for p in pids.read_text().split()]
    assert jobs.cancel(long.run_id, grace_s=1).state == "cancelled"
    assert (Path(long.handle["run_dir"]) / "cancel.json").exists()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in procs):
        assert time.monotonic() < deadline, f"processes survived the cancel: {procs}"
        time.sleep(0.1)
    assert "up" in jobs.logs(long.run_id)[0]
    assert not os.environ.get("SLURM_CONF")
