"""The hardware agent as the app runs it: a child printing one JSON document per line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_desktop.core.hardware import (
    ENERGY_INTEGRATED,
    GpuSample,
    HostSample,
    ProcessSample,
    host_document,
    host_from_document,
)
from mlops_desktop.tracking import gpu_leases

AGENT = [sys.executable, "-u", "-m", "mlops_desktop.tracking.hw_agent"]
ROOT = str(Path(__file__).resolve().parents[2])


def agent_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != gpu_leases.FAKE_GPUS_ENV}
    env["PYTHONPATH"] = ROOT
    env.update(extra)
    return env


def run_agent(*args: str, **env: str) -> list[dict]:
    out = subprocess.run(
        [*AGENT, *args], env=agent_env(**env), capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    return [json.loads(line) for line in out.stdout.splitlines()]


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def reference_keys() -> tuple[set[str], set[str], set[str]]:
    doc = host_document(
        HostSample("h", 0.0, gpus=(GpuSample(0, "g"),), processes=(ProcessSample(1),))
    )
    return set(doc), set(doc["gpus"][0]), set(doc["processes"][0])


def test_lines_are_host_documents_without_gpus():
    docs = run_agent("--count", "2", "--interval", "0.2")
    assert len(docs) == 2
    host_keys, _, proc_keys = reference_keys()
    for doc in docs:
        assert set(doc) == host_keys
        sample = host_from_document(doc, host="local")
        assert sample.cpu_percent is not None and 0 <= sample.cpu_percent <= 100
        assert len(sample.cpu_per_core) == os.cpu_count()
        assert sample.memory_total and 0 < (sample.memory_used or 0) <= sample.memory_total
        assert sample.load is not None and sample.disk_read_bps is not None
        assert sample.net_recv_bps is not None
        assert sample.gpus == () and sample.gpu_source is None
        assert sample.processes
        for proc in doc["processes"]:
            assert set(proc) == proc_keys
    assert docs[1]["time"] - docs[0]["time"] == pytest.approx(0.2, abs=0.15)
    # the agent lists itself: it is the newest python of the machine running hw_agent
    mine = [p for p in docs[1]["processes"] if "tracking.hw_agent" in p["command"]]
    assert mine and mine[0]["user"] and mine[0]["rss"] > 0


def test_fake_gpus_with_power_integrate_energy(tmp_path, monkeypatch):
    spec = json.dumps([{"name": "Fake A", "power": 100, "temperature": 55}, {"name": "Fake B"}])
    monkeypatch.setenv(gpu_leases.FAKE_GPUS_ENV, spec)
    lock_dir = tmp_path / "locks"
    lease, why = gpu_leases.try_lease("run-1", indices=[1], lock_dir=lock_dir)
    assert lease is not None, why
    try:
        docs = run_agent(
            "--count", "3", "--interval", "0.2", "--gpu-lock-dir", str(lock_dir),
            MLOPS_DESKTOP_FAKE_GPUS=spec,
        )  # fmt: skip
    finally:
        lease.release()
    _, gpu_keys, _ = reference_keys()
    samples = [host_from_document(d) for d in docs]
    assert all(set(g) == gpu_keys for d in docs for g in d["gpus"])
    assert [s.gpu_source for s in samples] == ["fake"] * 3
    a, b = samples[-1].gpus
    assert (a.name, a.power, a.temperature, a.energy_source) == (
        "Fake A",
        100.0,
        55.0,
        "integrated",
    )
    assert a.energy_source == ENERGY_INTEGRATED
    # 100 W over the 0.4 s between the first and the last reading
    assert a.energy_j == pytest.approx(40.0, rel=0.5)
    assert samples[0].gpus[0].energy_j < a.energy_j
    assert b.power is None and b.energy_j is None and "power" in b.unsupported
    assert a.lease is None
    assert b.lease is not None and b.lease.run == "run-1" and b.lease.pid == os.getpid()
    assert b.lease.user and b.lease.since


def test_a_process_of_a_run_is_found_by_its_environment():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env={**os.environ, "MLOPS_DESKTOP_RUN_ID": "abc123"},
    )
    try:
        docs = run_agent("--count", "1", "--interval", "0.2", "--max-processes", "1")
    finally:
        child.kill()
        child.wait()
    found = [p for p in docs[0]["processes"] if p["pid"] == child.pid]
    assert found and found[0]["env_run"] == "abc123"
    assert found[0]["ppid"] == os.getpid()


def test_exits_quietly_when_the_reader_closes_the_pipe():
    agent = subprocess.Popen(
        [*AGENT, "--interval", "0.1"],
        env=agent_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert agent.stdout is not None and agent.stderr is not None
    assert agent.stdout.readline()
    agent.stdout.close()
    assert agent.wait(timeout=10) == 0
    assert agent.stderr.read() == b""


def test_exits_on_sigterm():
    agent = subprocess.Popen(
        [*AGENT, "--interval", "0.1"],
        env=agent_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert agent.stdout is not None and agent.stdout.readline()
    agent.send_signal(signal.SIGTERM)
    assert agent.wait(timeout=10) == 0
    assert agent.stderr is not None and agent.stderr.read() == b""


def test_exits_when_its_parent_dies(tmp_path):
    """A shell (like ssh's) starts the agent and is killed: the agent must not stay behind."""
    pid_file, out_file = tmp_path / "agent.pid", tmp_path / "agent.out"
    cmd = f"{' '.join(AGENT)} --interval 0.2 > {out_file} & echo $! > {pid_file}; wait"
    shell = subprocess.Popen(["sh", "-c", cmd], env=agent_env(), start_new_session=True)
    wait_for(lambda: out_file.exists() and out_file.read_bytes().count(b"\n") > 0)  # it runs
    pid = int(pid_file.read_text())
    shell.kill()
    shell.wait()

    def gone() -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        return stat[stat.rfind(")") + 2] in "ZX"

    wait_for(gone)
