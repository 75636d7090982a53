"""The hardware agent: one JSON document per line, every interval, on this machine's stdout.

::

    python3 -u -m mlops_desktop.tracking.hw_agent --interval S [--count N]
        [--max-processes N] [--gpu-lock-dir D]

Each line is exactly ``core.hardware.host_document`` (``host`` is this machine's hostname;
the app replaces it with the name it knows the machine by). The first line comes after one
interval, since rates (CPU percent, disk and network bytes per second) need two readings.
GPUs come from :func:`mlops_desktop.tracking.gpu_stats.open_gpu_source`, each with its
lease holder from the GPU lock files. Standard library only: it travels to SSH hosts and
Slurm nodes.

It exits quietly (code 0) when its stdout closes, when its parent dies (the ssh session
that started it ended) and on SIGTERM, SIGINT or SIGHUP, so no agent outlives its watcher.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import time
from typing import Any

from mlops_desktop.tracking import gpu_leases
from mlops_desktop.tracking.gpu_stats import GpuReading, GpuSource, open_gpu_source
from mlops_desktop.tracking.host_stats import PROC, HostMeter, ProcessTable, user_name

PARENT_CHECK_S = 0.5  # how often a long wait looks whether the parent is still there


class Stop(Exception):
    """The agent should end (a signal, its parent died)."""


def _leases(lock_dir: str | None) -> dict[int, dict[str, Any]]:
    """{GPU index: lease document} from the lock files, with the holder's user."""
    leases = {}
    for index, note in gpu_leases.read_lease_notes(lock_dir).items():
        pid = note.get("pid") if isinstance(note.get("pid"), int) else None
        user = None
        if pid is not None:
            with contextlib.suppress(OSError):
                user = user_name(os.stat(f"{PROC}/{pid}").st_uid)
        since = note.get("since")
        leases[index] = {
            "run": note["run"],
            "pid": pid,
            "user": user,
            "since": float(since) if isinstance(since, (int, float)) else None,
        }
    return leases


class Agent:
    """One machine's readers; :meth:`sample` makes one document."""

    def __init__(
        self, max_processes: int = 20, interval: float = 1.0, lock_dir: str | None = None
    ) -> None:
        self.hostname = socket.gethostname()
        self.lock_dir = lock_dir
        self.host = HostMeter()
        self.processes = ProcessTable(max_processes)
        self.gpus: GpuSource | None = open_gpu_source(stream=True, interval=interval)
        self.prime()

    def prime(self) -> None:
        """The first readings, so the first :meth:`sample` has rates."""
        self.host.read()
        self.processes.read({})

    def sample(self) -> dict[str, Any]:
        reading = GpuReading()
        if self.gpus is not None:
            reading = self.gpus.read()
        if reading.gpus:
            leases = _leases(self.lock_dir)
            for gpu in reading.gpus:
                if not gpu["mig"]:
                    gpu["lease"] = leases.get(gpu["index"])
        doc: dict[str, Any] = {"host": self.hostname, "time": time.time()}
        doc["hostname"] = self.hostname
        host = self.host.read()
        doc.update(
            cpu_percent=host["cpu_percent"],
            cpu_per_core=host["cpu_per_core"],
            load=host["load"],
            memory=host["memory"],
            swap=host["swap"],
            disk=host["disk"],
            net=host["net"],
            gpu_source=self.gpus.name if self.gpus is not None and reading.gpus else None,
            demo=False,
            gpus=reading.gpus,
            processes=self.processes.read(reading.processes),
        )
        return doc

    def close(self) -> None:
        if self.gpus is not None:
            self.gpus.close()


def _raise_stop(_signum: int, _frame: Any) -> None:
    raise Stop


def wait_until(deadline: float, parent: int) -> None:
    """Sleep until ``deadline`` (monotonic), raising :class:`Stop` once the parent is gone."""
    while True:
        if os.getppid() != parent:
            raise Stop
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, PARENT_CHECK_S))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m mlops_desktop.tracking.hw_agent")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between lines")
    p.add_argument("--count", type=int, default=0, help="stop after N lines (0: never)")
    p.add_argument("--max-processes", type=int, default=20, help="top N by CPU and by memory")
    p.add_argument("--gpu-lock-dir", default=None)
    return p.parse_args(argv)


def run(args: argparse.Namespace, out: Any) -> None:
    parent = os.getppid()
    interval = max(0.05, args.interval)
    agent = Agent(args.max_processes, interval, args.gpu_lock_dir)
    try:
        deadline = time.monotonic() + interval
        sent = 0
        while args.count <= 0 or sent < args.count:
            wait_until(deadline, parent)
            deadline = max(deadline + interval, time.monotonic() + interval / 10)
            out.write(json.dumps(agent.sample(), separators=(",", ":")) + "\n")
            out.flush()
            sent += 1
    finally:
        agent.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    try:
        run(args, sys.stdout)
    except (Stop, BrokenPipeError, KeyboardInterrupt):
        # nobody reads any more: keep Python's final flush from complaining about the pipe
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
