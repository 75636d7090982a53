"""A real GPU launch through the local executor, where a GPU exists (skipped elsewhere).

Checks NVML's view of the GPUs with their leases, that a launched CUDA training gets the leased
GPU in ``CUDA_VISIBLE_DEVICES``, that its metrics and the launcher's GPU samples land in the
spool, and that two runs wanting every GPU run one after the other.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from mlops_desktop.compute.gpus import list_gpus
from mlops_desktop.compute.local import LocalExecutor
from mlops_desktop.core.compute import RunSpec
from mlops_desktop.tracking.spool import read_spool

pytestmark = pytest.mark.skipif(shutil.which("nvidia-smi") is None, reason="no NVIDIA GPU here")

TRAIN = textwrap.dedent(
    """
    import os, time, torch
    import mlops_desktop as mlops
    print("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES"), flush=True)
    x = torch.randn(8192, 8192, device="cuda")
    with mlops.start_run() as run:
        t0 = time.time()
        step = 0
        while time.time() - t0 < 6:
            y = (x @ x).sum().item()
            run.log_metric("work", float(step), step=step)
            step += 1
        run.log_metric("steps", float(step))
    """
)


def _torch_cuda() -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() == "True"


def _wait(ex: LocalExecutor, handle: dict, states: set[str], timeout: float = 120) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state, _, _ = ex.poll(handle)
        if state in states:
            return state
        time.sleep(0.2)
    raise AssertionError(f"job did not reach {states}")


def test_nvml_lists_the_gpus() -> None:
    gpus = list_gpus()
    assert gpus and all(g.memory_total > 1 << 30 for g in gpus)


def test_cuda_runs_lease_every_gpu_and_queue(temp_home: Path, tmp_path: Path) -> None:
    if not _torch_cuda():
        pytest.skip("PyTorch with CUDA is not installed here")
    count = len(list_gpus())
    ex = LocalExecutor(temp_home, lock_dir=tmp_path / "locks", sample_interval=1.0)
    spec = RunSpec(command=[sys.executable, "-c", TRAIN], gpus=count, experiment="gpu-check")
    ids = [uuid.uuid4().hex for _ in range(2)]
    handles = [ex.start(i, spec, None, temp_home / "spool" / i) for i in ids]
    try:
        end = time.monotonic() + 120
        states: list[str] = []
        while time.monotonic() < end:  # one runs on every GPU while the other waits
            states = sorted(ex.poll(h)[0] for h in handles)
            if states == ["queued", "running"]:
                break
            time.sleep(0.2)
        assert states == ["queued", "running"], states
        for handle in handles:
            assert _wait(ex, handle, {"finished", "failed", "lost"}) == "finished"
    finally:
        for handle in handles:
            if ex.poll(handle)[0] not in {"finished", "failed", "cancelled", "lost"}:
                ex.cancel(handle, 5)
    spans = []
    for run_id in ids:
        spool = temp_home / "spool" / run_id
        log = (spool / "output.log").read_text()
        assert "CUDA_VISIBLE_DEVICES " + ",".join(map(str, range(count))) in log
        events = read_spool(spool / "events.jsonl").events
        assert events[-1]["type"] == "end" and events[-1]["status"] == "finished"
        started = max(e["started_at"] for e in events if e["type"] == "start")
        spans.append((started, events[-1]["ended_at"]))
        keys = {k for e in events if e["type"] == "metrics" for k in e["cols"]}
        assert {"work", "steps"} <= keys
        system = read_spool(spool / "system.jsonl").events
        sampled = {k for e in system if e["type"] == "metrics" for k in e["cols"]}
        assert "sys/gpu0_util" in sampled and "sys/gpu0_mem_mb" in sampled
    first, second = sorted(spans)
    assert first[1] <= second[0], "the two runs never held the GPUs at the same time"
