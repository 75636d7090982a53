"""The local sampler on this machine's real psutil and /proc: sane figures, runs' processes
found by their environment, GPUs from the fake GPUs of the launcher's env and their leases."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.hardware import ENERGY_COUNTER, host_document, host_from_document
from mlops_desktop.monitoring.fake_nvml import GIB, FakeGpu, FakeNvml, FakeProcess
from mlops_desktop.monitoring.local import LocalSampler
from mlops_desktop.monitoring.nvml_sampler import NvmlSampler
from mlops_desktop.tracking import gpu_leases

BUSY = "import time\nend = time.time() + 60\nwhile time.time() < end: pass\n"


@pytest.fixture
def busy_child() -> Iterator[subprocess.Popen[bytes]]:
    env = dict(os.environ, MLOPS_DESKTOP_RUN_ID="run-under-test")
    child = subprocess.Popen([sys.executable, "-c", BUSY, "marker-arg"], env=env)
    yield child
    child.kill()
    child.wait()


def _until(sampler: LocalSampler, ok: object, timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        sample = sampler.sample()
        if ok(sample) or time.monotonic() > deadline:  # type: ignore[operator]
            return sample
        time.sleep(0.2)


def test_host_figures_are_sane(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gpu_leases.FAKE_GPUS_ENV, raising=False)
    sampler = LocalSampler(nvml=None, max_processes=10_000)  # every process
    try:
        first = sampler.sample()
        assert first.disk_read_bps is None  # no rate before a previous sample
        time.sleep(0.3)
        s = sampler.sample()
    finally:
        sampler.close()
    assert s.host == "local" and s.hostname and abs(s.time - time.time()) < 5
    assert s.cpu_per_core and len(s.cpu_per_core) == os.cpu_count()
    assert s.cpu_percent is not None and 0.0 <= s.cpu_percent <= 100.0
    assert s.memory_total and 0 < (s.memory_used or 0) <= s.memory_total
    assert s.swap_total is not None and s.load is not None
    assert s.disk_read_bps is not None and s.disk_read_bps >= 0.0
    assert s.net_recv_bps is not None and s.net_sent_bps is not None
    me = next(p for p in s.processes if p.pid == os.getpid())
    assert me.rss and me.rss > 10 * (1 << 20) and me.ppid == os.getppid()
    assert "python" in me.command.lower() or "pytest" in me.command
    assert me.user and len(me.command) <= 200
    assert host_from_document(host_document(s)) == s


def test_a_run_process_is_listed_with_its_run_and_cpu(
    busy_child: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(gpu_leases.FAKE_GPUS_ENV, raising=False)
    sampler = LocalSampler(max_processes=1)
    try:
        s = _until(
            sampler,
            lambda s: any(
                p.pid == busy_child.pid and (p.cpu_percent or 0) > 20 for p in s.processes
            ),
        )
    finally:
        sampler.close()
    child = next(p for p in s.processes if p.pid == busy_child.pid)  # type: ignore[attr-defined]
    assert child.env_run == "run-under-test"
    assert "marker-arg" in child.command and child.ppid == os.getpid()
    assert child.cpu_percent is not None and 20 < child.cpu_percent <= 110  # of one core


def test_fake_gpus_env_gives_fake_gpus_with_their_lease(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(gpu_leases.FAKE_GPUS_ENV, "2:8000")
    lease, why = gpu_leases.try_lease("run-abc", count=1, lock_dir=tmp_path)
    assert lease is not None, why
    sampler = LocalSampler(lock_dir=tmp_path)
    try:
        s = sampler.sample()
    finally:
        sampler.close()
        lease.release()
    assert s.gpu_source == "fake"
    assert [(g.index, g.memory_total) for g in s.gpus] == [(0, 8000 << 20), (1, 8000 << 20)]
    assert s.gpus[0].energy_source == ENERGY_COUNTER and s.gpus[0].power is not None
    holder = s.gpus[0].lease
    assert holder is not None and (holder.run, holder.pid) == ("run-abc", os.getpid())
    assert holder.user and holder.since and abs(holder.since - time.time()) < 60
    assert s.gpus[1].lease is None


def test_gpu_processes_are_always_listed_with_their_gpu_use(
    busy_child: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    fake = FakeNvml([FakeGpu(processes=[FakeProcess(busy_child.pid, 3 * GIB, sm_util=70)])])
    sampler = LocalSampler(nvml=NvmlSampler(fake), lock_dir=tmp_path, max_processes=0)
    try:
        s = sampler.sample()
    finally:
        sampler.close()
    assert s.gpu_source == "nvml"
    (child,) = [p for p in s.processes if p.pid == busy_child.pid]
    assert (child.gpu_memory, child.gpus, child.sm_share) == (3 * GIB, (0,), 70.0)
    assert child.env_run == "run-under-test"
    assert fake.calls["nvmlShutdown"] == 1


def test_no_gpus_without_nvml_or_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gpu_leases.FAKE_GPUS_ENV, raising=False)
    monkeypatch.setattr(NvmlSampler, "open", classmethod(lambda cls, module=None: None))
    sampler = LocalSampler()
    s = sampler.sample()
    assert (s.gpus, s.gpu_source) == ((), None)
