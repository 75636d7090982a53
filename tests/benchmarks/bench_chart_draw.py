"""Benchmark: draw a 1,000,000-point metric series in a MetricChart, offscreen.

Run with ``python tests/benchmarks/bench_chart_draw.py``. Prints the wall time from
``set_series`` until the chart is painted (``widget.grab()``), for the raw series and with
smoothing on; the target is under 200 ms.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtWidgets import QApplication

from mlops_desktop.core.runs import MetricSeries
from mlops_desktop.ui.charts.metric_chart import MetricChart

POINTS = 1_000_000
TARGET_MS = 200.0


def make_series(points: int = POINTS, run_id: str = "bench0001") -> MetricSeries:
    """A noisy decaying loss curve with a few NaN and inf points."""
    rng = np.random.default_rng(7)
    steps = np.arange(points, dtype=np.int64)
    values = np.exp(-steps / (points / 5)) + rng.normal(0.0, 0.05, points) + 0.2
    values[::100_003] = np.nan
    values[50_000::200_001] = np.inf
    return MetricSeries(run_id, "loss", steps, 1.7e9 + steps * 0.01, values)


def time_draw(chart: MetricChart, app: QApplication, series: MetricSeries) -> float:
    """Milliseconds from set_series until the widget has been painted."""
    start = time.perf_counter()
    chart.set_series([series], {series.run_id: "bench"})
    app.processEvents()
    chart.grab()
    return (time.perf_counter() - start) * 1000.0


def main() -> int:
    app = QApplication.instance() or QApplication([])
    chart = MetricChart()
    chart.resize(1000, 600)
    chart.set_key("loss")
    chart.show()
    app.processEvents()
    series = make_series()
    time_draw(chart, app, make_series(1000))  # warm up imports and caches
    results: dict[str, float] = {}
    for label, weight in (("raw", 0.0), ("smoothed 0.6", 0.6)):
        chart.set_smoothing(weight)
        runs = [time_draw(chart, app, series) for _ in range(5)]
        results[label] = statistics.median(runs)
        print(
            f"{POINTS:,} points, {label}: median {results[label]:.1f} ms "
            f"(min {min(runs):.1f}, max {max(runs):.1f}) over {len(runs)} draws"
        )
    worst = max(results.values())
    verdict = "OK" if worst < TARGET_MS else "OVER TARGET"
    print(f"target < {TARGET_MS:.0f} ms: {verdict}")
    chart.close()
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
