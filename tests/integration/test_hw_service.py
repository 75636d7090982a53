"""HardwareService and ``hw`` end to end: an SSH host on the real sshd (loopback), the node of a
Slurm job on the real single-node Slurm, processes of launched runs, idle leased GPUs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli import main
from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, JobInfo, RunSpec
from mlops_desktop.core.hardware import HostSample
from mlops_desktop.monitoring.idle import IdleGpuTracker, IdleRun
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.hardware_watch import HardwareWatch
from tests.hw_stream_helpers import Recorder, agent_pids, wait_gone
from tests.ssh_fixture import SshServer

pytestmark = pytest.mark.system
PY = sys.executable
SLEEP = [PY, "-c", "import time; print('up', flush=True); time.sleep(300)"]
NODE = f"slurm:local/{socket.gethostname()}"


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        try:
            yield opened
        finally:
            for job in opened.jobs.jobs(active_only=True):  # never leave a job behind
                opened.jobs.cancel(job.run_id, grace_s=0)


@pytest.fixture
def watches() -> Iterator[list[HardwareWatch]]:
    """Watches a test started; each is stopped at the end whatever happened."""
    made: list[HardwareWatch] = []
    yield made
    for w in made:
        w.stop()


def wait_until(what: str, pred: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.1)


def wait_state(jobs: JobService, run_id: str, state: str, timeout: float = 30.0) -> JobInfo:
    def reached() -> bool:
        jobs.refresh()
        job = jobs.get(run_id)
        assert job.state == state or job.state not in TERMINAL_STATES, job
        return job.state == state

    wait_until(f"{run_id} {state}", reached, timeout)
    return jobs.get(run_id)


def samples_of(rec: Recorder, host: str, after: int = 0) -> list[HostSample]:
    return [u.sample for u in rec.updates[after:] if u.host == host and u.sample is not None]


def hw_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("hw-") and t.is_alive()]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def add_gone_host(home: Path, server: SshServer, tmp_path: Path) -> HostInfo:
    """A host added while its sshd ran, then switched off (nothing listens there now)."""
    inv = HostInventory(home, ssh_config=tmp_path / "no-ssh-config")
    host = inv.add(
        "gone",
        server.address,
        identity=str(server.client_key),
        accept_host_key=server.fingerprint,
        remote_root=str(tmp_path / "remote-gone"),
    )
    server.stop()
    return host


# -- 1. an SSH host: listed, sampled, through hw ---------------------------------------------


def test_an_ssh_host_is_listed_and_sampled(services: Services, ssh_host: HostInfo) -> None:
    hw = services.hardware
    kinds = {h.name: h.kind for h in hw.hosts()}
    assert kinds["local"] == "local"
    assert kinds[ssh_host.name] == "ssh"
    sample = hw.sample(ssh_host.name)
    assert sample.host == ssh_host.name
    assert sample.hostname == socket.gethostname()
    assert sample.memory_total and 0 < (sample.memory_used or 0) < sample.memory_total
    assert sample.cpu_percent is not None and 0 <= sample.cpu_percent <= 100
    assert sample.processes


def test_hw_json_of_one_host_and_of_all(
    capsys: pytest.CaptureFixture[str],
    ssh_host: HostInfo,
    new_ssh_server: SshServer,
    temp_home: Path,
    tmp_path: Path,
) -> None:
    code, out, err = cli(capsys, "hw", "--host", ssh_host.name, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["host"] == ssh_host.name and doc["memory"]["total"] > 0

    gone = add_gone_host(temp_home, new_ssh_server, tmp_path)
    began = time.monotonic()
    code, out, err = cli(capsys, "hw", "--all", "--json")
    assert code == 0, err
    docs = {d["host"]: d for d in json.loads(out)}
    assert set(docs) == {"local", "alpha", "beta", gone.name}
    assert docs["local"]["memory"]["total"] > 0 and "error" not in docs["local"]
    assert docs["alpha"]["memory"]["total"] > 0
    assert set(docs[gone.name]) == {"host", "error"}
    assert "Connection refused" in docs[gone.name]["error"]
    assert time.monotonic() - began < 20

    code, out, err = cli(capsys, "hw", "--host", gone.name, "--json")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Connection refused" in lines[0], err
    assert "Traceback" not in err


# -- 2. a watch over this machine and the SSH host --------------------------------------------


def test_a_watch_survives_a_lost_connection_and_stops_clean(
    services: Services,
    ssh_host: HostInfo,
    temp_home: Path,
    tmp_path: Path,
    watches: list[HardwareWatch],
) -> None:
    hw = services.hardware
    rec = Recorder()
    since = time.time() - 120
    watch = hw.watch(rec, interval=0.3, hosts=["local", ssh_host.name])
    watches.append(watch)
    rec.wait_for(lambda u: len(samples_of(rec, "local")) >= 2 and
                 len(samples_of(rec, ssh_host.name)) >= 2)  # fmt: skip
    assert sorted(watch.hosts()) == sorted(["local", ssh_host.name])
    agents = agent_pids(str(tmp_path / "agent"))
    assert len(agents) == 1, agents

    master = SshClient(ssh_host, temp_home).master_pid()
    assert master is not None
    os.kill(master, signal.SIGTERM)
    rec.wait_for(lambda u: any(x.host == ssh_host.name and x.state == "unreachable" for x in u))
    down = next(
        i for i, x in enumerate(rec.updates) if x.host == ssh_host.name and x.state == "unreachable"
    )
    rec.wait_for(lambda u: len(samples_of(rec, ssh_host.name, after=down)) >= 2)

    watch.stop()
    assert wait_gone(str(tmp_path / "agent")) == []
    assert hw_threads() == []
    stopped = [u.host for u in rec.updates if u.state == "stopped"]
    assert sorted(stopped) == sorted(["local", ssh_host.name])
    count = len(rec.updates)
    time.sleep(0.5)  # nothing may arrive after stop(): this checks for silence
    assert len(rec.updates) == count
    for host in ("local", ssh_host.name):
        buckets = hw.stored_history(host, since)
        assert buckets, host
        assert sum(b.values["memory"][3] for b in buckets) >= 2  # (min, mean, max, count)


# -- 3. the node of a Slurm job ---------------------------------------------------------------


def _agent_steps() -> list[str]:
    out = subprocess.run(["squeue", "-h", "-s", "-o", "%i %j"], capture_output=True, text=True)
    return [ln for ln in out.stdout.splitlines() if "mlops-hw-agent" in ln]


def test_the_node_of_a_slurm_job_comes_and_goes(
    services: Services, slurm_env: Path, watches: list[HardwareWatch]
) -> None:
    """Nobody refreshes the jobs here (no Jobs pane): the catalog still says "queued" while
    Slurm runs the job, and the node must show all the same."""
    hw, jobs = services.hardware, services.jobs
    rec = Recorder()
    watch = hw.watch(rec, interval=0.3)
    watches.append(watch)
    job = jobs.launch(RunSpec(command=SLEEP, target="slurm:local", python=PY, name="slurm-sleep"))
    began = time.monotonic()
    wait_until("the node in hosts()", lambda: NODE in {h.name for h in hw.hosts()}, 10)
    listed = time.monotonic() - began
    node = next(h for h in hw.hosts() if h.name == NODE)
    assert node.kind == "slurm" and job.run_id[:8] in node.detail
    rec.wait_for(lambda u: len(samples_of(rec, NODE)) >= 2, timeout=15)
    streamed = time.monotonic() - began
    assert _agent_steps(), "the agent runs as a step of the job"
    sample = samples_of(rec, NODE)[-1]
    assert sample.hostname == socket.gethostname() and sample.memory_total

    jobs.cancel(job.run_id, grace_s=0)
    began = time.monotonic()
    wait_until("the node gone from hosts()", lambda: NODE not in {h.name for h in hw.hosts()}, 5)
    rec.wait_for(lambda u: any(x.host == NODE and x.state == "stopped" for x in u), timeout=15)
    assert NODE not in watch.hosts()
    wait_until("no agent step left", lambda: not _agent_steps(), 15)
    print(f"node listed {listed:.1f} s, streamed {streamed:.1f} s after launch; "
          f"stream stopped {time.monotonic() - began:.1f} s after cancel")  # fmt: skip


# -- 4. processes of a launched run ------------------------------------------------------------


def test_the_processes_of_a_launched_run_carry_its_id_and_name(services: Services) -> None:
    jobs = services.jobs
    job = jobs.launch(RunSpec(command=SLEEP, target="local", python=PY, name="sleepy"))
    try:
        wait_state(jobs, job.run_id, "running")
        sample = services.hardware.sample("local")
        mine = [p for p in sample.processes if p.run == job.run_id]
        assert mine, [(p.pid, p.command, p.run) for p in sample.processes]
        assert any("time.sleep(300)" in p.command for p in mine)
        assert sample.extra["run_names"][job.run_id] == "sleepy"
    finally:
        jobs.cancel(job.run_id, grace_s=0)


# -- 5. idle GPUs of a launched run ------------------------------------------------------------


def test_a_run_leaving_its_gpu_idle_is_reported(
    services: Services, monkeypatch: pytest.MonkeyPatch, watches: list[HardwareWatch]
) -> None:
    monkeypatch.setenv(
        "MLOPS_DESKTOP_FAKE_GPUS",
        json.dumps([{"name": "Fake A100", "utilization": 0}, {"name": "Fake A100"}]),
    )
    hw, jobs = services.hardware, services.jobs
    hw.idle = IdleGpuTracker(after_s=1.0)
    job = jobs.launch(RunSpec(command=SLEEP, target="local", python=PY, gpus=1, name="idler"))
    wait_state(jobs, job.run_id, "running")
    idle: list[IdleRun] = []
    got = threading.Event()

    def on_idle(run: IdleRun) -> None:
        idle.append(run)
        got.set()

    rec = Recorder()
    watches.append(hw.watch(rec, interval=0.3, hosts=["local"], on_idle=on_idle))
    assert got.wait(10), [u.sample.gpus for u in rec.updates[-2:] if u.sample is not None]
    assert [(r.run_id, r.host, r.gpus) for r in idle] == [(job.run_id, "local", (0,))]
    assert set(hw.idle_runs()) == {job.run_id}
    leased = [g for g in samples_of(rec, "local")[-1].gpus if g.lease is not None]
    assert [(g.index, g.lease.run) for g in leased if g.lease] == [(0, job.run_id)]
