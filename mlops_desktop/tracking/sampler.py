"""What the launcher writes into a run's spool besides the script: start/end and hardware.

``append_event`` appends one event to ``events.jsonl`` with the next free sequence number; the
launcher calls it only while no tracking client of the run writes (before the command starts
and after it ended). :class:`SystemSampler` writes hardware samples to ``system.jsonl``, a spool
of its own with its own sequence numbers (see :mod:`mlops_desktop.tracking.launcher`).
Standard library only.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from mlops_desktop.tracking import gpu_leases, procs
from mlops_desktop.tracking.home import SYSTEM_FILENAME
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


def gpu_usage(indices: list[int]) -> dict[int, tuple[float | None, float]]:
    """{index: (utilization %, memory used MiB)} of the given GPUs now."""
    if not indices:
        return {}
    return {
        g.index: (g.utilization, float(g.memory_used))
        for g in gpu_leases.query_gpus()
        if g.index in indices
    }


class SystemSampler:
    """A daemon thread that samples the process group and leased GPUs every ``interval`` s.

    Args:
        path: the run's ``system.jsonl``.
        run_id: the run.
        pgid: the process group of the command.
        exclude: a pid not to count (the launcher itself).
        gpus: physical indices of leased GPUs.
        interval: seconds between samples (the first comes after at most 0.5 s).
    """

    def __init__(
        self, path: Path, run_id: str, pgid: int, exclude: int, gpus: list[int], interval: float
    ) -> None:
        self.path = path
        self.run_id = run_id
        self.pgid = pgid
        self.exclude = exclude
        self.gpus = gpus
        self.interval = max(0.1, interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlops-sampler", daemon=True)
        self._seq = next_seq(path)
        self._step = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        leave_signals_to_main_thread()
        writer = SpoolWriter(self.path)
        last_ticks, last_t = procs.group_usage(self.pgid, self.exclude)[0], time.monotonic()
        wait = min(0.5, self.interval)
        try:
            while not self._stop.wait(wait):
                wait = self.interval
                try:
                    cols, last_ticks, last_t = self._sample(last_ticks, last_t)
                    self._write(writer, cols)
                except (OSError, subprocess.SubprocessError, ValueError):
                    continue  # a missed sample is not worth failing the run for
        finally:
            writer.close()

    def _sample(self, last_ticks: int, last_t: float) -> tuple[dict[str, float], int, float]:
        cols: dict[str, float] = {}
        now = time.monotonic()
        if procs.has_proc():
            ticks, rss = procs.group_usage(self.pgid, self.exclude)
            elapsed = max(now - last_t, 1e-6)
            cols["sys/cpu_percent"] = max(0.0, (ticks - last_ticks) / procs.CLK_TCK / elapsed * 100)
            cols["sys/rss_mb"] = rss / (1 << 20)
            last_ticks, last_t = ticks, now
        for index, (util, mem) in gpu_usage(self.gpus).items():
            if util is not None:
                cols[f"sys/gpu{index}_util"] = util
            cols[f"sys/gpu{index}_mem_mb"] = mem
        return cols, last_ticks, last_t

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
