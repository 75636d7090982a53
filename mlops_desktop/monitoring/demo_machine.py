"""The demo's machine: a recorded GPU server, clearly marked as demo data.

A home where the demo was built (it holds ``demo.json``) shows this machine besides the real
ones.

On a computer without a GPU the Monitors pane would show little; the demo adds one more machine,
``demo-gpu-box``, whose four GPUs replay recorded training streams through the fake-NVML edge
(:mod:`mlops_desktop.monitoring.fake_nvml`), the same code path a real GPU takes. Its samples say
``demo: true`` and its card says "demo data". The demo catalog also holds a day of its minute
history, so the day view has something to show, and its two busy GPUs are leased to the demo's
newest running run (or its newest run) so the pane shows who holds them.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import replace

from mlops_desktop.core.hardware import (
    GpuLeaseHolder,
    GpuSample,
    HostSample,
    MonitoredHost,
    ProcessSample,
    StoredBucket,
)
from mlops_desktop.monitoring.fake_nvml import FakeGpu, FakeNvml, training_stream
from mlops_desktop.monitoring.nvml_sampler import NvmlSampler

DEMO_MARKER = "demo.json"  # written in the home by the demo build
DEMO_HOST = "demo-gpu-box"
DEMO_MACHINE = MonitoredHost(DEMO_HOST, "demo", "", "demo data: recorded, not a real machine")
GPUS = 4
BUSY_GPUS = (0, 1)
GIB = 1 << 30
MEMORY_TOTAL = 512 * GIB
CORES = 32
STREAM_S = 1800
TRAIN_PID = 424242
GPU_NAME = "NVIDIA H100 80GB HBM3"


class DemoMachine:
    """Samples of the demo machine: replayed GPUs, a CPU and memory that follow them.

    Args:
        holder: the run id that holds the busy GPUs now (None: nobody).
    """

    def __init__(self, holder: Callable[[], str | None] = lambda: None) -> None:
        self._holder = holder
        self._nvml = NvmlSampler(module=replayed_gpus(int(time.time())))
        self._since = time.time()
        self._rng = random.Random(7)

    def sample(self) -> HostSample:
        now = time.time()
        run = self._holder()
        gpus = list(self._nvml.sample())
        for i in range(len(gpus)):
            if i not in BUSY_GPUS:  # the other two GPUs wait for work
                gpus[i] = _idle(gpus[i])
            elif run is not None:
                gpus[i] = _leased(gpus[i], run, self._since)
        busy = sum(g.util or 0.0 for g in gpus) / max(1, len(gpus))
        cpu = min(100.0, 6.0 + busy * 0.35 + self._rng.gauss(0, 1.5))
        cores = tuple(
            max(0.0, min(100.0, cpu + self._rng.gauss(0, 8) + (40 if c < 6 else 0)))
            for c in range(CORES)
        )
        trainer = ProcessSample(
            pid=TRAIN_PID,
            user="demo",
            command="python train.py --config resnet50.yaml --gpus 0,1",
            cpu_percent=round(cpu * CORES * 0.2, 1),
            rss=int(38 * GIB),
            ppid=1,
            gpu_memory=sum(gpus[i].memory_used or 0 for i in BUSY_GPUS),
            gpus=BUSY_GPUS,
            sm_share=gpus[0].util,
            run=run,
        )
        return HostSample(
            host=DEMO_HOST,
            time=now,
            hostname=DEMO_HOST,
            cpu_percent=round(cpu, 1),
            cpu_per_core=cores,
            load=(cpu * CORES / 100, cpu * CORES / 110, cpu * CORES / 120),
            memory_used=int((0.18 + 0.1 * busy / 100) * MEMORY_TOTAL),
            memory_total=MEMORY_TOTAL,
            swap_used=0,
            swap_total=8 * GIB,
            disk_read_bps=abs(self._rng.gauss(180e6, 40e6)),
            disk_write_bps=abs(self._rng.gauss(4e6, 2e6)),
            net_recv_bps=abs(self._rng.gauss(2e6, 5e5)),
            net_sent_bps=abs(self._rng.gauss(1e6, 3e5)),
            gpus=tuple(gpus),
            processes=(trainer,),
            gpu_source="demo",
            demo=True,
        )

    def close(self) -> None:
        self._nvml.close()


def replayed_gpus(at: int) -> FakeNvml:
    """The demo machine's GPUs, each replaying a recorded training stream from where a
    stream that started at the last full half hour would be at ``at`` (Unix seconds), so a
    sample taken at any moment looks like the middle of a training, not its start."""
    offset = at % STREAM_S
    return FakeNvml(
        [
            FakeGpu(
                name=GPU_NAME,
                memory_total=80 * GIB,
                power_limit=400.0,
                stream=_rotated(training_stream(STREAM_S, seed=i), offset),
            )
            for i in range(GPUS)
        ]
    )


def _rotated(frames: list[dict[str, float]], offset: int) -> list[dict[str, float]]:
    return frames[offset:] + frames[:offset]


def _idle(gpu: GpuSample) -> GpuSample:
    return replace(
        gpu, util=0.0, memory_used=512 << 20, power=62.0, temperature=33.0, clock_sm=210.0
    )


def _leased(gpu: GpuSample, run: str, since: float) -> GpuSample:
    return replace(gpu, lease=GpuLeaseHolder(run=run, pid=TRAIN_PID, user="demo", since=since))


def demo_history(end: float, hours: int = 24, seed: int = 3) -> list[StoredBucket]:
    """A day of the demo machine's minutes: trainings of one to three hours with gaps between."""
    rng = random.Random(seed)
    start = (int(end) // 60 - hours * 60) * 60
    buckets: list[StoredBucket] = []
    busy_until, idle_until = 0.0, 0.0
    for minute in range(hours * 60):
        t = float(start + minute * 60)
        if t >= busy_until and t >= idle_until:
            busy_until = t + rng.randint(60, 180) * 60
            idle_until = busy_until + rng.randint(10, 60) * 60
        busy = t < busy_until
        values: dict[str, tuple[float, float, float, int]] = {}
        cpu = 8.0 + (30.0 if busy else 0.0) + rng.gauss(0, 2)
        values["cpu"] = _spread(cpu, 6.0, 0.0, 100.0)
        mem = (0.18 + (0.1 if busy else 0.0)) * MEMORY_TOTAL
        values["memory"] = (mem * 0.98, mem, mem * 1.02, 60)
        values["memory_total"] = (MEMORY_TOTAL, MEMORY_TOTAL, MEMORY_TOTAL, 60)
        for i in range(GPUS):
            on = busy and i in BUSY_GPUS
            util = 90.0 + rng.gauss(0, 3) if on else 0.0
            p = f"gpu{i}."
            values[p + "util"] = _spread(util, 8.0 if on else 0.0, 0.0, 100.0)
            used = (52.0 + 4 * math.sin(minute / 30) if on else 0.5) * GIB
            values[p + "memory"] = (used, used, used, 60)
            values[p + "memory_total"] = (80 * GIB, 80 * GIB, 80 * GIB, 60)
            power = 60.0 + 3.2 * util
            values[p + "power"] = _spread(power, 25.0 if on else 2.0, 50.0, 400.0)
            temp = 34.0 + 0.11 * power
            values[p + "temperature"] = _spread(temp, 2.0, 20.0, 95.0)
        buckets.append(StoredBucket(DEMO_HOST, t, values))
    return buckets


def _spread(mean: float, width: float, low: float, high: float) -> tuple[float, float, float, int]:
    mean = max(low, min(high, mean))
    return (max(low, mean - width), mean, min(high, mean + width), 60)
