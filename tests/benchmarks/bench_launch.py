"""Launch latency on the local target: ``python tests/benchmarks/bench_launch.py``.

1. From ``JobService.launch()`` being called to the command's own first line running (the
   command writes ``time.time()`` to a file): median over N launches (default 20), target
   under 300 ms.
2. A metric that a launched script flushes, until ``ExperimentService`` shows it after
   ``refresh()`` + ``ingest()`` (the app's one-second loop, done here as fast as it goes).

Everything runs in a temp home; every job is cancelled before the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_desktop.services.compute import JobService
    from mlops_desktop.services.experiments import ExperimentService

TARGET_MS = 300.0
STAMP = "import sys, time; open(sys.argv[1], 'w').write(repr(time.time()))"
METRIC = """
import sys, time, pathlib
import mlops_desktop as mlops
run = mlops.start_run(experiment="bench")
while not pathlib.Path(sys.argv[1]).exists():
    time.sleep(0.005)
t = time.time()
run.log_metric("flushed", t, step=0)
run.flush()
pathlib.Path(sys.argv[2]).write_text(repr(t))
time.sleep(30)
"""


def bench_start(jobs: JobService, tmp: Path, n: int) -> list[float]:
    from mlops_desktop.core.compute import RunSpec

    latencies = []
    for i in range(n):
        stamp = tmp / f"stamp{i}"
        spec = RunSpec(command=[sys.executable, "-c", STAMP, str(stamp)], workdir=str(tmp))
        t0 = time.time()
        job = jobs.launch(spec)
        while not stamp.exists() or not stamp.read_text():
            time.sleep(0.001)
        latencies.append((float(stamp.read_text()) - t0) * 1000)
        while jobs.get(job.run_id).state not in ("finished", "failed"):
            jobs.refresh()
            time.sleep(0.01)
    return latencies


def bench_metric(experiments: ExperimentService, jobs: JobService, tmp: Path) -> float:
    from mlops_desktop.core.compute import RunSpec

    go, flushed = tmp / "go", tmp / "flushed"
    script = tmp / "metric.py"
    script.write_text(METRIC)
    job = jobs.launch(
        RunSpec(command=[sys.executable, str(script), str(go), str(flushed)], workdir=str(tmp))
    )
    try:
        time.sleep(1.0)  # let the run start and its start event be ingested
        jobs.refresh()
        experiments.ingest()
        go.write_text("")
        while not flushed.exists() or not flushed.read_text():
            time.sleep(0.001)
        t_flush = float(flushed.read_text())
        while True:
            jobs.refresh()
            experiments.ingest()
            metrics = experiments.get_run(job.run_id).summary.metrics
            if "flushed" in metrics:
                return (time.time() - t_flush) * 1000
            time.sleep(0.005)
    finally:
        jobs.cancel(job.run_id, grace_s=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlops-bench-launch-") as tmp_name:
        tmp = Path(tmp_name)
        home = tmp / "home"
        os.environ["MLOPS_DESKTOP_HOME"] = str(home)
        from mlops_desktop.services.bundle import Services

        services = Services.open(home)
        jobs = services.jobs
        try:
            lat = bench_start(jobs, tmp, args.n)
            med = statistics.median(lat)
            verdict = "OK" if med < TARGET_MS else "SLOW"
            print(
                f"launch -> command running: median {med:.1f} ms, min {min(lat):.1f}, "
                f"max {max(lat):.1f} over {len(lat)} (target < {TARGET_MS:.0f} ms: {verdict})"
            )
            metric_ms = bench_metric(services.experiments, jobs, tmp)
            print(f"metric flushed -> in the catalog (refresh + ingest): {metric_ms:.1f} ms")
        finally:
            for job in jobs.jobs(active_only=True):
                jobs.cancel(job.run_id, grace_s=0)
            services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
