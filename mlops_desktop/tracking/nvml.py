"""NVML through ``ctypes`` on ``libnvidia-ml.so.1`` (no pynvml): standard library only.

:func:`open_nvml` returns an :class:`Nvml` or None (no library, no driver). Device handles
(MIG devices included, as extra GPUs after the physical ones) are opened once. A query a
device refuses (``NVML_ERROR_NOT_SUPPORTED`` or any other error) is remembered as unsupported
for that device and not asked again, while the other queries keep going.

Every C call goes through :class:`NvmlLibrary.call` (the seam): tests pass a fake library whose
Python callables fill the ``byref`` arguments (``arg._obj.value = ...``).
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from mlops_desktop.tracking.energy import EnergyIntegrator, gpu_energy

SUCCESS = 0
ERROR_NOT_SUPPORTED = 3
ERROR_NOT_FOUND = 6
ERROR_INSUFFICIENT_SIZE = 7
ERROR_FUNCTION_NOT_FOUND = 13
VALUE_NOT_AVAILABLE = (1 << 64) - 1
TEMPERATURE_GPU = 0
CLOCK_SM = 1
CLOCK_MEM = 2
NAME_LEN = 96
LIBRARY = "libnvidia-ml.so.1"


class _Memory(ctypes.Structure):
    _fields_ = [
        ("total", ctypes.c_ulonglong),
        ("free", ctypes.c_ulonglong),
        ("used", ctypes.c_ulonglong),
    ]


class _Utilization(ctypes.Structure):
    _fields_ = [("gpu", ctypes.c_uint), ("memory", ctypes.c_uint)]


class ProcessInfoV1(ctypes.Structure):
    """``nvmlProcessInfo_v1_t`` (the plain ``...RunningProcesses`` calls)."""

    _fields_ = [("pid", ctypes.c_uint), ("usedGpuMemory", ctypes.c_ulonglong)]


class ProcessInfoV2(ctypes.Structure):
    """``nvmlProcessInfo_v2_t``, also the layout of the ``_v3`` calls."""

    _fields_ = [
        ("pid", ctypes.c_uint),
        ("usedGpuMemory", ctypes.c_ulonglong),
        ("gpuInstanceId", ctypes.c_uint),
        ("computeInstanceId", ctypes.c_uint),
    ]


class ProcessUtilizationSample(ctypes.Structure):
    """``nvmlProcessUtilizationSample_t``."""

    _fields_ = [
        ("pid", ctypes.c_uint),
        ("timeStamp", ctypes.c_ulonglong),
        ("smUtil", ctypes.c_uint),
        ("memUtil", ctypes.c_uint),
        ("encUtil", ctypes.c_uint),
        ("decUtil", ctypes.c_uint),
    ]


# (function name, struct) tried in order for running processes; the first one found stays
PROCESS_CALLS = {
    kind: [
        (f"nvmlDeviceGet{kind}RunningProcesses_v3", ProcessInfoV2),
        (f"nvmlDeviceGet{kind}RunningProcesses_v2", ProcessInfoV2),
        (f"nvmlDeviceGet{kind}RunningProcesses", ProcessInfoV1),
    ]
    for kind in ("Compute", "Graphics")
}


class NvmlLibrary(Protocol):
    """The seam: one C call by name; returns NVML's status code."""

    def call(self, name: str, *args: Any) -> int: ...


class CtypesLibrary:
    """The real library; a missing symbol answers ``NVML_ERROR_FUNCTION_NOT_FOUND``."""

    def __init__(self, cdll: Any) -> None:
        self._cdll = cdll
        self._functions: dict[str, Any] = {}

    def call(self, name: str, *args: Any) -> int:
        fn = self._functions.get(name)
        if fn is None:
            try:
                fn = getattr(self._cdll, name)
            except AttributeError:
                return ERROR_FUNCTION_NOT_FOUND
            fn.restype = ctypes.c_int
            self._functions[name] = fn
        return int(fn(*args))


@dataclass
class NvmlDevice:
    """One opened device: a physical GPU, or a MIG device (``mig``, ``parent_index``)."""

    index: int
    handle: Any
    name: str
    uuid: str | None
    mig: bool = False
    parent_index: int | None = None
    mig_enabled: bool = False  # a physical GPU split into MIG devices
    unsupported: set[str] = field(default_factory=set)
    process_calls: dict[str, tuple[str, type[ctypes.Structure]] | None] = field(
        default_factory=dict
    )
    last_util_ts: int = 0


def _text(lib: NvmlLibrary, name: str, handle: Any) -> str | None:
    buf = ctypes.create_string_buffer(NAME_LEN)
    if lib.call(name, handle, buf, ctypes.c_uint(NAME_LEN)) != SUCCESS:
        return None
    return buf.value.decode("utf-8", "replace")


