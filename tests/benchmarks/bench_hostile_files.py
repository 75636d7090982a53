"""Benchmark: memory and time to refuse a huge one-line CSV (and a huge one-line JSON Lines file).

Run with ``python tests/benchmarks/bench_hostile_files.py [MB]`` (default 200). Each reader
(dataset profile, dataset preview, drift) runs in a child process that prints its peak resident
memory growth (``ru_maxrss``) and wall time; the target is under 50 MB of growth each.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_MB = 50
CHILD = """
import resource, sys, time
from pathlib import Path
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.datasets.tables import preview_table, profile_table
from mlops_desktop.monitoring.drift import read_table
path, which = Path(sys.argv[1]), sys.argv[2]
read = {"profile": lambda: profile_table(path, path.name),
        "preview": lambda: preview_table(path, path.name),
        "drift": lambda: read_table(path)}[which]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    read()
    outcome = "read"
except UserFacingError as e:
    outcome = str(e)
seconds = time.perf_counter() - start
grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(f"{grew:.0f}\\t{seconds:.2f}\\t{outcome}")
"""


def write_one_line(path: Path, mb: int, unit: bytes) -> None:
    with open(path, "wb") as f:
        for _ in range(mb):
            f.write(unit * ((1 << 20) // len(unit)))


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "one-line.csv": b"1,",
            "one-line.jsonl": b"[1,",
        }
        for name, unit in files.items():
            path = Path(tmp) / name
            write_one_line(path, mb, unit)
            for which in ("profile", "preview", "drift"):
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, str(path), which],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
                grew, seconds, outcome = out.split("\t", 2)
                worst = max(worst, float(grew))
                print(f"{name} ({mb} MB) {which:8s} +{grew:>4s} MB  {seconds:>5s} s  {outcome}")
    print(f"worst growth {worst:.0f} MB (target < {TARGET_MB} MB)")


if __name__ == "__main__":
    main()
