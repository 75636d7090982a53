"""A fake of the ``pynvml`` module: the test edge of the NVML sampler, and the demo's GPUs.

:class:`FakeNvml` answers the NVML calls :class:`~mlops_desktop.monitoring.nvml_sampler.NvmlSampler`
makes, from :class:`FakeGpu` descriptions: any call can raise ``NVMLError_NotSupported`` for one
GPU (``not_supported``), a GPU may have MIG devices and processes with GPU memory and an SM
share, and a GPU with a ``stream`` replays it, one frame per ``nvmlDeviceGetMemoryInfo`` call
(the first query of each tick). :func:`training_stream` makes such a stream that looks like a
training job. The exception classes carry pynvml's names, so ``except module.NVMLError`` works.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

GIB = 1 << 30
MIB = 1 << 20


class NVMLError(Exception):
    """Base of the fake NVML errors (pynvml's name); ``value`` is NVML's return code."""

    value = 999

    def __str__(self) -> str:
        return type(self).__name__.removeprefix("NVMLError_") or "Unknown Error"


class NVMLError_NotSupported(NVMLError):  # noqa: N801 - pynvml's name
    value = 3


class NVMLError_NotFound(NVMLError):  # noqa: N801
    value = 6


class NVMLError_LibraryNotFound(NVMLError):  # noqa: N801
    value = 12


@dataclass
class FakeProcess:
    """A process on a fake GPU: GPU memory in bytes, SM share in percent (None: no samples)."""

    pid: int
    gpu_memory: int | None = 1 * GIB
    sm_util: float | None = None
    graphics: bool = False


@dataclass
class FakeGpu:
    """One fake GPU (or MIG device); memory in bytes, power in W, clocks in MHz.

    Attributes:
        fan: None for a GPU without a fan (the query raises NotSupported).
        energy_counter: whether it answers the total-energy counter (Volta and newer).
        not_supported: NVML function names that raise NotSupported for this GPU.
        mig_devices: MIG devices; MIG mode is on when there are any.
        stream: frames of values (keys are attribute names) replayed one per tick.
    """

    name: str = "Fake GPU"
    memory_total: int = 16 * GIB
    memory_used: int = 0
    util: float = 0.0
    power: float = 50.0
    power_limit: float = 300.0
    temperature: float = 40.0
    clock_sm: float = 1400.0
    clock_memory: float = 5000.0
    fan: float | None = 30.0
    energy_counter: bool = True
    uuid: str | None = None
    not_supported: frozenset[str] = frozenset()
    mig_devices: list[FakeGpu] = field(default_factory=list)
    processes: list[FakeProcess] = field(default_factory=list)
    stream: Sequence[dict[str, float]] | None = None


class _Handle:
    def __init__(self, gpu: FakeGpu, uuid: str) -> None:
        self.gpu = gpu
        self.uuid = gpu.uuid or uuid
        self.frame = -1
        self.energy_mj = 0.0
        self.energy_at: float | None = None


class FakeNvml:
    """A ``pynvml``-like object over fake GPUs; ``calls`` counts each NVML call by name."""

    NVMLError = NVMLError
    NVMLError_NotSupported = NVMLError_NotSupported
    NVMLError_NotFound = NVMLError_NotFound
    NVMLError_LibraryNotFound = NVMLError_LibraryNotFound
    NVML_TEMPERATURE_GPU = 0
    NVML_CLOCK_SM = 1
    NVML_CLOCK_MEM = 2
    NVML_DEVICE_MIG_ENABLE = 1

    def __init__(
        self,
        gpus: Sequence[FakeGpu],
        clock: Callable[[], float] = time.monotonic,
        fail_init: bool = False,
    ) -> None:
        self.gpus = list(gpus)
        self.clock = clock
        self.fail_init = fail_init
        self.calls: Counter[str] = Counter()
        self.initialised = False
        self._handles = [_Handle(g, f"GPU-fake-{i:04d}") for i, g in enumerate(self.gpus)]
        self._mig = {
            id(h): [_Handle(m, f"MIG-fake-{i:04d}-{j}") for j, m in enumerate(h.gpu.mig_devices)]
            for i, h in enumerate(self._handles)
        }

    # --- the machinery ---------------------------------------------------------------------
    def _call(self, name: str, handle: _Handle) -> FakeGpu:
        self.calls[name] += 1
        if name in handle.gpu.not_supported:
            raise NVMLError_NotSupported()
        return handle.gpu

    def _value(self, handle: _Handle, attr: str) -> Any:
        stream = handle.gpu.stream
        if stream and handle.frame >= 0:
            frame = stream[handle.frame % len(stream)]
            if attr in frame:
                return frame[attr]
        return getattr(handle.gpu, attr)

    # --- pynvml's calls -------------------------------------------------------------------
    def nvmlInit(self) -> None:
        self.calls["nvmlInit"] += 1
        if self.fail_init:
            raise NVMLError_LibraryNotFound()
        self.initialised = True

    def nvmlShutdown(self) -> None:
        self.calls["nvmlShutdown"] += 1
        self.initialised = False

    def nvmlDeviceGetCount(self) -> int:
        self.calls["nvmlDeviceGetCount"] += 1
        return len(self._handles)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        self.calls["nvmlDeviceGetHandleByIndex"] += 1
        return self._handles[index]

    def nvmlDeviceGetName(self, h: _Handle) -> str:
        return self._call("nvmlDeviceGetName", h).name

    def nvmlDeviceGetUUID(self, h: _Handle) -> str:
        self._call("nvmlDeviceGetUUID", h)
        return h.uuid

    def nvmlDeviceGetMemoryInfo(self, h: _Handle) -> SimpleNamespace:
        self._call("nvmlDeviceGetMemoryInfo", h)
        h.frame += 1
        used, total = int(self._value(h, "memory_used")), int(self._value(h, "memory_total"))
        return SimpleNamespace(total=total, used=used, free=total - used)

    def nvmlDeviceGetUtilizationRates(self, h: _Handle) -> SimpleNamespace:
        self._call("nvmlDeviceGetUtilizationRates", h)
        return SimpleNamespace(gpu=int(self._value(h, "util")), memory=0)

    def nvmlDeviceGetTemperature(self, h: _Handle, sensor: int) -> int:
        self._call("nvmlDeviceGetTemperature", h)
        return int(self._value(h, "temperature"))

    def nvmlDeviceGetPowerUsage(self, h: _Handle) -> int:
        self._call("nvmlDeviceGetPowerUsage", h)
        return int(self._value(h, "power") * 1000)

    def nvmlDeviceGetEnforcedPowerLimit(self, h: _Handle) -> int:
        self._call("nvmlDeviceGetEnforcedPowerLimit", h)
        return int(self._value(h, "power_limit") * 1000)

    def nvmlDeviceGetClockInfo(self, h: _Handle, kind: int) -> int:
        self._call("nvmlDeviceGetClockInfo", h)
        return int(self._value(h, "clock_sm" if kind == self.NVML_CLOCK_SM else "clock_memory"))

    def nvmlDeviceGetFanSpeed(self, h: _Handle) -> int:
        self._call("nvmlDeviceGetFanSpeed", h)
        fan = self._value(h, "fan")
        if fan is None:
            raise NVMLError_NotSupported()
        return int(fan)

    def nvmlDeviceGetTotalEnergyConsumption(self, h: _Handle) -> int:
        gpu = self._call("nvmlDeviceGetTotalEnergyConsumption", h)
        if not gpu.energy_counter:
            raise NVMLError_NotSupported()
        now = self.clock()
        if h.energy_at is not None:
            h.energy_mj += float(self._value(h, "power")) * (now - h.energy_at) * 1000.0
        h.energy_at = now
        return int(h.energy_mj)

    def _processes(self, name: str, h: _Handle, graphics: bool) -> list[SimpleNamespace]:
        gpu = self._call(name, h)
        return [
            SimpleNamespace(pid=p.pid, usedGpuMemory=p.gpu_memory)
            for p in gpu.processes
            if p.graphics == graphics
        ]

    def nvmlDeviceGetComputeRunningProcesses(self, h: _Handle) -> list[SimpleNamespace]:
        return self._processes("nvmlDeviceGetComputeRunningProcesses", h, graphics=False)

    def nvmlDeviceGetGraphicsRunningProcesses(self, h: _Handle) -> list[SimpleNamespace]:
        return self._processes("nvmlDeviceGetGraphicsRunningProcesses", h, graphics=True)

    def nvmlDeviceGetProcessUtilization(self, h: _Handle, last_seen: int) -> list[SimpleNamespace]:
        gpu = self._call("nvmlDeviceGetProcessUtilization", h)
        stamp = int(self.clock() * 1e6)
        samples = [
            SimpleNamespace(pid=p.pid, timeStamp=stamp, smUtil=int(p.sm_util), memUtil=0)
            for p in gpu.processes
            if p.sm_util is not None
        ]
        if not samples or stamp <= last_seen:
            raise NVMLError_NotFound()  # NVML's answer when no sample is newer than last_seen
        return samples

    def nvmlDeviceGetMigMode(self, h: _Handle) -> list[int]:
        gpu = self._call("nvmlDeviceGetMigMode", h)
        on = int(bool(gpu.mig_devices))
        return [on, on]

    def nvmlDeviceGetMaxMigDeviceCount(self, h: _Handle) -> int:
        self._call("nvmlDeviceGetMaxMigDeviceCount", h)
        return 7 if h.gpu.mig_devices else 0

    def nvmlDeviceGetMigDeviceHandleByIndex(self, h: _Handle, index: int) -> _Handle:
        self._call("nvmlDeviceGetMigDeviceHandleByIndex", h)
        devices = self._mig.get(id(h), [])
        if index >= len(devices):
            raise NVMLError_NotFound()
        return devices[index]


def training_stream(
    seconds: int = 600,
    seed: int = 0,
    memory_total: int = 80 * GIB,
    power_limit: float = 400.0,
) -> list[dict[str, float]]:
    """One frame a second of a GPU running a training job.

    Utilisation ramps up over the first half-minute, then stays high with noise and a dip every
    two minutes (evaluation); memory climbs to a plateau; power follows utilisation; the
    temperature follows power with a lag of about half a minute; the fan follows temperature.
    """
    rng = random.Random(seed)
    idle_w, temp = 0.15 * power_limit, 34.0
    plateau = memory_total * (0.55 + 0.3 * rng.random())
    frames = []
    for t in range(seconds):
        ramp = min(1.0, t / 30.0)
        evaluating = t > 60 and t % 120 < 8
        util = 0.0 if t < 3 else ramp * (35.0 if evaluating else 93.0) + rng.gauss(0, 3)
        util = max(0.0, min(100.0, util))
        memory = plateau * min(1.0, t / 20.0) * (1.0 + 0.002 * math.sin(t / 7.0))
        power = idle_w + (power_limit - idle_w) * util / 100.0 * 0.9 + rng.gauss(0, 4)
        temp += (30.0 + 0.13 * power - temp) / 30.0  # first-order lag toward power's heat
        frames.append(
            {
                "util": round(util),
                "memory_used": int(min(memory, memory_total)),
                "power": round(max(idle_w * 0.8, power), 1),
                "temperature": round(temp),
                "clock_sm": 1980.0 if util > 5 else 210.0,
                "fan": round(max(30.0, min(100.0, (temp - 30.0) * 2.2))),
            }
        )
    return frames


def replay_nvml(
    count: int = 2, seconds: int = 600, name: str = "NVIDIA H100 80GB HBM3"
) -> FakeNvml:
    """Fake NVML whose GPUs each replay a different :func:`training_stream` (the demo's GPUs)."""
    return FakeNvml(
        [
            FakeGpu(
                name=name,
                memory_total=80 * GIB,
                power_limit=400.0,
                stream=training_stream(seconds, seed=i),
            )
            for i in range(count)
        ]
    )


def from_fake_gpus_env(stats: Sequence[Any]) -> FakeNvml:
    """Fake NVML over the GPUs of ``MLOPS_DESKTOP_FAKE_GPUS`` (``gpu_leases.GpuStat``, MiB)."""
    gpus = []
    for stat in stats:
        util = float(stat.utilization or 0.0)
        gpus.append(
            FakeGpu(
                name=stat.name,
                memory_total=int(stat.memory_total) * MIB,
                memory_used=int(stat.memory_used) * MIB,
                util=util,
                power=30.0 + 2.7 * util,
            )
        )
    return FakeNvml(gpus)