def _device(lib: NvmlLibrary, index: int, handle: Any, **kw: Any) -> NvmlDevice:
    name = _text(lib, "nvmlDeviceGetName", handle) or "NVIDIA GPU"
    return NvmlDevice(index, handle, name, _text(lib, "nvmlDeviceGetUUID", handle), **kw)


def _open_devices(lib: NvmlLibrary) -> list[NvmlDevice]:
    count = ctypes.c_uint(0)
    if lib.call("nvmlDeviceGetCount_v2", ctypes.byref(count)) != SUCCESS:
        return []
    physical: list[NvmlDevice] = []
    for i in range(count.value):
        handle = ctypes.c_void_p()
        if lib.call("nvmlDeviceGetHandleByIndex_v2", ctypes.c_uint(i), ctypes.byref(handle)):
            continue
        physical.append(_device(lib, i, handle))
    migs: list[NvmlDevice] = []
    for dev in physical:
        current, pending = ctypes.c_uint(0), ctypes.c_uint(0)
        rc = lib.call(
            "nvmlDeviceGetMigMode", dev.handle, ctypes.byref(current), ctypes.byref(pending)
        )
        if rc != SUCCESS or current.value != 1:
            continue
        dev.mig_enabled = True
        most = ctypes.c_uint(0)
        if lib.call("nvmlDeviceGetMaxMigDeviceCount", dev.handle, ctypes.byref(most)):
            continue
        for k in range(most.value):
            handle = ctypes.c_void_p()
            rc = lib.call(
                "nvmlDeviceGetMigDeviceHandleByIndex",
                dev.handle,
                ctypes.c_uint(k),
                ctypes.byref(handle),
            )
            if rc == SUCCESS:
                index = len(physical) + len(migs)
                migs.append(_device(lib, index, handle, mig=True, parent_index=dev.index))
    return physical + migs


