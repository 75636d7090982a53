"""Benchmark: the Charts tab's grid of 12 charts for 10 runs x 100,000 points each, offscreen.

Run with ``python tests/benchmarks/bench_chart_grid.py [--home DIR] [--repeats N]``. It fills a
catalog with 10 runs of 12 metric keys (100,000 points per series, 12 M points) straight
through the catalog's tables, then prints medians of:

- first draw: ``set_runs`` until the charts shown first (two rows, loaded first) hold their
  10 curves and the visible ones are painted (the load runs on the TaskRunner; the GUI-thread
  part is printed too), and until all 12 charts are loaded and painted;
- next selection: the same, with the charts already made (a new selection in the experiment);
- live update: one run gets 1,000 new points on each of its 12 keys (a run logging 1,000
  points a second, read once a second); the time on the GUI thread to append them to the
  charts and repaint what is visible;
- expand: one chart opened full size and painted.

Targets: first draw under 500 ms, a live update under 20 ms on the GUI thread.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, insert, select

from mlops_desktop.catalog.schema import chunk_t, experiment_t, latest_t, run_t
from mlops_desktop.catalog.writes import CHUNK_POINTS, latest_value_columns
from mlops_desktop.services.catalog_open import open_catalog
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.ui.charts.chart_grid import ChartGrid
from mlops_desktop.ui.charts.metric_panel import MetricPanel
from mlops_desktop.ui.tasks import TaskRunner

RUNS = 10
POINTS = 100_000
LIVE_POINTS = 1_000
KEYS = (
    "train/loss",
    "train/acc",
    "train/lr",
    "train/grad_norm",
    "val/loss",
    "val/acc",
    "val/f1",
    "val/auc",
    "test_acc",
    "throughput",
    "sys/cpu_percent",
    "sys/rss_mb",
)
FIRST_DRAW_TARGET_MS = 500.0
LIVE_TARGET_MS = 20.0
SIZE = (930, 560)  # the Charts tab at 1280x720


def build(home: Path) -> list[str]:
    """10 runs x 12 keys x 100,000 points in ``home``'s catalog (reused when present)."""
    catalog = open_catalog(home)
    with catalog.session_scope() as s:
        have = list(s.execute(select(run_t.c.id).order_by(run_t.c.id)).scalars())
    if len(have) == RUNS:
        catalog.dispose()
        return have
    rng = np.random.default_rng(1)
    now = time.time()
    runs, latest = [], []
    with catalog.session_scope(write=True) as s:
        s.execute(insert(experiment_t), [{"id": 1, "name": "grid", "created_at": now}])
        for i in range(RUNS):
            rid = f"{i:02d}" + "ab" * 15
            runs.append(rid)
            s.execute(insert(run_t), [_run_row(rid, i, now)])
            steps = np.arange(POINTS, dtype="<i8")
            times = now - 3600 + steps * 0.01
            for key in KEYS:
                values = np.exp(-steps / (POINTS / (3 + i))) + rng.normal(0, 0.05, POINTS)
                s.execute(insert(chunk_t), _chunks(rid, key, 0, steps, times, values))
                value, nonfinite = latest_value_columns(float(values[-1]))
                latest.append(
                    {
                        "run_id": rid,
                        "key": key,
                        "seq": POINTS - 1,
                        "step": POINTS - 1,
                        "timestamp": float(times[-1]),
                        "value": value,
                        "nonfinite": nonfinite,
                        "count": POINTS,
                    }
                )
        s.execute(insert(latest_t), latest)
    catalog.dispose()
    return runs


def _run_row(rid: str, i: int, now: float) -> dict[str, object]:
    return {
        "id": rid,
        "experiment_id": 1,
        "name": f"run-{i}",
        "status": "running",
        "started_at": now - 3600,
        "ended_at": None,
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


def _chunks(
    rid: str, key: str, seq: int, steps: np.ndarray, times: np.ndarray, values: np.ndarray
) -> list[dict[str, object]]:
    rows = []
    for lo in range(0, steps.size, CHUNK_POINTS):
        hi = min(steps.size, lo + CHUNK_POINTS)
        rows.append(
            {
                "run_id": rid,
                "key": key,
                "seq_first": seq + lo,
                "n": hi - lo,
                "steps": steps[lo:hi].astype("<i8").tobytes(),
                "timestamps": times[lo:hi].astype("<f8").tobytes(),
                "values": values[lo:hi].astype("<f8").tobytes(),
            }
        )
    return rows


def log_more(service: ExperimentService, rid: str) -> None:
    """1,000 new points on each key of run ``rid``, after its last ones, as an ingest stores."""
    with service.catalog.session_scope(write=True) as s:
        last = s.execute(
            select(func.max(chunk_t.c.seq_first + chunk_t.c.n)).where(chunk_t.c.run_id == rid)
        ).scalar_one()
        steps = np.arange(last, last + LIVE_POINTS, dtype="<i8")
        times = time.time() + np.arange(LIVE_POINTS) * 1e-3
        values = np.random.default_rng(int(last)).random(LIVE_POINTS)
        for key in KEYS:
            s.execute(insert(chunk_t), _chunks(rid, key, int(last), steps, times, values))


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 120.0) -> None:
    end = time.perf_counter() + timeout
    while not done():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("the charts did not finish in time")
        time.sleep(0.0005)


