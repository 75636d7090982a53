"""How long the read API takes over 10,000 runs: ``search_runs`` with and without a filter,
ordered, as records and as a pandas DataFrame, and ``get_run`` / ``get_metric_history``.

Builds a 10,000-run catalog (:mod:`big_catalog`: 5 params, 3 tags, 3 metrics a run) and prints
the median of several tries of each call through :class:`~mlops_desktop.client.MlopsClient`
(every call ingests the home's spools first, as it does for a user; nothing is cached between
calls). Run as a script::

    python tests/benchmarks/bench_client.py [--runs 10000] [--tries 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from big_catalog import FILTER_QUERY, build_big_catalog, median_ms  # noqa: E402

from mlops_desktop.client import MlopsClient  # noqa: E402

TARGET_MS = 500.0  # a notebook's search of 10,000 runs answers within half a second


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--tries", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        big = build_big_catalog(home, args.runs, points=args.runs * 3, series_points=100_000)
        print(f"built {big.runs:,} runs in {big.seconds:.1f} s")
        mlflow_filter = "attributes.status = 'FINISHED' and metrics.acc > 0.5"
        calls: list[tuple[str, Callable[[MlopsClient], object]]] = [
            ("baseline: ExperimentService.list_runs()", lambda c: c._open()[0].list_runs()),
            ("search_runs()", lambda c: c.search_runs(max_results=None)),
            ("search_runs(max_results=1000)", lambda c: c.search_runs()),
            ("search_runs(filter)", lambda c: c.search_runs(filter_string=FILTER_QUERY)),
            ("search_runs(MLflow filter)", lambda c: c.search_runs(filter_string=mlflow_filter)),
            (
                "search_runs(order_by metrics.acc DESC)",
                lambda c: c.search_runs(order_by=["metrics.acc DESC"], max_results=None),
            ),
            (
                "search_runs(experiment, filter, order, 10)",
                lambda c: c.search_runs(
                    experiment=big.biggest_experiment,
                    filter_string="metrics.acc > 0.5",
                    order_by=["metrics.acc DESC"],
                    max_results=10,
                ),
            ),
            ("get_run", lambda c: c.get_run(big.big_run_id)),
            (
                f"get_metric_history ({100_000:,} points)",
                lambda c: c.get_metric_history(big.big_run_id, big.big_key),
            ),
        ]
        if importlib.util.find_spec("pandas") is not None:
            calls.append(
                (
                    "search_runs(output_format='pandas')",
                    lambda c: c.search_runs(max_results=None, output_format="pandas"),
                )
            )
        else:
            print("(pandas is not installed: the DataFrame output is not timed)")
        with MlopsClient(home) as client:
            client.search_experiments()  # open the catalog once, as a notebook's first call
            print(f"{'call':44} {'median':>9} {'answer':>8} {'vs listing':>10}  target")
            worst, baseline = 0.0, 0.0
            for label, call in calls:
                ms, got = median_ms(lambda call=call: call(client), args.tries)  # type: ignore[misc]
                size = len(got) if hasattr(got, "__len__") else 1  # type: ignore[arg-type]
                searched = label.startswith("search_runs")
                if label.startswith("baseline"):
                    baseline = ms
                    print(f"{label:44} {ms:7.1f} ms {size:>8,} {'':>10}  (what runs list reads)")
                    continue
                verdict = ("ok" if ms <= TARGET_MS else "OVER") if searched else ""
                ratio = f"{ms / baseline:9.2f}x" if searched and baseline else ""
                worst = max(worst, ms) if searched else worst
                print(f"{label:44} {ms:7.1f} ms {size:>8,} {ratio:>10}  {verdict}")
        print(f"slowest search_runs: {worst:.1f} ms (target {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
