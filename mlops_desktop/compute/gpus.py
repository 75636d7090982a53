"""This machine's GPUs with their use and leases: NVML, else ``nvidia-smi``, else none.

``MLOPS_DESKTOP_FAKE_GPUS`` replaces the hardware with fake GPUs (the test edge, see
:mod:`mlops_desktop.tracking.gpu_leases`). ``leased_by`` comes from the lease lock files.
"""

from __future__ import annotations

import os
from typing import Any

from mlops_desktop.core.compute import GpuInfo
from mlops_desktop.tracking import gpu_leases

MIB = 1 << 20


def _nvml_gpus() -> list[GpuInfo] | None:
    """GPUs through NVML, or None when NVML is not usable here."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
        return None
    try:
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name: Any = pynvml.nvmlDeviceGetName(handle)
            mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
            try:
                util: float | None = float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except Exception:
                util = None
            gpus.append(
                GpuInfo(
                    index=i,
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    memory_total=int(mem.total),
                    memory_used=int(mem.used),
                    utilization=util,
                )
            )
        return gpus
    except Exception:
        return None
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


def _from_stats(stats: list[gpu_leases.GpuStat]) -> list[GpuInfo]:
    return [
        GpuInfo(
            index=g.index,
            name=g.name,
            memory_total=g.memory_total * MIB,
            memory_used=g.memory_used * MIB,
            utilization=g.utilization,
        )
        for g in stats
    ]


def list_gpus(lock_dir: str | os.PathLike[str] | None = None) -> list[GpuInfo]:
    """This machine's GPUs now, each with the run holding its lease (None when free)."""
    if os.environ.get(gpu_leases.FAKE_GPUS_ENV) is not None:
        gpus = _from_stats(gpu_leases.query_gpus())
    else:
        found = _nvml_gpus()
        gpus = found if found is not None else _from_stats(gpu_leases.query_gpus())
    leases = gpu_leases.read_leases(lock_dir)
    if not leases:
        return gpus
    return [
        GpuInfo(g.index, g.name, g.memory_total, g.memory_used, g.utilization, leases.get(g.index))
        for g in gpus
    ]
