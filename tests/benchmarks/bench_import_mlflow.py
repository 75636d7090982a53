"""``import mlflow`` speed and memory: an mlflow.db of 10,000 runs and 10,000,000 metric points.

Run ``python tests/benchmarks/bench_import_mlflow.py [--runs N] [--points N] [--db FILE]
[--profile]``. The store is written straight into MLflow's documented SQL schema (made by
MLflow's own migrations when ``mlflow`` is importable, else by the CREATE TABLE statements
below, which follow MLflow's latest schema for the tables read here): per run 2 params,
3 tags and 4 metric keys, some points NaN or +-inf as MLflow stores them. ``--db FILE`` keeps
the store in FILE and reuses it when it exists. The import runs in a child process into a
fresh home; its wall time and peak RSS (``resource.getrusage``) are printed.
Targets on the reference machine: at most 60 s and 500 MB for 10,000 runs and 10 M points.
"""

from __future__ import annotations

import argparse
import math
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

KEYS = ("loss", "acc", "lr", "grad_norm")
MAX_FLOAT = 1.7976931348623157e308
T0 = 1_700_000_000_000

SCHEMA = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
CREATE TABLE experiments (
    experiment_id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(256) NOT NULL UNIQUE,
    artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32),
    creation_time BIGINT, last_update_time BIGINT);
CREATE TABLE runs (
    run_uuid VARCHAR(32) NOT NULL PRIMARY KEY, name VARCHAR(250), source_type VARCHAR(20),
    source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256),
    status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50),
    lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200),
    experiment_id INTEGER REFERENCES experiments (experiment_id), deleted_time BIGINT);
CREATE TABLE metrics (
    key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL,
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid),
    step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL,
    CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));
CREATE TABLE params (
    key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL,
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid),
    CONSTRAINT param_pk PRIMARY KEY (key, run_uuid));
CREATE TABLE tags (
    key VARCHAR(250) NOT NULL, value VARCHAR(8000),
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid),
    CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid));
INSERT INTO alembic_version VALUES ('bench-latest');
"""
INDEXES = """
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
"""


def make_schema(path: Path) -> bool:
    """Create the tables; True when MLflow's own migrations made them (indexes included)."""
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    except ImportError:
        with sqlite3.connect(path) as db:
            db.executescript(SCHEMA)
        return False
    SqlAlchemyStore(f"sqlite:///{path}", str(path.parent / "artifacts"))
    return True


def metric_rows(run_id: str, per_run: int) -> Iterator[tuple[object, ...]]:
    steps = per_run // len(KEYS)
    for key in KEYS:
        for step in range(steps):
            value = math.exp(-step / 100.0)
            is_nan = 0
            if step % 997 == 13:
                value, is_nan = 0.0, 1
            elif step % 991 == 17:
                value = MAX_FLOAT if step % 2 else -MAX_FLOAT
            yield key, value, T0 + 1000 * step, run_id, step, is_nan


def build_store(path: Path, runs: int, points: int) -> None:
    t = time.perf_counter()
    by_mlflow = make_schema(path)
    db = sqlite3.connect(path)
    db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
    if by_mlflow:  # faster to fill without the secondary indexes, then index once
        for name in ("index_metrics_run_uuid", "index_metrics_run_uuid_key_step"):
            db.execute(f"DROP INDEX IF EXISTS {name}")
    db.execute(
        "INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location,"
        " lifecycle_stage, creation_time, last_update_time)"
        " VALUES (1, 'bench', '', 'active', ?, ?)",
        (T0, T0),
    )
    per_run = points // runs
    for i in range(runs):
        rid = uuid.UUID(int=i + 1).hex
        db.execute(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name,"
            " user_id, status, start_time, end_time, source_version, lifecycle_stage,"
            " artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', 'me', 'FINISHED', ?, ?,"
            " '', 'active', '', 1)",
            (rid, f"run-{i}", T0 + i, T0 + i + 60_000),
        )
        db.executemany(
            "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
            [("lr", str(0.001 * (i % 10 + 1)), rid), ("depth", str(i % 7), rid)],
        )
        db.executemany(
            "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
            [("mlflow.runName", f"run-{i}", rid), ("team", "vision", rid), ("i", str(i), rid)],
        )
        db.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            metric_rows(rid, per_run),
        )
    if by_mlflow:
        db.execute("CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid)")
        db.execute("CREATE INDEX index_metrics_run_uuid_key_step ON metrics (run_uuid, key, step)")
    else:
        db.executescript(INDEXES)
    db.commit()
    db.close()
    size = path.stat().st_size / 1e6
    how = "MLflow's migrations" if by_mlflow else "the CREATE TABLE script"
    print(
        f"built {path.name} ({how}): {runs:,} runs, {per_run * runs:,} points,"
        f" {size:.0f} MB, in {time.perf_counter() - t:.1f} s"
    )


CHILD = """
import resource, sys, time
from pathlib import Path
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.mlflow_import import import_mlflow
home, db, profile = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
with Services.open(home) as services:
    profiler = None
    if profile:
        from pyinstrument import Profiler
        profiler = Profiler()
        profiler.start()
    t = time.perf_counter()
    use = resource.getrusage(resource.RUSAGE_SELF)
    cpu = use.ru_utime + use.ru_stime
    report = import_mlflow(services, db)
    elapsed = time.perf_counter() - t
    use = resource.getrusage(resource.RUSAGE_SELF)
    cpu = use.ru_utime + use.ru_stime - cpu
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
    t = time.perf_counter()
    again = import_mlflow(services, db)
    assert again.runs == again.metrics_points == 0, again
    print(f"importing again (nothing new) took {time.perf_counter() - t:.1f} s")
print(f"{elapsed} {report.runs} {report.metrics_points} {cpu}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--db", type=Path, default=None, help="keep (or reuse) the store here")
    ap.add_argument("--profile", action="store_true", help="profile the import (pyinstrument)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "mlflow.db"
        if not db.exists():
            build_store(db, args.runs, args.points)
        home = Path(tmp) / "home"
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(home), str(db), "1" if args.profile else "0"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        lines = out.strip().splitlines()
        print("\n".join(lines[:-1]))
        elapsed, runs, points, cpu = lines[-1].split()
        seconds = float(elapsed)
        print(
            f"imported {int(runs):,} runs and {int(points):,} metric points in {seconds:.1f} s"
            f" ({int(points) / seconds:,.0f} points/s, {float(cpu):.1f} s of CPU), peak RSS"
            f" {peak_mb:.0f} MB"
            " (targets for 10,000 runs and 10 M points: <= 60 s, <= 500 MB)"
        )


if __name__ == "__main__":
    main()
