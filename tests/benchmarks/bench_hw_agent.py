"""The hardware agent's cost at 1 Hz (target: at most 1 % of one core).

Run: ``python tests/benchmarks/bench_hw_agent.py [--seconds 60] [--repeats 3]
[--extra-processes 300] [--interval 1]``. Idle ``sleep`` processes are started first so the
machine has a few hundred processes to scan. Each repeat runs the agent for ``--seconds``
after its first line (start-up excluded) and reports its CPU time (user + system, from
``/proc/<pid>/stat``) over the wall time, as percent of one core; the median is the figure.
Start-up cost (interpreter and imports, to the first line) is shown separately.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def one_run(seconds: float, interval: float) -> tuple[float, float, int]:
    """(steady CPU % of one core, start-up CPU s, lines) of one agent run."""
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("MLOPS_DESKTOP_FAKE_GPUS", None)
    agent = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "mlops_desktop.tracking.hw_agent",
            "--interval",
            str(interval),
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert agent.stdout is not None
    try:
        agent.stdout.readline()
        start_cpu, start_wall = cpu_seconds(agent.pid), time.monotonic()
        lines = 0
        while time.monotonic() - start_wall < seconds:
            if not agent.stdout.readline():
                raise SystemExit("the agent stopped early")
            lines += 1
        cpu, wall = cpu_seconds(agent.pid) - start_cpu, time.monotonic() - start_wall
        return cpu / wall * 100, start_cpu, lines
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--extra-processes", type=int, default=300)
    p.add_argument("--interval", type=float, default=1.0)
    args = p.parse_args()
    sleepers = [subprocess.Popen(["sleep", "3600"]) for _ in range(args.extra_processes)]
    try:
        processes = sum(1 for n in os.listdir("/proc") if n.isdigit())
        results = [one_run(args.seconds, args.interval) for _ in range(args.repeats)]
    finally:
        for s in sleepers:
            s.kill()
            s.wait()
    shares = [r[0] for r in results]
    med = statistics.median(shares)
    print(f"processes on the machine: {processes}")
    print(f"lines per run: {[r[2] for r in results]}")
    print(f"start-up CPU to the first line: {statistics.median(r[1] for r in results):.3f} s")
    print(f"agent CPU at {1 / args.interval:g} Hz: {', '.join(f'{s:.2f}' for s in shares)} %")
    verdict = "OK" if med <= 1.0 else "OVER the 1 % target"
    print(f"median: {med:.2f} % of one core ({verdict})")


if __name__ == "__main__":
    main()