class Nvml:
    """The GPUs NVML knows, read as ``core.hardware`` GPU documents (without ``lease``)."""

    def __init__(self, lib: NvmlLibrary, devices: list[NvmlDevice]) -> None:
        self.lib = lib
        self.devices = devices
        self.energy = EnergyIntegrator()

    def _ask(self, dev: NvmlDevice, what: str, fn: str, *args: Any) -> bool:
        """Call ``fn(handle, *args)`` unless ``what`` is known unsupported; True on success."""
        if what in dev.unsupported:
            return False
        if self.lib.call(fn, dev.handle, *args) == SUCCESS:
            return True
        dev.unsupported.add(what)
        return False

    def _uint(self, dev: NvmlDevice, what: str, fn: str, *args: Any) -> int | None:
        out = ctypes.c_uint(0)
        return out.value if self._ask(dev, what, fn, *args, ctypes.byref(out)) else None

    def read_gpu(self, dev: NvmlDevice, now: float | None = None) -> dict[str, Any]:
        """One device now (``now``: monotonic seconds, for the power integral)."""
        now = time.monotonic() if now is None else now
        mem = _Memory()
        has_mem = self._ask(dev, "memory", "nvmlDeviceGetMemoryInfo", ctypes.byref(mem))
        util = _Utilization()
        has_util = self._ask(dev, "util", "nvmlDeviceGetUtilizationRates", ctypes.byref(util))
        power_mw = self._uint(dev, "power", "nvmlDeviceGetPowerUsage")
        limit_mw = self._uint(dev, "power_limit", "nvmlDeviceGetEnforcedPowerLimit")
        temp = self._uint(dev, "temperature", "nvmlDeviceGetTemperature", TEMPERATURE_GPU)
        sm = self._uint(dev, "clock_sm", "nvmlDeviceGetClockInfo", CLOCK_SM)
        memclk = self._uint(dev, "clock_memory", "nvmlDeviceGetClockInfo", CLOCK_MEM)
        fan = self._uint(dev, "fan", "nvmlDeviceGetFanSpeed")
        energy_mj = ctypes.c_ulonglong(0)
        has_energy = self._ask(
            dev, "energy", "nvmlDeviceGetTotalEnergyConsumption", ctypes.byref(energy_mj)
        )
        power = power_mw / 1000.0 if power_mw is not None else None
        energy, source = gpu_energy(
            self.energy, dev.index, now, power, energy_mj.value / 1000.0 if has_energy else None
        )
        return {
            "index": dev.index,
            "name": dev.name,
            "uuid": dev.uuid,
            "util": float(util.gpu) if has_util else None,
            "memory_used": int(mem.used) if has_mem else None,
            "memory_total": int(mem.total) if has_mem else None,
            "temperature": float(temp) if temp is not None else None,
            "power": power,
            "power_limit": limit_mw / 1000.0 if limit_mw is not None else None,
            "clock_sm": float(sm) if sm is not None else None,
            "clock_memory": float(memclk) if memclk is not None else None,
            "fan": float(fan) if fan is not None else None,
            "energy_j": energy,
            "energy_source": source,
            "mig": dev.mig,
            "parent_index": dev.parent_index,
            "unsupported": sorted(dev.unsupported - {"processes", "process_utilization"}),
            "lease": None,
        }

    def read_gpus(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [self.read_gpu(dev, now) for dev in self.devices]

    def running_processes(self, dev: NvmlDevice) -> dict[int, int | None]:
        """{pid: GPU memory bytes (None: not available)} of compute and graphics processes."""
        found: dict[int, int | None] = {}
        for kind, calls in PROCESS_CALLS.items():
            known = dev.process_calls.get(kind, calls[0])
            candidates = calls if kind not in dev.process_calls else [known] if known else []
            for fn, struct in candidates:
                count = ctypes.c_uint(0)
                rc = self.lib.call(fn, dev.handle, ctypes.byref(count), None)
                if rc == ERROR_FUNCTION_NOT_FOUND:
                    continue
                dev.process_calls[kind] = (fn, struct)
                if rc == ERROR_INSUFFICIENT_SIZE:
                    count.value = count.value * 2 + 5
                    array = (struct * count.value)()
                    rc = self.lib.call(fn, dev.handle, ctypes.byref(count), array)
                    if rc == SUCCESS:
                        for info in array[: count.value]:
                            used = int(info.usedGpuMemory)
                            found[int(info.pid)] = None if used == VALUE_NOT_AVAILABLE else used
                if rc not in (SUCCESS, ERROR_INSUFFICIENT_SIZE):
                    dev.process_calls[kind] = None  # refused: not asked again
                break
            else:
                dev.process_calls[kind] = None
        return found

    def sm_shares(self, dev: NvmlDevice) -> dict[int, float] | None:
        """{pid: SM utilisation %} since the last call; None when the device cannot say."""
        if "process_utilization" in dev.unsupported:
            return None
        fn = "nvmlDeviceGetProcessUtilization"
        count = ctypes.c_uint(0)
        since = ctypes.c_ulonglong(dev.last_util_ts)
        rc = self.lib.call(fn, dev.handle, None, ctypes.byref(count), since)
        shares: dict[int, float] = {}
        if rc in (SUCCESS, ERROR_NOT_FOUND):  # NOT_FOUND: no sample since the last call
            return shares
        if rc == ERROR_INSUFFICIENT_SIZE:
            samples = (ProcessUtilizationSample * max(count.value, 1))()
            rc = self.lib.call(fn, dev.handle, samples, ctypes.byref(count), since)
            if rc == SUCCESS:
                for s in samples[: count.value]:
                    pid = int(s.pid)
                    shares[pid] = max(shares.get(pid, 0.0), float(s.smUtil))
                    dev.last_util_ts = max(dev.last_util_ts, int(s.timeStamp))
                return shares
            if rc == ERROR_NOT_FOUND:
                return shares
        dev.unsupported.add("process_utilization")
        return None

    def read_processes(self) -> dict[int, dict[str, Any]]:
        """{pid: {"gpu_memory", "gpus", "sm_share"}} of the processes using a GPU now."""
        usage: dict[int, dict[str, Any]] = {}
        shares_seen: dict[int, list[float]] = {}
        for dev in self.devices:
            if dev.mig_enabled:
                continue  # its MIG devices list the processes
            procs = self.running_processes(dev)
            if not procs:
                continue
            shares = self.sm_shares(dev)
            for pid, used in procs.items():
                entry = usage.setdefault(pid, {"gpu_memory": None, "gpus": [], "sm_share": None})
                if used is not None:
                    entry["gpu_memory"] = (entry["gpu_memory"] or 0) + used
                entry["gpus"].append(dev.index)
                if shares is not None:
                    shares_seen.setdefault(pid, []).append(shares.get(pid, 0.0))
        for pid, values in shares_seen.items():
            usage[pid]["sm_share"] = sum(values) / len(values)
        return usage

    def close(self) -> None:
        self.lib.call("nvmlShutdown")


def open_nvml(lib: NvmlLibrary | None = None) -> Nvml | None:
    """NVML with its devices opened, or None when the library is missing or will not start."""
    if lib is None:
        try:
            lib = CtypesLibrary(ctypes.CDLL(LIBRARY))
        except OSError:
            return None
    try:
        if lib.call("nvmlInit_v2") != SUCCESS:
            return None
        devices = _open_devices(lib)
    except (OSError, ValueError, TypeError):
        return None
    return Nvml(lib, devices)