def shown_first(panel: MetricPanel, first_run: str | None = None) -> bool:
    """Whether the charts the tab shows first hold every run (``first_run`` leading)."""
    charts = panel.grid.charts()
    keys = panel.grid.chart_keys()[: panel.first_charts()]
    if len(charts) < len(KEYS):
        return False
    return all(
        len(charts[k].run_ids()) == RUNS and first_run in (None, charts[k].run_ids()[0])
        for k in keys
    )


def grown(grid: ChartGrid, run_id: str, before: int) -> bool:
    return len(grid.chart("train/loss").curve_data(run_id)[0]) > before


class GuiClock:
    """Adds up the time spent in a panel's result callbacks (the GUI thread's share)."""

    def __init__(self, panel: MetricPanel, *names: str) -> None:
        self.ms = 0.0
        for name in names:
            original = getattr(panel, name)

            def timed(*args: object, _original: Callable[..., None] = original) -> None:
                t0 = time.perf_counter()
                _original(*args)
                self.ms += (time.perf_counter() - t0) * 1e3

            setattr(panel, name, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        run_ids = build(home)
        print(f"catalog: {RUNS} runs x {len(KEYS)} keys x {POINTS:,} points ", end="")
        print(f"(ready in {time.perf_counter() - t0:.1f} s)")
        service = ExperimentService.open(home)
        try:
            return measure(app, service, run_ids, args.repeats)
        finally:
            service.close()


def measure(app: QApplication, service: ExperimentService, run_ids: list[str], repeats: int) -> int:
    runs = [r for r in service.list_runs() if r.id in run_ids]
    runner = TaskRunner()
    first, first_gui, first_all, live, live_gui, expand = [], [], [], [], [], []
    again, again_gui = [], []
    for _ in range(repeats):
        panel = MetricPanel(service, runner)
        panel.resize(*SIZE)
        panel.show()
        app.processEvents()
        clock = GuiClock(panel, "_on_selection", "_on_new_points")
        grid = panel.grid
        t0 = time.perf_counter()
        panel.set_runs(runs)

        def drawn(grid: ChartGrid = grid) -> bool:
            charts = grid.charts()
            return len(charts) == len(KEYS) and all(
                len(c.run_ids()) == RUNS for c in charts.values()
            )

        wait(app, lambda p=panel: shown_first(p))
        panel.grab()
        first.append((time.perf_counter() - t0) * 1e3)
        first_gui.append(clock.ms)
        wait(app, drawn)
        for chart in grid.charts().values():
            chart.grab()
        first_all.append((time.perf_counter() - t0) * 1e3)

        # the same runs again, charts reused (as when the selection changes within an experiment)
        clock.ms = 0.0
        t3 = time.perf_counter()
        panel.set_runs(runs[::-1])
        wait(app, lambda p=panel: shown_first(p, runs[-1].id))
        panel.grab()
        again.append((time.perf_counter() - t3) * 1e3)
        again_gui.append(clock.ms)
        wait(app, lambda g=grid: drawn(g) and runner.active_count() == 0)

        live_run = runs[0].id
        for _update in range(5):
            log_more(service, live_run)
            before = len(grid.chart("train/loss").curve_data(live_run)[0])
            clock.ms = 0.0
            panel.refresh_runs([live_run])
            wait(app, lambda b=before, g=grid, r=live_run: grown(g, r, b))
            t1 = time.perf_counter()
            panel.grab()  # repaint what is visible, as the next frame would
            paint = (time.perf_counter() - t1) * 1e3
            live_gui.append(clock.ms)
            live.append(clock.ms + paint)

        t2 = time.perf_counter()
        grid.expand("val/loss")
        app.processEvents()
        panel.grab()
        expand.append((time.perf_counter() - t2) * 1e3)
        grid.collapse()
        panel.close()
        panel.deleteLater()
        app.processEvents()
    runner.shutdown(5000)

    def line(label: str, values: list[float]) -> str:
        return (
            f"{label}: median {statistics.median(values):.1f} ms "
            f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
        )

    print(line("grid first draw, visible charts painted", first))
    print(line("  of which on the GUI thread (building curves)", first_gui))
    print(line("grid first draw, all 12 charts painted", first_all))
    print(line("next selection (charts reused), visible charts painted", again))
    print(line("  of which on the GUI thread", again_gui))
    print(line("live update, GUI thread (append 12 x 1,000 points + repaint)", live))
    print(line("  of which appending", live_gui))
    print(line("expand one chart (painted full size)", expand))
    ok_first = statistics.median(first) < FIRST_DRAW_TARGET_MS
    ok_live = statistics.median(live) < LIVE_TARGET_MS
    print(f"target first draw < {FIRST_DRAW_TARGET_MS:.0f} ms: {'OK' if ok_first else 'OVER'}")
    print(f"target live update < {LIVE_TARGET_MS:.0f} ms: {'OK' if ok_live else 'OVER'}")
    return 0 if ok_first and ok_live else 1


if __name__ == "__main__":
    raise SystemExit(main())
