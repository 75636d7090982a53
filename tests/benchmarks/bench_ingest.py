"""Ingest speed: a spool of 1,000,000+ metric points into a fresh catalog.

Run ``python tests/benchmarks/bench_ingest.py [--points N] [--batch N] [--postgres URL]
[--profile]``; prints points per second (target on SQLite: at least 1,000,000/s).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog_spools import SpoolBuilder

from mlops_desktop.services.experiments import ExperimentService

KEYS = ("loss", "acc", "lr", "grad_norm")


def write_spool(home: Path, points: int, batch: int) -> tuple[SpoolBuilder, int, int]:
    """A run logging ``len(KEYS)`` metrics per step, ``batch`` points per spool line.

    Returns the builder, the points written and the number of lines.
    """
    b = SpoolBuilder(home).start(experiment="bench").params(lr=0.01, depth=6)
    per_key = batch // len(KEYS)
    step, t0, written, lines = 0, time.time(), 0, 3
    rnd = random.random
    while written < points:
        steps = list(range(step, step + per_key))
        times = [t0 + s * 0.001 for s in steps]
        cols = {k: (steps, times, [math.exp(-s / 1e5) + rnd() * 0.01 for s in steps]) for k in KEYS}
        b.metrics(cols)
        step += per_key
        written += per_key * len(KEYS)
        lines += 1
        if len(b.pending) >= 256:
            b.write()
    b.end().write()
    return b, written, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1000, help="points per spool line")
    ap.add_argument("--postgres", default=None, help="a PostgreSQL catalog URL (empty db)")
    ap.add_argument("--profile", action="store_true", help="profile ingest with pyinstrument")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        t = time.perf_counter()
        b, points, lines = write_spool(home, args.points, args.batch)
        size = b.path.stat().st_size
        print(
            f"wrote {points:,} points in {lines:,} lines, "
            f"{size / 1e6:.1f} MB, in {time.perf_counter() - t:.2f} s"
        )
        svc = ExperimentService.open(home, args.postgres)
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        t = time.perf_counter()
        report = svc.ingest()
        elapsed = time.perf_counter() - t
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False))
        assert report.points == points, (report.points, points)
        db = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"ingest into {db}: {points:,} points in {elapsed:.3f} s = "
            f"{points / elapsed:,.0f} points/s ({size / elapsed / 1e6:.0f} MB/s of spool)"
        )
        t = time.perf_counter()
        series = svc.metric_series(b.run_id, "loss")
        print(f"metric_series of {len(series):,} points: {(time.perf_counter() - t) * 1e3:.1f} ms")
        svc.close()


if __name__ == "__main__":
    main()
