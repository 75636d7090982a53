"""What the local hardware sampler costs at 1 Hz (target: at most 1 % of one core).

Run: ``python tests/benchmarks/bench_hw_overhead.py [--seconds 60] [--repeats 3]
[--fake-gpus N] [--profile]``. Each repeat samples this machine once a second for ``--seconds``
and prints this process's CPU time over the wall time, as a percent of one core; the figure is
the median of the repeats. ``--fake-gpus N`` samples N fake GPUs through the NVML sampler (each
with a few processes); ``--profile`` prints a pyinstrument profile of the last repeat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from mlops_desktop.monitoring.fake_nvml import GIB, FakeGpu, FakeNvml, FakeProcess
from mlops_desktop.monitoring.local import LocalSampler
from mlops_desktop.monitoring.nvml_sampler import NvmlSampler

TARGET_PERCENT = 1.0


def _sampler(fake_gpus: int) -> LocalSampler:
    if fake_gpus <= 0:
        return LocalSampler()
    pid = os.getpid()
    gpus = [
        FakeGpu(util=50 + i, processes=[FakeProcess(pid, GIB, sm_util=40), FakeProcess(1, GIB)])
        for i in range(fake_gpus)
    ]
    return LocalSampler(nvml=NvmlSampler(FakeNvml(gpus)), gpu_source="fake")


def one_repeat(seconds: float, fake_gpus: int) -> tuple[float, int, int]:
    """(percent of one core, samples taken, processes in the last sample)."""
    sampler = _sampler(fake_gpus)
    sampler.sample()  # primes the rates, like the first tick of the app
    cpu0, wall0 = time.process_time(), time.monotonic()
    next_at, count, procs = wall0 + 1.0, 0, 0
    while next_at <= wall0 + seconds:
        time.sleep(max(0.0, next_at - time.monotonic()))
        procs = len(sampler.sample().processes)
        count += 1
        next_at += 1.0
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    sampler.close()
    return 100.0 * cpu / wall, count, procs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fake-gpus", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    profiler = None
    figures = []
    for i in range(args.repeats):
        if args.profile and i == args.repeats - 1:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        percent, count, procs = one_repeat(args.seconds, args.fake_gpus)
        figures.append(percent)
        print(f"repeat {i + 1}: {percent:.3f} % of one core ({count} samples, {procs} processes)")
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
    median = statistics.median(figures)
    scanned = sum(1 for n in os.listdir("/proc") if n.isdigit()) if os.path.isdir("/proc") else 0
    verdict = "ok" if median <= TARGET_PERCENT else "OVER"
    print(
        f"median {median:.3f} % of one core at 1 Hz with {args.fake_gpus} fake GPUs, "
        f"{scanned} processes on this machine (target <= {TARGET_PERCENT} %): {verdict}"
    )


if __name__ == "__main__":
    main()
