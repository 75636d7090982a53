"""How long a run filter takes over 10,000 runs, for ordinary and hostile ``like`` patterns.

Builds a 10,000-run catalog (:mod:`big_catalog`, few points) and times, as the median of
several tries, the whole path ``ExperimentService.list_runs(query=...)`` (what ``runs list
--filter`` calls: it reads the runs and the keys the filter names, filters, then reads the rest
of the kept runs; nothing is cached between calls) and, separately, the filter alone over runs
already loaded (what the GUI's filter box does on a new filter). The target: any filter over
10,000 runs answers within 200 ms, on the whole path. Run as a script::

    python tests/benchmarks/bench_filter.py [--runs 10000] [--tries 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from big_catalog import build_big_catalog, median_ms  # noqa: E402

from mlops_desktop.core.query import MAX_CONDITIONS, MAX_PATTERN, parse_query  # noqa: E402
from mlops_desktop.services.experiments import ExperimentService  # noqa: E402

TARGET_MS = 200.0


def queries() -> list[tuple[str, str]]:
    """(label, query) pairs: ordinary filters first, then hostile ones."""
    many = " or ".join(f"name like '%{i}%x%'" for i in range(MAX_CONDITIONS))
    many_tags = " or ".join(f"tags.team like '%v%{i}_%'" for i in range(MAX_CONDITIONS))
    long_pattern = "%" + "ab_" * ((MAX_PATTERN - 2) // 3) + "%"
    return [
        ("no filter", ""),
        ("metrics/params/tags", "metrics.acc > 0.5 and params.optimizer = 'adam'"),
        ("name like 'run-1%'", "name like 'run-1%'"),
        ("name like '%99%'", "name like '%99%'"),
        ("10 %s then x", "name like '" + "%" * 10 + "x'"),
        ("15 %s then x", "name like '" + "%" * 15 + "x'"),
        ("30 %s then x", "name like '" + "%" * 30 + "x'"),
        ("%r%u%n ... x (40 segments)", "name like '" + "%r%u%n%-" * 10 + "%x'"),
        ("500 _ runs", "name like '" + "_%" * 250 + "x'"),
        (f"{MAX_PATTERN}-char pattern", f"name like '{long_pattern}'"),
        (f"{MAX_CONDITIONS} like clauses with or", many),
        (f"{MAX_CONDITIONS} tag like clauses with or", many_tags),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--tries", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        big = build_big_catalog(home, args.runs, points=args.runs * 3, series_points=10)
        print(f"built {big.runs:,} runs in {big.seconds:.1f} s")
        svc = ExperimentService.open(home)
        runs = svc.list_runs()
        print(f"{'query':42} {'whole path':>10} {'filter':>9} {'matched':>8}  target")
        worst = (0.0, "")
        for label, query in queries():
            total, found = median_ms(lambda q=query: svc.list_runs(query=q), args.tries)  # type: ignore[misc]
            alone, _ = median_ms(lambda q=query: parse_query(q).filter(runs), args.tries)  # type: ignore[misc]
            n = len(found)  # type: ignore[arg-type]
            verdict = "ok" if total <= TARGET_MS else "OVER"
            print(f"{label:42} {total:7.0f} ms {alone:6.1f} ms {n:8,}  {verdict}")
            worst = max(worst, (total, label))
        met = "met" if worst[0] <= TARGET_MS else "MISSED"
        print(
            f"target: any filter over {len(runs):,} runs within {TARGET_MS:.0f} ms (median of "
            f"{args.tries}, whole path): {met}; slowest {worst[0]:.0f} ms ({worst[1]})"
        )
        svc.close()


if __name__ == "__main__":
    main()
