"""The app at scale: ``python tests/benchmarks/bench_gui.py``.

Builds a catalog of 10,000 runs and 10 million points (one run with a 1,000,000-point series),
then starts the app in a fresh process (offscreen Qt) and measures, each until the result is
painted:

- window: process start to the first frame of the main window (target < 2 s);
- runs table: choosing the biggest experiment (6,000 runs) and "All experiments" (10,000 runs)
  to the table showing them (target < 500 ms);
- filter: pressing Enter on a three-clause query to the table showing the matches (< 200 ms);
- chart: selecting the run with the 1,000,000-point series, Charts tab open, to the curve drawn
  (< 200 ms; includes reading the series from the catalog);
- memory: resident set size of the app process at the end (target < 400 MB);
- live: while a run logs 1,000 points a second into the shown 6,000-run experiment (Charts
  open, the run and nine others selected), the GUI-thread time of each live update of the
  runs table (target < 30 ms) and of the charts (target < 20 ms), the worker time of the
  table's read, and GUI-thread stalls (see ``live_phase.py``).

Options: ``--home DIR`` reuses (or builds once) a catalog there; ``--repeats N``;
``--live-seconds S`` (0: no live phase); ``--only live`` skips the other figures;
``--before-src DIR`` also runs the live phase on an older source tree (e.g. ``git archive
main``) and prints its figures next to these.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARKER = "bench-catalog.json"
TARGETS = {"window_s": 2.0, "table_ms": 500, "filter_ms": 200, "chart_ms": 200, "rss_mb": 400}
LIVE_TARGETS = {"gui table": 30.0, "gui charts": 20.0}


def ensure_catalog(home: Path) -> dict[str, object]:
    marker = home / MARKER
    if marker.exists():
        return json.loads(marker.read_text())
    sys.path.insert(0, str(HERE))
    from big_catalog import BIG_EXPERIMENT, FILTER_QUERY, build_big_catalog

    big = build_big_catalog(home)
    info = {
        "runs": big.runs,
        "points": big.points,
        "big_run_id": big.big_run_id,
        "big_key": big.big_key,
        "experiment": BIG_EXPERIMENT,
        "query": FILTER_QUERY,
        "build_s": big.seconds,
    }
    marker.write_text(json.dumps(info))
    return info


def child(home: Path, info: dict[str, object]) -> dict[str, float]:
    """Runs in a fresh interpreter: everything from import to RSS, as a user would see it."""
    import psutil

    proc = psutil.Process()
    started = proc.create_time()

    from PySide6.QtWidgets import QApplication

    from mlops_desktop.services.bundle import Services
    from mlops_desktop.settings import Settings
    from mlops_desktop.ui.app import build_main_window
    from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane

    app = QApplication([sys.argv[0]])
    services = Services.open(home)
    window = build_main_window(services, Settings.load(home), start_ingest=False)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    window.grab()
    out: dict[str, float] = {"window_s": time.time() - started}
    pane = window.findChildren(ExperimentsPane)[0]

    def wait(cond, timeout: float = 30.0) -> None:
        end = time.perf_counter() + timeout
        while not cond():
            if time.perf_counter() > end:
                raise TimeoutError("the app did not answer in time")
            app.processEvents()
            time.sleep(0.001)

    wait(lambda: pane.experiments_list.topLevelItemCount() > 1)
    wait(lambda: not pane.is_loading())
    counts = {e.name: e.run_count for e in services.experiments.list_experiments()}
    counts[None] = sum(counts.values())
    for label, name in (("table_ms", info["experiment"]), ("table_all_ms", None)):
        pane.experiments_list.choose("ablation")  # start from another experiment
        wait(lambda: not pane.is_loading() and pane.model.rowCount() == counts["ablation"])
        expected = counts[name]
        t0 = time.perf_counter()
        pane.experiments_list.choose(name)
        wait(lambda n=expected: not pane.is_loading() and pane.model.rowCount() == n)
        pane.table.viewport().grab()
        out[label] = (time.perf_counter() - t0) * 1e3
        out[label.replace("_ms", "_rows")] = expected

    pane.experiments_list.choose(info["experiment"])
    wait(lambda: not pane.is_loading() and pane.model.rowCount() > 1000)
    total = pane.model.rowCount()
    t0 = time.perf_counter()
    pane.filter_bar.edit.setText(str(info["query"]))
    pane.filter_bar.edit.returnPressed.emit()
    wait(lambda: not pane.is_loading() and 0 < pane.model.rowCount() < total)
    pane.table.viewport().grab()
    out["filter_ms"] = (time.perf_counter() - t0) * 1e3
    out["filter_rows"] = pane.model.rowCount()
    pane.filter_bar.edit.setText("")
    pane.filter_bar.edit.returnPressed.emit()
    wait(lambda: not pane.is_loading() and pane.model.rowCount() == total)

    pane.tabs.setCurrentIndex(1)
    big, key = str(info["big_run_id"]), str(info["big_key"])

    def drawn_points() -> int:
        chart = pane.charts.grid.charts().get(key)
        return 0 if chart is None or big not in chart.run_ids() else len(chart.curve_data(big)[0])

    t0 = time.perf_counter()
    pane.table.select_run_ids([big])
    wait(lambda: drawn_points() >= 1_000_000)
    pane.charts.grab()
    out["chart_ms"] = (time.perf_counter() - t0) * 1e3
    out["rss_mb"] = proc.memory_info().rss / 2**20
    window.shutdown()
    services.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--live-seconds", type=float, default=10.0)
    parser.add_argument("--live-rate", type=int, default=1000, help="points a second")
    parser.add_argument("--only", choices=["live"])
    parser.add_argument("--before-src", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        info = json.loads((args.child / MARKER).read_text())
        if args.phase == "live":
            sys.path.insert(0, str(HERE))
            from live_phase import run_live_phase

            out = run_live_phase(args.child, info, args.live_seconds, args.live_rate)
            print(json.dumps(out), flush=True)
            os._exit(0)  # measured and said: no interpreter teardown (Qt may crash in it)
        print(json.dumps(child(args.child, info)), flush=True)
        os._exit(0)  # as above
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        info = ensure_catalog(home)
        print(
            f"catalog: {info['runs']:,} runs, {info['points']:,} points "
            f"(ready in {time.perf_counter() - t0:.1f} s) at {home}"
        )
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MLOPS_DESKTOP_HOME=str(home))
        # as installed (pip compiles the package): start from bytecode, never from source
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        compileall.compile_dir(str(HERE.parent.parent / "mlops_desktop"), quiet=1)
        failed = False
        if args.live_seconds > 0:
            failed |= live(args, home, env)
        if args.only == "live":
            return 1 if failed else 0
        results = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(home)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    rows = [
        ("window_s", "window appears after process start", "s", "window_s"),
        (
            "table_ms",
            f"runs table, {results[0]['table_rows']:.0f}-run experiment",
            "ms",
            "table_ms",
        ),
        (
            "table_all_ms",
            f"runs table, all {results[0]['table_all_rows']:,.0f} runs",
            "ms",
            "table_ms",
        ),
        ("filter_ms", f"filter -> {results[0]['filter_rows']:.0f} runs", "ms", "filter_ms"),
        ("chart_ms", "1,000,000-point series read and drawn", "ms", "chart_ms"),
        ("rss_mb", "resident memory at the end", "MB", "rss_mb"),
    ]
    print(f"median of {args.repeats} fresh app processes (offscreen Qt, {os.cpu_count()} CPUs):")
    for key, label, unit, target_key in rows:
        value = statistics.median(r[key] for r in results)
        target = TARGETS[target_key]
        ok = value < target
        failed |= not ok
        print(
            f"  {label:44s} {value:9.2f} {unit:2s}  target < {target} {unit}"
            f"  {'met' if ok else 'MISSED'}"
        )
    return 1 if failed else 0


def live(args: argparse.Namespace, home: Path, env: dict[str, str]) -> bool:
    """Run the live phase (and its "before" peer); print the figures; True when one missed."""
    sys.path.insert(0, str(HERE))
    from live_phase import forget_runs, summarize

    forget_runs(home, "bench-live")  # left by a try that failed
    sources = [("after", None)] + ([("before", args.before_src)] if args.before_src else [])
    figures = {}
    for label, src in sources:
        run_env = dict(env)
        if src is not None:
            run_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
        results = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(home),
                    "--phase",
                    "live",
                    "--live-seconds",
                    str(args.live_seconds),
                    "--live-rate",
                    str(args.live_rate),
                ],
                env=run_env,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return True
            result = json.loads(out.stdout.strip().splitlines()[-1])
            forget_runs(home, "bench-live")
            results.append(result)
        figures[label] = summarize(results)
        figures[label]["_points"] = {"median": statistics.median(r["points"] for r in results)}
        figures[label]["_rows"] = {"median": results[0]["rows"]}
    after = figures["after"]
    print(
        f"live: a run logs {args.live_rate:,} points/s for {args.live_seconds:g} s into the shown "
        f"{after['_rows']['median']:,.0f}-run experiment, Charts open, 10 runs selected; "
        f"ingest every second; {args.repeats} app processes; ms over every update"
    )
    labels = sorted(k for k in after if not k.startswith("_"))
    failed = False
    for key in labels:
        a = after[key]
        line = (
            f"  {key:36s} median {a['median']:6.2f}  p95 {a['p95']:6.2f}  max {a['max']:6.1f}"
            f"  n {a['n']:4.0f}"
        )
        before = figures.get("before", {}).get(key)
        if before is not None:
            line += (
                f"  | before: median {before['median']:6.2f}  p95 {before['p95']:6.2f}"
                f"  max {before['max']:6.1f}"
            )
        target = LIVE_TARGETS.get(key)
        if target is not None:
            ok = a["p95"] < target
            failed |= not ok
            line += f"  target < {target:g} ms  {'met' if ok else 'MISSED'}"
        print(line)
    for key in sorted(set(figures.get("before", {})) - set(after)):
        if not key.startswith("_"):
            b = figures["before"][key]
            print(
                f"  {key:36s} {'':43s}  | before: median {b['median']:6.2f}  p95 {b['p95']:6.2f}"
                f"  max {b['max']:6.1f}"
            )
    return failed


if __name__ == "__main__":
    sys.exit(main())
