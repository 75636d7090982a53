"""How long the tracking hot path takes: ``python tests/benchmarks/bench_log_metric.py``.

Prints microseconds per ``log_metric`` call (median of a few repeats of 1,000,000 calls), the
same through the module-level ``mlops_desktop.log_metric`` (MLflow's way), per
``log_metrics`` call with 5 keys, and the time ``flush()`` then takes to write and fsync the
backlog. When MLflow is importable it also times ``mlflow.log_metric`` on a temp SQLite store
for a few hundred calls and prints both side by side.

Options: ``--calls N`` (default 1,000,000), ``--repeats R`` (default 3), ``--profile`` (a
cProfile of 200,000 calls, top entries by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

TARGET_US = 5.0


def _time_calls(fn: Callable[[int], None], calls: int) -> float:
    start = time.perf_counter()
    fn(calls)
    return (time.perf_counter() - start) / calls * 1e6


def bench_tracking(calls: int, repeats: int) -> dict[str, float]:
    import mlops_desktop as mlops

    run = mlops.start_run(experiment="bench", capture_env=False, capture_output=False)
    log_metric = run.log_metric
    log_metrics = run.log_metrics

    def one_key(n: int) -> None:
        for i in range(n):
            log_metric("loss", i * 0.001)

    module_log_metric = mlops.log_metric  # MLflow's way: the active run, found per call

    def module_level(n: int) -> None:
        for i in range(n):
            module_log_metric("loss", i * 0.001)

    def five_keys(n: int) -> None:
        for i in range(n):
            v = i * 0.001
            log_metrics({"loss": v, "acc": v, "f1": v, "lr": v, "grad_norm": v})

    single, multi, flushes, module = [], [], [], []
    for _ in range(repeats):
        single.append(_time_calls(one_key, calls))
        start = time.perf_counter()
        run.flush()
        flushes.append(time.perf_counter() - start)
        module.append(_time_calls(module_level, calls))
        run.flush()
        multi.append(_time_calls(five_keys, calls // 5))
        run.flush()
    start = time.perf_counter()
    run.log_metric("loss", 1.0)
    run.flush()
    small_flush = time.perf_counter() - start
    run.end()
    return {
        "log_metric_us": statistics.median(single),
        "log_metrics5_us": statistics.median(multi),
        "module_log_metric_us": statistics.median(module),
        "flush_backlog_s": statistics.median(flushes),
        "flush_one_point_ms": small_flush * 1e3,
        "spool_mb": os.path.getsize(run.events_path) / 1e6,
    }


MLFLOW_SCRIPT = """
import sys, tempfile, time
import mlflow
calls = int(sys.argv[1])
with tempfile.TemporaryDirectory() as tmp:
    mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
    with mlflow.start_run():
        mlflow.log_metric("warmup", 0.0)
        start = time.perf_counter()
        for i in range(calls):
            mlflow.log_metric("loss", i * 0.001, step=i)
        print((time.perf_counter() - start) / calls * 1e6)
"""


def bench_mlflow(calls: int, python: str | None) -> float | None:
    """MLflow's ``log_metric`` on a SQLite store, in its own interpreter (MLflow pins its own
    SQLAlchemy and Alembic, so it usually lives in a separate virtual environment)."""
    exe = python or sys.executable
    try:
        out = subprocess.run(
            [exe, "-c", MLFLOW_SCRIPT, str(calls)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    return float(out.stdout.strip().splitlines()[-1])


def profile(calls: int) -> None:
    import mlops_desktop as mlops

    run = mlops.start_run(experiment="profile", capture_env=False, capture_output=False)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(calls):
        run.log_metric("loss", i * 0.001)
    profiler.disable()
    run.end()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mlflow-calls", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--mlflow-python",
        default=os.environ.get("MLFLOW_PYTHON"),
        help="a Python with mlflow installed (default: $MLFLOW_PYTHON, else this one)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        os.environ["MLOPS_DESKTOP_HOME"] = home
        if args.profile:
            profile(200_000)
            return 0
        r = bench_tracking(args.calls, args.repeats)
    n = args.calls
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(
        f"log_metric          {r['log_metric_us']:8.3f} us/call (median of {args.repeats} x {n:,})"
    )
    print(f"mlops.log_metric    {r['module_log_metric_us']:8.3f} us/call (module level, {n:,})")
    print(f"log_metrics, 5 keys {r['log_metrics5_us']:8.3f} us/call ({n // 5:,} calls)")
    print(f"flush of backlog    {r['flush_backlog_s'] * 1e3:8.1f} ms    (after {n:,} calls)")
    print(f"flush of one point  {r['flush_one_point_ms']:8.2f} ms")
    print(f"spool size          {r['spool_mb']:8.1f} MB")
    mlflow_us = bench_mlflow(args.mlflow_calls, args.mlflow_python)
    if mlflow_us is None:
        print("mlflow: not found, no comparison (pip install mlflow, or --mlflow-python PY)")
    else:
        print(f"mlflow.log_metric   {mlflow_us:8.1f} us/call  ({args.mlflow_calls} calls, sqlite)")
        print(f"speed-up            {mlflow_us / r['log_metric_us']:8.0f} x")
    ok = max(r["log_metric_us"], r["module_log_metric_us"]) < TARGET_US
    print(f"target < {TARGET_US} us per log_metric (both): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
