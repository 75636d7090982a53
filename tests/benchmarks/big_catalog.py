"""A big catalog for benchmarks: 10,000 runs, 10 M metric points, one 1 M-point series.

``build_big_catalog(home)`` fills ``HOME/catalog.db`` (or ``catalog_url``) straight through the
catalog's tables with bulk inserts, in seconds; GUI benchmarks use it. Run as a script to build
one in a temp home and time ``list_runs``, a filtered ``list_runs`` and the 1 M-point series.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from mlops_desktop.catalog.schema import (
    chunk_t,
    experiment_t,
    latest_t,
    param_t,
    run_t,
    tag_t,
)
from mlops_desktop.catalog.writes import CHUNK_POINTS, latest_value_columns
from mlops_desktop.services.catalog_open import open_catalog

EXPERIMENTS = (("sweep", 0.6), ("baseline", 0.3), ("ablation", 0.1))
KEYS = ("loss", "acc", "val_loss")
BIG_EXPERIMENT = "sweep"
FILTER_QUERY = 'metrics.acc > 0.5 and params.optimizer = "adam" and tags.team = "vision"'


@dataclass(frozen=True)
class BigCatalog:
    """What :func:`build_big_catalog` made."""

    runs: int
    points: int
    big_run_id: str
    big_key: str
    biggest_experiment: str
    seconds: float


def median_ms(fn: Callable[[], object], tries: int) -> tuple[float, object]:
    """Milliseconds ``fn`` takes, the median of ``tries`` calls, and its last result."""
    times, result = [], None
    for _ in range(tries):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, result


def build_big_catalog(
    home: Path,
    runs: int = 10_000,
    points: int = 10_000_000,
    series_points: int = 1_000_000,
    catalog_url: str | None = None,
    seed: int = 0,
) -> BigCatalog:
    """Fill a fresh catalog with ``runs`` runs in three experiments and ``points`` points.

    Every run has 5 params, 3 tags and 3 metrics; one run of the biggest experiment has a
    ``series_points``-point "loss" series, the other points are shared out evenly.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    catalog = open_catalog(home, catalog_url)
    now = time.time()
    per_key = max(1, (points - series_points) // max(1, (runs - 1) * len(KEYS)))
    steps_small = np.arange(per_key, dtype="<i8")
    values_pool = rng.random(per_key * len(KEYS) * 64)
    run_rows, params, tags, chunks, latest = [], [], [], [], []
    exp_rows = [
        {"id": i + 1, "name": n, "created_at": now - 90 * 86400}
        for i, (n, _) in enumerate(EXPERIMENTS)
    ]
    bounds = np.cumsum([share for _, share in EXPERIMENTS]) * runs
    big_run_id, total = "", 0
    for i in range(runs):
        rid = uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i).hex
        exp = int(np.searchsorted(bounds, i, side="right")) + 1
        started = now - (runs - i) * 60.0
        status = "finished" if i % 50 else ("failed" if i % 100 else "killed")
        run_rows.append(
            {
                "id": rid,
                "experiment_id": exp,
                "name": f"run-{i}",
                "status": status,
                "started_at": started,
                "ended_at": started + 55.0,
                "target": "local",
                "command": "python train.py",
                "cwd": "/lab",
                "pid": 1000 + i,
                "host": "lab-01",
                "notes": "",
                "git": None,
                "env": None,
                "error": None,
                "has_start": True,
            }
        )
        for k, v in (
            ("lr", [0.1, 0.01, 0.001][i % 3]),
            ("depth", 2 + i % 8),
            ("optimizer", ["adam", "sgd"][i % 2]),
            ("batch_size", 32 << (i % 3)),
            ("dropout", round(0.1 * (i % 5), 1)),
        ):
            params.append({"run_id": rid, "key": k, "value": _json(v)})
        for k, v in (
            ("team", ["vision", "nlp", "audio"][i % 3]),
            ("model", f"m{i % 7}"),
            ("seed", str(i)),
        ):
            tags.append({"run_id": rid, "key": k, "value": v})
        big = i == 0
        if big:
            big_run_id = rid
        for j, key in enumerate(KEYS):
            n = series_points if big and key == "loss" else per_key
            if big and key == "loss":
                steps = np.arange(n, dtype="<i8")
                values = rng.random(n)
            else:
                steps = steps_small
                off = ((i * len(KEYS) + j) % 64) * per_key
                values = values_pool[off : off + per_key]
            times = started + steps * 0.01
            for lo in range(0, n, CHUNK_POINTS):
                hi = min(n, lo + CHUNK_POINTS)
                chunks.append(
                    {
                        "run_id": rid,
                        "key": key,
                        "seq_first": lo,
                        "n": hi - lo,
                        "steps": steps[lo:hi].tobytes(),
                        "timestamps": times[lo:hi].astype("<f8").tobytes(),
                        "values": values[lo:hi].astype("<f8").tobytes(),
                    }
                )
            value, nonfinite = latest_value_columns(float(values[-1]))
            latest.append(
                {
                    "run_id": rid,
                    "key": key,
                    "seq": n - 1,
                    "step": int(steps[-1]),
                    "timestamp": float(times[-1]),
                    "value": value,
                    "nonfinite": nonfinite,
                    "count": n,
                }
            )
            total += n
    with catalog.session_scope(write=True) as s:
        for table, rows in (
            (experiment_t, exp_rows),
            (run_t, run_rows),
            (param_t, params),
            (tag_t, tags),
            (latest_t, latest),
        ):
            s.execute(insert(table), rows)
        for lo in range(0, len(chunks), 2000):
            s.execute(insert(chunk_t), chunks[lo : lo + 2000])
    catalog.dispose()
    return BigCatalog(runs, total, big_run_id, "loss", BIG_EXPERIMENT, time.perf_counter() - t0)


def _json(value: object) -> str:
    import json

    return json.dumps(value)


def main() -> None:
    from mlops_desktop.services.experiments import ExperimentService

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--postgres", default=None, help="a PostgreSQL catalog URL (empty db)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        big = build_big_catalog(home, args.runs, args.points, catalog_url=args.postgres)
        print(f"built {big.runs:,} runs, {big.points:,} points in {big.seconds:.1f} s")
        t = time.perf_counter()
        svc = ExperimentService.open(home, args.postgres)
        print(f"open: {(time.perf_counter() - t) * 1e3:.0f} ms")
        for label, fn in (
            (f"list_runs({big.biggest_experiment!r})", lambda: svc.list_runs(BIG_EXPERIMENT)),
            ("list_runs() all", lambda: svc.list_runs()),
            (
                f"list_runs with filter {FILTER_QUERY!r}",
                lambda: svc.list_runs(BIG_EXPERIMENT, FILTER_QUERY),
            ),
            (
                f"metric_series of {series_len(svc, big)} points",
                lambda: svc.metric_series(big.big_run_id, big.big_key),
            ),
        ):
            best, result = float("inf"), None
            for _ in range(3):
                t = time.perf_counter()
                result = fn()
                best = min(best, time.perf_counter() - t)
            print(f"{label}: {best * 1e3:.0f} ms ({len(result):,} items)")  # type: ignore[arg-type]
        svc.close()


def series_len(svc: object, big: BigCatalog) -> str:
    return f"{svc.get_run(big.big_run_id).metric_counts[big.big_key]:,}"  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
