"""What the launcher writes into a run's spool besides the script: start/end and hardware.

``append_event`` appends one event to ``events.jsonl`` with the next free sequence number; the
launcher calls it only while no tracking client of the run writes (before the command starts
and after it ended). :class:`SystemSampler` writes hardware samples to ``system.jsonl``, a spool
of its own with its own sequence numbers (see :mod:`mlops_desktop.tracking.launcher`).
Standard library only.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from mlops_desktop.tracking import procs
from mlops_desktop.tracking.energy import ENERGY_COUNTER, ENERGY_INTEGRATED
from mlops_desktop.tracking.gpu_stats import MIB, GpuSource, NvmlSource, open_gpu_source
from mlops_desktop.tracking.home import SYSTEM_FILENAME
from mlops_desktop.tracking.nvml import open_nvml
from mlops_desktop.tracking.spool import (
    FORMAT_VERSION,
    SpoolWriter,
    encode_event,
    max_seq,
    read_spool,
)
from mlops_desktop.tracking.writer import leave_signals_to_main_thread

__all__ = ["SYSTEM_FILENAME", "SystemSampler", "append_event"]


def next_seq(path: Path) -> int:
    """The next free sequence number of a spool file (0 when missing or empty)."""
    try:
        return max_seq(read_spool(path).events) + 1
    except OSError:
        return 0


def append_event(path: Path, run_id: str, kind: str, fields: dict[str, Any]) -> None:
    """Append one event (fsync'd) after the last sequence number in ``path``."""
    line = {"v": FORMAT_VERSION, "type": kind, "run": run_id, "seq": next_seq(path), "n": 1}
    line.update(fields)
    writer = SpoolWriter(path)
    try:
        writer.write_lines([encode_event(line)])
    finally:
        writer.close()


class SystemSampler:
    """A daemon thread that samples a run's processes and GPUs every ``interval`` seconds.

    Keys: ``sys/cpu_percent`` (of one core) and ``sys/rss_mb`` of the processes; per GPU
    ``sys/gpu<i>_util``, ``_mem_mb``, ``_power_w``, ``_temp_c`` and ``_energy_j`` (joules since
    the sampler started: NVML's counter difference, else power integrated), and
    ``sys/energy_j``, the sum over the GPUs. The energy's source is recorded once as the tag
    ``sys.energy_source`` ("counter" when every GPU has the counter, else "integrated").

    Args:
        path: the run's ``system.jsonl``.
        run_id: the run.
        pgid: the process group of the command (the launcher's runs).
        exclude: a pid not to count (the launcher itself).
        gpus: physical indices of leased GPUs; None: the GPUs the processes use, as NVML
            reports them (runs started by hand).
        interval: seconds between samples (the first comes after at most 0.5 s).
        root: sample this process and its descendants instead of a process group.
    """

    def __init__(
        self,
        path: Path,
        run_id: str,
        pgid: int | None,
        exclude: int | None,
        gpus: list[int] | None,
        interval: float,
        root: int | None = None,
    ) -> None:
        self.path = path
        self.run_id = run_id
        self.pgid = pgid
        self.exclude = exclude
        self.root = root
        self.gpus = gpus
        self.interval = max(0.1, interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlops-sampler", daemon=True)
        self._seq = next_seq(path)
        self._step = 0
        self._energy_base: dict[tuple[int, str | None], float] = {}
        self._energy_tagged = False

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)

    def _open_gpus(self) -> GpuSource | None:
        if self.gpus == []:
            return None
        if self.gpus is None:  # only NVML knows which GPU a process uses
            nvml = open_nvml()
            return NvmlSource(nvml) if nvml is not None else None
        return open_gpu_source(stream=False)

    def _usage(self) -> tuple[int, int, list[int]]:
        """(CPU ticks, resident bytes, pids) of the run's processes now."""
        if self.root is not None:
            return procs.tree_usage(self.root)
        if self.pgid is None:
            return 0, 0, []
        ticks, rss = procs.group_usage(self.pgid, self.exclude)
        return ticks, rss, []

    def _loop(self) -> None:
        leave_signals_to_main_thread()
        writer = SpoolWriter(self.path)
        gpus: GpuSource | None = None
        try:
            with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
                gpus = self._open_gpus()
            has_proc = procs.has_proc()
            last_ticks, _rss, pids = self._usage() if has_proc else (0, 0, [])
            last_t = time.monotonic()
            if gpus is not None:  # the energy baseline
                with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
                    self._gpu_columns(gpus, pids, writer)
            wait = min(0.5, self.interval)
            while not self._stop.wait(wait):
                wait = self.interval
                try:
                    cols: dict[str, float] = {}
                    if has_proc:
                        now = time.monotonic()
                        ticks, rss, pids = self._usage()
                        elapsed = max(now - last_t, 1e-6)
                        cpu = (ticks - last_ticks) / procs.CLK_TCK / elapsed * 100
                        cols["sys/cpu_percent"] = max(0.0, cpu)
                        cols["sys/rss_mb"] = rss / MIB
                        last_ticks, last_t = ticks, now
                    if gpus is not None:
                        cols.update(self._gpu_columns(gpus, pids, writer))
                    self._write(writer, cols)
                except (OSError, subprocess.SubprocessError, ValueError):
                    continue  # a missed sample is not worth failing the run for
        finally:
            writer.close()
            if gpus is not None:
                with contextlib.suppress(OSError):
                    gpus.close()

    def _gpu_columns(
        self, source: GpuSource, pids: list[int], writer: SpoolWriter
    ) -> dict[str, float]:
        reading = source.read()
        if self.gpus is None:
            wanted = {i for pid in pids for i in reading.processes.get(pid, {}).get("gpus", [])}
        else:
            wanted = set(self.gpus)
        cols: dict[str, float] = {}
        total: float | None = None
        sources: set[str] = set()
        for g in reading.gpus:
            i = g["index"]
            if i not in wanted:
                continue
            for key, name, scale in _GPU_COLUMNS:
                if g[key] is not None:
                    cols[f"sys/gpu{i}_{name}"] = g[key] / scale
            if g["energy_j"] is not None:
                base = self._energy_base.setdefault((i, g["energy_source"]), g["energy_j"])
                since = max(0.0, g["energy_j"] - base)
                cols[f"sys/gpu{i}_energy_j"] = since
                total = (total or 0.0) + since
                sources.add(g["energy_source"])
        if total is not None:
            cols["sys/energy_j"] = total
        if sources and not self._energy_tagged:
            tag = ENERGY_COUNTER if sources == {ENERGY_COUNTER} else ENERGY_INTEGRATED
            self._write_event(writer, {"type": "tags", "tags": {"sys.energy_source": tag}})
            self._energy_tagged = True
        return cols

    def _write_event(self, writer: SpoolWriter, event: dict[str, Any]) -> None:
        line = {"v": FORMAT_VERSION, "run": self.run_id, "seq": self._seq, "n": 1, **event}
        writer.write_lines([encode_event(line)])
        writer.sync()
        self._seq += 1

    def _write(self, writer: SpoolWriter, cols: dict[str, float]) -> None:
        if not cols:
            return
        ts = time.time()
        line = {
            "v": FORMAT_VERSION,
            "type": "metrics",
            "run": self.run_id,
            "seq": self._seq,
            "n": len(cols),
            "cols": {k: [[self._step], [ts], [v]] for k, v in cols.items()},
        }
        writer.write_lines([encode_event(line)])
        writer.sync()
        self._seq += len(cols)
        self._step += 1


# (GPU document key, metric name, divisor) of the per-GPU columns besides energy
_GPU_COLUMNS = (
    ("util", "util", 1.0),
    ("memory_used", "mem_mb", MIB),
    ("power", "power_w", 1.0),
    ("temperature", "temp_c", 1.0),
)
