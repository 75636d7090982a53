"""Where a machine's GPU figures come from: NVML, ``nvidia-smi``, or the fake GPUs of tests.

:func:`open_gpu_source` picks, in order: fake GPUs when ``MLOPS_DESKTOP_FAKE_GPUS`` is set (the
test edge, as for leasing), NVML through ctypes, a long-lived streaming ``nvidia-smi`` child
(``stream=True``) or one ``nvidia-smi`` query per read, else None (no GPU). Every source reads
GPUs as ``core.hardware`` GPU documents (``lease`` left None) and the processes that use them.
Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from mlops_desktop.tracking import gpu_leases
from mlops_desktop.tracking.energy import EnergyIntegrator, gpu_energy
from mlops_desktop.tracking.nvml import Nvml, open_nvml

MIB = 1 << 20
SMI_FIELDS = (
    "index,name,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,"
    "power.limit,clocks.sm,clocks.mem,fan.speed"
)
# (document key, scale to the document's unit) of each field after index, name and uuid
SMI_COLUMNS = (
    ("util", 1.0),
    ("memory_used", MIB),
    ("memory_total", MIB),
    ("temperature", 1.0),
    ("power", 1.0),
    ("power_limit", 1.0),
    ("clock_sm", 1.0),
    ("clock_memory", 1.0),
    ("fan", 1.0),
)
PROCESS_REFRESH_S = 5.0  # nvidia-smi's process list costs a child: at most this often
RESTART_AFTER_S = 30.0  # a streaming child that died is restarted at most this often


@dataclass
class GpuReading:
    """GPUs (documents) and {pid: {"gpu_memory", "gpus", "sm_share"}} of GPU processes."""

    gpus: list[dict[str, Any]] = field(default_factory=list)
    processes: dict[int, dict[str, Any]] = field(default_factory=dict)


class GpuSource(Protocol):
    name: str  # "nvml", "nvidia-smi" or "fake"

    def read(self) -> GpuReading: ...

    def close(self) -> None: ...


def gpu_document(index: int, name: str, **values: Any) -> dict[str, Any]:
    """A GPU document with every key; ``unsupported`` lists the figures left None."""
    doc: dict[str, Any] = {"index": index, "name": name, "uuid": None}
    for key, _scale in SMI_COLUMNS:
        doc[key] = values.get(key)
    doc.update(energy_j=values.get("energy_j"), energy_source=values.get("energy_source"))
    doc.update(mig=False, parent_index=None, lease=None, uuid=values.get("uuid"))
    missing = [k for k, _ in SMI_COLUMNS if doc[k] is None]
    doc["unsupported"] = missing + (["energy"] if doc["energy_j"] is None else [])
    return doc


class NvmlSource:
    name = "nvml"

    def __init__(self, nvml: Nvml) -> None:
        self.nvml = nvml

    def read(self) -> GpuReading:
        return GpuReading(self.nvml.read_gpus(), self.nvml.read_processes())

    def close(self) -> None:
        self.nvml.close()


class QuerySource:
    """``gpu_leases.query_gpus`` at each read: the fake GPUs, or one ``nvidia-smi`` query."""

    def __init__(self, fake: bool) -> None:
        self.name = "fake" if fake else "nvidia-smi"
        self.energy = EnergyIntegrator()

    def read(self) -> GpuReading:
        now = time.monotonic()
        gpus = []
        for g in gpu_leases.query_gpus():
            energy, source = gpu_energy(self.energy, g.index, now, g.power, None)
            gpus.append(
                gpu_document(
                    g.index,
                    g.name,
                    util=g.utilization,
                    memory_used=g.memory_used * MIB,
                    memory_total=g.memory_total * MIB,
                    temperature=g.temperature,
                    power=g.power,
                    energy_j=energy,
                    energy_source=source,
                )
            )
        return GpuReading(gpus)

    def close(self) -> None:
        pass


def parse_smi_line(line: str) -> dict[str, Any] | None:
    """One line of the streaming query (:data:`SMI_FIELDS`): a GPU document without energy."""
    parts = [p.strip() for p in line.split(",")]
    extra = len(parts) - 12
    if extra < 0 or not parts[0].isdigit():
        return None
    name = ",".join(parts[1 : 2 + extra])  # a name with commas
    values: dict[str, Any] = {"uuid": parts[2 + extra] or None}
    for (key, scale), raw in zip(SMI_COLUMNS, parts[3 + extra :], strict=True):
        number = gpu_leases.optional_float(raw)  # "[N/A]", "[Not Supported]": None
        values[key] = None if number is None else number * scale
    for key in ("memory_used", "memory_total"):
        if values[key] is not None:
            values[key] = int(values[key])
    return gpu_document(int(parts[0]), name, **values)


class SmiStreamSource:
    """One long-lived ``nvidia-smi ... -lms MS`` child; :meth:`read` takes its latest lines."""

    name = "nvidia-smi"

    def __init__(self, interval: float) -> None:
        self.interval_ms = max(100, int(interval * 1000))
        self.energy = EnergyIntegrator()
        self._latest: dict[int, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._child: subprocess.Popen[str] | None = None
        self._started_at = 0.0
        self._processes: dict[int, dict[str, Any]] = {}
        self._processes_at = -PROCESS_REFRESH_S
        self._uuids: dict[str | None, int] = {}
        self.start()

    def start(self) -> None:
        """Start the child; raises OSError when there is no ``nvidia-smi``."""
        self._started_at = time.monotonic()
        self._child = subprocess.Popen(
            [
                "nvidia-smi",
                f"--query-gpu={SMI_FIELDS}",
                "--format=csv,noheader,nounits",
                "-lms",
                str(self.interval_ms),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._pump, args=(self._child,), daemon=True).start()

    def _pump(self, child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        for line in child.stdout:
            doc = parse_smi_line(line)
            if doc is not None:
                with self._lock:
                    self._latest[doc["index"]] = (time.monotonic(), doc)

    def read(self) -> GpuReading:
        child = self._child
        now = time.monotonic()
        died = child is not None and child.poll() is not None
        if died and now - self._started_at > RESTART_AFTER_S:
            with contextlib.suppress(OSError):
                self.start()
        stale = now - max(3 * self.interval_ms / 1000, 5.0)
        with self._lock:
            rows = sorted((i, t, doc) for i, (t, doc) in self._latest.items() if t >= stale)
        gpus = []
        for index, at, doc in rows:
            energy, source = gpu_energy(self.energy, index, at, doc["power"], None)
            gpus.append({**doc, "energy_j": energy, "energy_source": source})
            if energy is not None and "energy" in doc["unsupported"]:
                gpus[-1]["unsupported"] = [u for u in doc["unsupported"] if u != "energy"]
        uuids = {g["uuid"]: g["index"] for g in gpus}
        if gpus and (now - self._processes_at >= PROCESS_REFRESH_S or uuids != self._uuids):
            self._processes_at, self._uuids = now, uuids
            self._processes = smi_processes(uuids)
        return GpuReading(gpus, self._processes)

    def close(self) -> None:
        if self._child is not None and self._child.poll() is None:
            self._child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._child.wait(timeout=2)


def smi_processes(index_of_uuid: dict[str | None, int]) -> dict[int, dict[str, Any]]:
    """{pid: {"gpu_memory", "gpus", "sm_share": None}} from one ``--query-compute-apps``."""
    try:
        out = subprocess.run(
            [
                "nvidia-smi",
                "--query-compute-apps=pid,used_memory,gpu_uuid",
                "--format=csv,noheader,nounits",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    usage: dict[int, dict[str, Any]] = {}
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        entry = usage.setdefault(int(parts[0]), {"gpu_memory": None, "gpus": [], "sm_share": None})
        used = gpu_leases.optional_float(parts[1])
        if used is not None:
            entry["gpu_memory"] = (entry["gpu_memory"] or 0) + int(used * MIB)
        if parts[2] in index_of_uuid:
            entry["gpus"].append(index_of_uuid[parts[2]])
    return usage


def open_gpu_source(stream: bool = True, interval: float = 1.0) -> GpuSource | None:
    """This machine's GPU source (see the module docstring), or None without GPUs."""
    if os.environ.get(gpu_leases.FAKE_GPUS_ENV) is not None:
        return QuerySource(fake=True)
    nvml = open_nvml()
    if nvml is not None:
        return NvmlSource(nvml)
    if stream:
        try:
            return SmiStreamSource(interval)
        except OSError:
            return None
    return QuerySource(fake=False)
