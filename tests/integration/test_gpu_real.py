"""The real GPU path, run where a GPU exists (skipped elsewhere: a GPU is hardware, not a service).

Checks that what a run captures about GPUs agrees with NVML, and that a real CUDA training logged
through the public tracking API lands whole in its spool.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlops_desktop.tracking.capture import capture_environment
from mlops_desktop.tracking.home import run_spool_dir
from mlops_desktop.tracking.spool import read_spool

pytestmark = pytest.mark.skipif(shutil.which("nvidia-smi") is None, reason="no NVIDIA GPU here")


def test_captured_gpus_agree_with_nvml() -> None:
    pynvml = pytest.importorskip("pynvml")
    pynvml.nvmlInit()
    try:
        count = pynvml.nvmlDeviceGetCount()
        names = []
        for i in range(count):
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i))
            names.append(name.decode() if isinstance(name, bytes) else name)
    finally:
        pynvml.nvmlShutdown()
    gpus = capture_environment()["env"]["gpus"]
    assert [g["name"] for g in gpus] == names
    assert all(g["memory_total_mib"] and g["memory_total_mib"] > 1000 for g in gpus)


CUDA_TRAINING = textwrap.dedent(
    """
    import torch
    import mlops_desktop as mlops
    assert torch.cuda.is_available()
    torch.manual_seed(0)
    x = torch.randn(4096, 64, device="cuda")
    y = (x[:, :1] > 0).float()
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))
    model.cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    params = {"device": torch.cuda.get_device_name(0)}
    with mlops.start_run("gpu-check", name="cuda-mlp", params=params) as run:
        for step in range(300):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
            opt.zero_grad(); loss.backward(); opt.step()
            run.log_metric("loss", loss.item(), step=step)
        run.log_metric("gpu_mem_mib", torch.cuda.max_memory_allocated() / 2**20)
        print(run.id, flush=True)
    """
)


def test_cuda_training_is_logged_whole(temp_home: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
        capture_output=True,
        text=True,
    )
    if probe.stdout.strip() != "True":
        pytest.skip("PyTorch with CUDA is not installed here")
    repo = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, "-c", CUDA_TRAINING], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.strip().splitlines()[-1]
    events = read_spool(run_spool_dir(temp_home, run_id) / "events.jsonl").events
    points = sum(
        len(e["cols"]["loss"][2]) for e in events if e["type"] == "metrics" and "loss" in e["cols"]
    )
    assert points == 300
    env_event = next(e for e in events if e["type"] == "env")
    assert env_event["env"]["gpus"], "the run recorded its GPUs"
    assert events[-1]["type"] == "end" and events[-1]["status"] == "finished"
