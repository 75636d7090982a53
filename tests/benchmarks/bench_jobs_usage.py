"""What the Jobs table reads each refresh: ``python tests/benchmarks/bench_jobs_usage.py``.

Builds the benchmark catalog (:mod:`big_catalog`: 10,000 runs, 10 M points by default) in a
temp home, gives ``--jobs`` of its runs a hardware sample (``sys/cpu_percent``, ``sys/rss_mb``,
two GPUs' ``sys/gpu<i>_util`` and ``_mem_mb`` in ``metric_latest``), and times
``JobService.jobs_usage`` for those runs: the one query behind the CPU %, RAM and GPU use
columns. Median and max of ``--tries`` calls; target under 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from big_catalog import build_big_catalog
from sqlalchemy import insert, select

from mlops_desktop.catalog.schema import latest_t, run_t
from mlops_desktop.services.compute import JobService

TARGET_MS = 10.0
SAMPLE = {
    "sys/cpu_percent": 180.0,
    "sys/rss_mb": 2048.0,
    "sys/gpu0_util": 90.0,
    "sys/gpu0_mem_mb": 30000.0,
    "sys/gpu1_util": 70.0,
    "sys/gpu1_mem_mb": 28000.0,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--jobs", type=int, default=20, help="active jobs whose runs are read")
    ap.add_argument("--tries", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        build_big_catalog(home, args.runs, args.points)
        jobs = JobService.open(home)
        with jobs.catalog.session_scope(write=True) as s:
            ids = [r for (r,) in s.execute(select(run_t.c.id).limit(args.jobs))]
            now = time.time()
            s.execute(
                insert(latest_t),
                [
                    {"run_id": rid, "key": k, "seq": 1, "step": 1, "timestamp": now, "value": v}
                    | {"nonfinite": None, "count": 1}
                    for rid in ids
                    for k, v in SAMPLE.items()
                ],
            )
        times = []
        for _ in range(args.tries):
            t = time.perf_counter()
            usage = jobs.jobs_usage(ids)
            times.append((time.perf_counter() - t) * 1e3)
        assert all(u.gpu_util == 80.0 for u in usage.values()), usage
        jobs.close()
    median = statistics.median(times)
    verdict = "ok" if median < TARGET_MS else "over target"
    print(
        f"jobs_usage of {len(ids)} jobs' runs in a {args.runs:,}-run catalog: "
        f"median {median:.2f} ms, max {max(times):.2f} ms (target < {TARGET_MS:g} ms: {verdict})"
    )


if __name__ == "__main__":
    main()
