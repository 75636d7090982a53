"""Benchmark: profile, preview and diff a CSV of 1,000,000 rows x 20 columns.

Run ``python tests/benchmarks/bench_profile.py [--rows N] [--keep DIR]``. The CSV is generated
once (NumPy + pyarrow.csv.write_csv); each measurement runs in a fresh subprocess that reports
its wall time and peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``). Targets (issue 3): profile
under 5 s and under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

TARGET_SECONDS = 5.0
TARGET_BYTES = 1 << 30

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from mlops_desktop.datasets.tables import diff_tables, preview_table, profile_table
what, a, b = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
if what == "profile":
    p = profile_table(a, a.name); extra = {"rows": p.rows, "columns": len(p.columns)}
elif what == "preview":
    p = preview_table(a, a.name); extra = {"rows": len(p.rows)}
else:
    d = diff_tables(a, b, a.name)
    extra = {"added": d.rows_added, "removed": d.rows_removed,
             "changes": [(c.column, c.change) for c in d.columns]}
secs = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": secs, "rss": rss, **extra}))
"""


def make_table(rows: int, seed: int = 0) -> pa.Table:
    """12 float, 4 int and 4 categorical string columns."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(12):
        cols[f"f{i}"] = rng.normal(i, 1 + i, rows)
    for i in range(4):
        cols[f"i{i}"] = rng.integers(0, 10 ** (i + 2), rows)
    cats = np.array([f"cat_{j}" for j in range(50)])
    for i in range(4):
        cols[f"s{i}"] = pa.array(cats[rng.integers(0, 10 + 10 * i, rows)])
    return pa.table(cols)


def run_child(what: str, a: Path, b: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(a), str(b)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--keep", type=Path, default=None, help="folder to keep the generated CSVs in"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        old, new = folder / "bench.csv", folder / "bench_v2.csv"
        if not old.exists():
            table = make_table(args.rows)
            pacsv.write_csv(table, old)
            extra = make_table(10_000, seed=1)
            changed = pa.concat_tables([table, extra])
            changed = changed.set_column(0, "f0", pc.add(changed.column("f0"), 3.0))
            pacsv.write_csv(changed, new)
        size = old.stat().st_size
        print(f"CSV: {args.rows:,} rows x 20 columns, {size / 1e6:.0f} MB")
        prof = run_child("profile", old, old)
        ok = prof["seconds"] < TARGET_SECONDS and prof["rss"] < TARGET_BYTES
        print(
            f"profile: {prof['seconds']:.2f} s, peak RSS {prof['rss'] / 2**20:.0f} MiB "
            f"(target < {TARGET_SECONDS:.0f} s, < 1 GiB): {'OK' if ok else 'MISSED'}"
        )
        prev = run_child("preview", old, old)
        print(f"preview: {prev['seconds']:.3f} s, peak RSS {prev['rss'] / 2**20:.0f} MiB")
        diff = run_child("diff", old, new)
        print(
            f"diff (+10,000 rows, f0 shifted): {diff['seconds']:.2f} s, peak RSS "
            f"{diff['rss'] / 2**20:.0f} MiB; added {diff['added']:,}, removed {diff['removed']:,}, "
            f"changes {diff['changes']}"
        )


if __name__ == "__main__":
    main()
