"""Disk per logged point after a run ends: catalog growth plus what is left of the spool.

Run ``python tests/benchmarks/bench_spool_reclaim.py [--points N] [--keys K] [--values V]`` (default
10,000,000 points over 4 keys; a few minutes). It logs through the real tracking client,
ingests, lets the spool go quiet, ingests again (which reclaims the spool), checkpoints the
SQLite catalog and prints bytes per point: catalog growth, spool before and after (target: at
most 16 bytes per point in all), and the catalog's page use from ``dbstat`` when SQLite has it.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import mlops_desktop as mlops
from mlops_desktop.catalog import spool_reclaim
from mlops_desktop.services.experiments import ExperimentService


def dir_bytes(path: Path) -> int:
    """Bytes the files under ``path`` take on disk (allocated blocks)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            st = os.stat(os.path.join(root, name))
            total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
    return total


def catalog_bytes(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def table_bytes(db: Path) -> list[tuple[str, int]]:
    """(table or index, bytes) of the biggest objects, when SQLite has ``dbstat``."""
    try:
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6"
            ).fetchall()
    except sqlite3.Error:
        return []
    return [(str(n), int(b)) for n, b in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--keys", type=int, default=4)
    parser.add_argument(
        "--values",
        choices=("noisy", "smooth"),
        default="noisy",
        help="noisy: a decaying loss plus noise, as real training logs (the default); smooth: "
        "exp(-step/1e5), which compresses far better",
    )
    args = parser.parse_args()
    keys = [f"metric_{k}" for k in range(args.keys)]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        svc = ExperimentService.open(home)
        db = home / "catalog.db"
        svc.ingest()
        before = catalog_bytes(db)
        t0 = time.perf_counter()
        with mlops.start_run(
            "bench", home=home, capture_env=False, capture_output=False, system_metrics=False
        ) as run:
            log = run.log_metrics
            noise = random.Random(7).random if args.values == "noisy" else lambda: 0.0
            for step in range(args.points // len(keys)):
                v = math.exp(-step / 1e5)
                log({key: v + 0.05 * noise() for key in keys}, step=step)
        points = (args.points // len(keys)) * len(keys)
        logged_s = time.perf_counter() - t0
        spool_before = dir_bytes(run.spool_dir)
        t0 = time.perf_counter()
        first = svc.ingest()
        ingested = first.points
        while ingested < points:  # a pass may stop early; the next one goes on
            more = svc.ingest().points
            if not more:
                break
            ingested += more
        ingest_s = time.perf_counter() - t0
        old = time.time() - spool_reclaim.QUIET_S - 1
        os.utime(run.events_path, (old, old))  # as if the spool had been quiet for a while
        second = svc.ingest()
        svc.close()
        catalog = catalog_bytes(db) - before
        spool_after = dir_bytes(run.spool_dir)
        print(
            f"points:                 {points:,} ({ingested:,} ingested, {first.points:,} at once)"
        )
        print(f"logging:                {points / logged_s:,.0f} points/s")
        print(f"ingest:                 {points / ingest_s:,.0f} points/s")
        print(f"spool before reclaim:   {spool_before / points:6.2f} bytes/point")
        print(f"reclaimed:              {second.reclaimed_bytes:,} bytes")
        print(f"spool after reclaim:    {spool_after:,} bytes in all")
        print(f"catalog growth:         {catalog / points:6.2f} bytes/point")
        total = (catalog + spool_after) / points
        verdict = "ok" if total <= 16 else "ABOVE the 16 bytes target"
        print(f"disk per point (ended): {total:6.2f} bytes/point ({verdict})")
        for name, size in table_bytes(db):
            print(f"  {name:28s} {size / points:6.2f} bytes/point")


if __name__ == "__main__":
    main()
