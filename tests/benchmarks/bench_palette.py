"""How fast the command palette opens and answers each keystroke over 10,000 runs.

Builds a 10,000-run catalog (:mod:`big_catalog`, few points), then times, as medians:

- open: :meth:`PaletteIndexService.entries` (one query per kind) plus building the search
  (what the palette's worker does each time it opens), and the first, empty-query listing;
- each keystroke: typing several queries one character at a time, filter and rank (the
  top 50 with their highlighted characters), as the line edit's ``textChanged`` does;
- a pasted query (every character at once, no state from the previous keystroke).

The target: each keystroke under 30 ms. Run as a script::

    python tests/benchmarks/bench_palette.py [--runs 10000] [--tries 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from big_catalog import build_big_catalog  # noqa: E402

from mlops_desktop.core.palette import PaletteSearch  # noqa: E402
from mlops_desktop.services.bundle import Services  # noqa: E402

TARGET_MS = 30.0
QUERIES = ["run-4321", "r99", "rn12", "vision", "zzz", "> theme", "run: 7"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--tries", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        big = build_big_catalog(home, args.runs, points=args.runs * 3, series_points=10)
        print(f"built {big.runs:,} runs in {big.seconds:.1f} s")
        with Services.open(home) as services:
            loads, builds, firsts = [], [], []
            for _ in range(args.tries):
                t0 = time.perf_counter()
                entries = services.palette.entries()
                t1 = time.perf_counter()
                search = PaletteSearch(entries)
                t2 = time.perf_counter()
                search.search("")
                t3 = time.perf_counter()
                loads.append(t1 - t0)
                builds.append(t2 - t1)
                firsts.append(t3 - t2)
            ms = [statistics.median(x) * 1e3 for x in (loads, builds, firsts)]
            print(
                f"open: {len(entries):,} entries: load {ms[0]:.0f} ms + build {ms[1]:.0f} ms "
                f"+ first list {ms[2]:.1f} ms = {sum(ms):.0f} ms (on a worker but the last)"
            )
            keystrokes: list[float] = []
            pasted: list[float] = []
            for query in QUERIES * args.tries:
                for end in range(1, len(query) + 1):
                    t0 = time.perf_counter()
                    search.search(query[:end])
                    keystrokes.append(time.perf_counter() - t0)
                search.search("")  # forget the typed prefixes
                t0 = time.perf_counter()
                search.search(query)
                pasted.append(time.perf_counter() - t0)
            per_key = statistics.median(keystrokes) * 1e3
            worst = max(keystrokes) * 1e3
            paste = statistics.median(pasted) * 1e3
            verdict = "met" if per_key <= TARGET_MS else "MISSED"
            print(
                f"keystroke: median {per_key:.1f} ms, 95th {_p95(keystrokes):.1f} ms, worst "
                f"{worst:.1f} ms over {len(keystrokes)} keystrokes; pasted query median "
                f"{paste:.1f} ms"
            )
            print(
                f"target: each keystroke under {TARGET_MS:.0f} ms over {big.runs:,} runs: {verdict}"
            )


def _p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[int(0.95 * (len(ordered) - 1))] * 1e3


if __name__ == "__main__":
    main()
