"""This machine's GPUs through NVML (``nvidia-ml-py``'s ``pynvml``), one query set per tick.

NVML is initialised once and device handles are opened once. Each query that raises (NVML's
``NotSupported`` or any other ``NVMLError``) is remembered as unsupported for that GPU, listed in
:attr:`GpuSample.unsupported` and not asked again, while every other figure keeps coming: one
missing query never loses all the GPU figures. Energy is NVML's counter where the GPU has one
(Volta and newer), else power integrated over time (``energy_source`` "integrated"). With MIG on,
a GPU's MIG devices are reported too (``mig=True``, ``parent_index``), numbered after the
physical GPUs, and they carry its processes. ``module`` injects a fake NVML
(:mod:`~mlops_desktop.monitoring.fake_nvml`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mlops_desktop.core.hardware import ENERGY_COUNTER, ENERGY_INTEGRATED, GpuSample

_log = logging.getLogger(__name__)


class GpuProcessUse(NamedTuple):
    """One process's use of the GPUs: memory (bytes, None: not reported), GPU indices, and its
    mean share of their streaming multiprocessors (percent, None: no samples)."""

    gpu_memory: int | None
    gpus: tuple[int, ...]
    sm_share: float | None


@dataclass
class _Device:
    index: int
    handle: Any
    name: str
    uuid: str | None
    mig: bool = False
    parent_index: int | None = None
    has_processes: bool = True  # a GPU with MIG on leaves its processes to its MIG devices
    unsupported: set[str] = field(default_factory=set)
    energy_j: float = 0.0
    power_at: float | None = None
    last_power: float | None = None
    util_seen_us: int = 0


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class NvmlSampler:
    """The GPUs of this machine, sampled through NVML.

    Args:
        module: the ``pynvml`` module, or a fake of it; None imports ``pynvml``.
        clock: monotonic seconds, for integrating power into energy.

    Raises:
        ImportError: ``pynvml`` is not installed.
        Exception: NVML's own error when it cannot be initialised (no driver, no library).
    """

    def __init__(self, module: Any = None, clock: Callable[[], float] = time.monotonic) -> None:
        if module is None:
            import pynvml

            module = pynvml
        self.nvml = module
        self._clock = clock
        self._error: type[BaseException] = getattr(module, "NVMLError", Exception)
        self._not_found: type[BaseException] | None = getattr(module, "NVMLError_NotFound", None)
        self._sm = getattr(module, "NVML_CLOCK_SM", 1)
        self._mem = getattr(module, "NVML_CLOCK_MEM", 2)
        self._temp = getattr(module, "NVML_TEMPERATURE_GPU", 0)
        module.nvmlInit()
        self._open = True
        self.processes: dict[int, GpuProcessUse] = {}
        try:
            self.devices = self._enumerate()
        except Exception:
            self.close()
            raise

    @classmethod
    def open(cls, module: Any = None) -> NvmlSampler | None:
        """A sampler, or None when NVML cannot be loaded or initialised here."""
        try:
            return cls(module)
        except Exception as exc:  # ImportError, NVMLError_LibraryNotFound, DriverNotLoaded...
            _log.debug("NVML is not usable here: %s", exc)
            return None

    def close(self) -> None:
        """Shut NVML down (once)."""
        if self._open:
            self._open = False
            try:
                self.nvml.nvmlShutdown()
            except Exception:
                pass

    # --- devices --------------------------------------------------------------------------
    def _enumerate(self) -> list[_Device]:
        nvml = self.nvml
        physical = []
        for i in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(i)
            physical.append(self._device(i, handle))
        devices = list(physical)
        for parent in physical:
            for handle in self._mig_handles(parent):
                parent.has_processes = False
                mig = self._device(len(devices), handle, parent.index)
                devices.append(mig)
        return devices

    def _device(self, index: int, handle: Any, parent: int | None = None) -> _Device:
        dev = _Device(index, handle, "GPU", None, mig=parent is not None, parent_index=parent)
        name = self._query(dev, "name", self.nvml.nvmlDeviceGetName)
        dev.name = _text(name) if name is not None else ("MIG device" if dev.mig else "GPU")
        uuid = self._query(dev, "uuid", self.nvml.nvmlDeviceGetUUID)
        dev.uuid = _text(uuid) if uuid is not None else None
        return dev

    def _mig_handles(self, parent: _Device) -> list[Any]:
        nvml = self.nvml
        try:
            current = nvml.nvmlDeviceGetMigMode(parent.handle)[0]
            if current != getattr(nvml, "NVML_DEVICE_MIG_ENABLE", 1):
                return []
            count = int(nvml.nvmlDeviceGetMaxMigDeviceCount(parent.handle))
        except self._error:
            return []  # no MIG on this GPU (NotSupported before Ampere)
        handles = []
        for j in range(count):
            try:
                handles.append(nvml.nvmlDeviceGetMigDeviceHandleByIndex(parent.handle, j))
            except self._error:
                continue  # an empty slot
        return handles

    def _query(self, dev: _Device, what: str, call: Callable[..., Any], *args: Any) -> Any:
        """``call(handle, *args)``, or None once it has failed for this device."""
        if what in dev.unsupported:
            return None
        try:
            return call(dev.handle, *args)
        except self._error as exc:
            _log.debug("GPU %d does not answer %s: %s", dev.index, what, exc)
            dev.unsupported.add(what)
            return None

    # --- one tick -------------------------------------------------------------------------
    def sample(self) -> tuple[GpuSample, ...]:
        """Every GPU now; :attr:`processes` then holds each GPU process's use for this tick."""
        now = self._clock()
        use: dict[int, tuple[int | None, list[int], list[float]]] = {}
        gpus = []
        for dev in self.devices:
            if dev.has_processes:
                self._device_processes(dev, use)
            gpus.append(self._sample_device(dev, now))
        self.processes = {
            pid: GpuProcessUse(mem, tuple(sorted(set(idx))), sum(sm) / len(sm) if sm else None)
            for pid, (mem, idx, sm) in use.items()
        }
        return tuple(gpus)

    def _sample_device(self, dev: _Device, now: float) -> GpuSample:
        nvml, q = self.nvml, self._query
        memory = q(dev, "memory", nvml.nvmlDeviceGetMemoryInfo)
        rates = q(dev, "util", nvml.nvmlDeviceGetUtilizationRates)
        power_mw = q(dev, "power", nvml.nvmlDeviceGetPowerUsage)
        limit_mw = q(dev, "power_limit", nvml.nvmlDeviceGetEnforcedPowerLimit)
        power = power_mw / 1000.0 if power_mw is not None else None
        counter_mj = q(dev, "energy", nvml.nvmlDeviceGetTotalEnergyConsumption)
        if counter_mj is not None:
            energy, source = counter_mj / 1000.0, ENERGY_COUNTER
        else:
            energy, source = self._integrate(dev, power, now), ENERGY_INTEGRATED
        return GpuSample(
            index=dev.index,
            name=dev.name,
            uuid=dev.uuid,
            util=float(rates.gpu) if rates is not None else None,
            memory_used=int(memory.used) if memory is not None else None,
            memory_total=int(memory.total) if memory is not None else None,
            temperature=_float(q(dev, "temperature", nvml.nvmlDeviceGetTemperature, self._temp)),
            power=power,
            power_limit=limit_mw / 1000.0 if limit_mw is not None else None,
            clock_sm=_float(q(dev, "clock_sm", nvml.nvmlDeviceGetClockInfo, self._sm)),
            clock_memory=_float(q(dev, "clock_memory", nvml.nvmlDeviceGetClockInfo, self._mem)),
            fan=_float(q(dev, "fan", nvml.nvmlDeviceGetFanSpeed)),
            energy_j=energy,
            energy_source=source if energy is not None else None,
            mig=dev.mig,
            parent_index=dev.parent_index,
            unsupported=tuple(sorted(dev.unsupported)),
        )

    @staticmethod
    def _integrate(dev: _Device, power: float | None, now: float) -> float | None:
        """Power integrated (trapezoids) since the first reading; None without power."""
        if power is None:
            return None
        if dev.power_at is not None and dev.last_power is not None and now > dev.power_at:
            dev.energy_j += (dev.last_power + power) / 2.0 * (now - dev.power_at)
        dev.power_at, dev.last_power = now, power
        return dev.energy_j

    def _device_processes(
        self, dev: _Device, use: dict[int, tuple[int | None, list[int], list[float]]]
    ) -> None:
        nvml = self.nvml
        memory: dict[int, int | None] = {}
        for what, call in (
            ("processes", nvml.nvmlDeviceGetComputeRunningProcesses),
            ("graphics_processes", nvml.nvmlDeviceGetGraphicsRunningProcesses),
        ):
            for proc in self._query(dev, what, call) or ():
                used = getattr(proc, "usedGpuMemory", None)  # None: NVML_VALUE_NOT_AVAILABLE
                old = memory.get(int(proc.pid))
                memory[int(proc.pid)] = max(old or 0, int(used)) if used is not None else old
        shares = self._sm_shares(dev)
        for pid in memory.keys() | shares.keys():
            mem, idx, sm = use.get(pid, (None, [], []))
            got = memory.get(pid)
            if got is not None:
                mem = (mem or 0) + got
            idx.append(dev.index)
            if pid in shares:
                sm.append(shares[pid])
            use[pid] = (mem, idx, sm)

    def _sm_shares(self, dev: _Device) -> dict[int, float]:
        """Each process's mean SM share on ``dev`` since the last tick."""
        if "process_util" in dev.unsupported:
            return {}
        try:
            samples = self.nvml.nvmlDeviceGetProcessUtilization(dev.handle, dev.util_seen_us)
        except self._error as exc:
            if self._not_found is not None and isinstance(exc, self._not_found):
                return {}  # no sample newer than the last one: nothing ran
            dev.unsupported.add("process_util")
            return {}
        sums: dict[int, list[float]] = {}
        for s in samples:
            dev.util_seen_us = max(dev.util_seen_us, int(s.timeStamp))
            acc = sums.setdefault(int(s.pid), [0.0, 0.0])
            acc[0] += float(s.smUtil)
            acc[1] += 1.0
        return {pid: total / n for pid, (total, n) in sums.items()}


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None
