"""A recorded GPU stream logged as a demo run's system metrics, marked as demo data.

The live demo training runs on a computer that may have no GPU; so that its System tab shows
what a GPU run looks like (utilisation, memory, power, temperature, energy), it logs the demo
machine's first two GPUs, replayed through the fake-NVML edge, as ``sys/gpu{i}_*`` metrics, with
tags saying so (``demo.system``). The figures are the ones the Monitors pane shows for
``demo-gpu-box``, whose GPUs 0 and 1 the live run holds.
"""

from __future__ import annotations

import time
from typing import Any

from mlops_desktop.core.hardware import ENERGY_COUNTER, ENERGY_SOURCE_TAG
from mlops_desktop.monitoring.demo_machine import BUSY_GPUS, replayed_gpus
from mlops_desktop.monitoring.nvml_sampler import NvmlSampler

MIB = 1 << 20
DEMO_TAGS = {
    ENERGY_SOURCE_TAG: ENERGY_COUNTER,
    "demo.system": "GPU figures are a recorded stream of demo-gpu-box (demo data), not this "
    "computer",
}


class RecordedGpus:
    """Logs one replayed GPU sample per call of :meth:`log` at most every ``every_s``."""

    def __init__(self, run: Any, every_s: float = 1.0) -> None:
        self.run = run
        self.every_s = every_s
        self._gpus = NvmlSampler(module=replayed_gpus(int(time.time())))
        self._start: dict[int, float] = {}
        self._last = 0.0
        run.set_tags(DEMO_TAGS)

    def log(self) -> None:
        now = time.time()
        if now - self._last < self.every_s:
            return
        self._last = now
        total = 0.0
        values: dict[str, float] = {}
        for gpu in self._gpus.sample():
            i = gpu.index
            if i not in BUSY_GPUS:
                continue
            if gpu.util is not None:
                values[f"sys/gpu{i}_util"] = gpu.util
            if gpu.memory_used is not None:
                values[f"sys/gpu{i}_mem_mb"] = gpu.memory_used / MIB
            if gpu.power is not None:
                values[f"sys/gpu{i}_power_w"] = gpu.power
            if gpu.temperature is not None:
                values[f"sys/gpu{i}_temp_c"] = gpu.temperature
            if gpu.energy_j is not None:
                used = gpu.energy_j - self._start.setdefault(i, gpu.energy_j)
                values[f"sys/gpu{i}_energy_j"] = used
                total += used
        values["sys/energy_j"] = total
        self.run.log_metrics(values, timestamp=now)

    def close(self) -> None:
        self._gpus.close()
