"""The live phase of ``bench_gui.py``: a run logs into the shown experiment while the app ingests.

In a fresh app process on the benchmark catalog, the biggest experiment is shown with the
Charts tab open; a writer process (the tracking client) logs about 1,000 points a second into
that experiment; the app's ingest loop runs at its normal interval; once the run appears it is
selected with nine other runs. Every task the app runs meanwhile is timed without touching the
app's code: :class:`TaskClock` wraps ``TaskRunner.submit`` to time each task on its worker
thread and its ``on_done`` callback on the GUI thread (where the table's and the charts' live
updates happen), by task function. A 5 ms timer measures how long the GUI thread stalls.

The same code measures the app before a change: run it with ``PYTHONPATH`` pointing at the
older source (``bench_gui.py --before-src DIR``).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

WRITER = """
import sys, time
import mlops_desktop
home, seconds, rate = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
with mlops_desktop.start_run(
    experiment=sys.argv[4], name="bench-live", params={"lr": 0.01, "optimizer": "adam"},
    tags={"team": "vision"}, home=home, capture_env=False, capture_output=False,
    system_metrics=False,
) as run:
    print(run.id, flush=True)
    sys.stdin.readline()  # the app shows the run: go
    t0, step = time.time(), 0
    while time.time() - t0 < seconds:
        due = int((time.time() - t0) * rate / 2)
        while step < due:
            run.log_metrics({"loss": 1.0 / (step + 1), "acc": step / (step + 100.0)}, step=step)
            step += 1
        time.sleep(0.01)
print(step * 2, flush=True)
"""
SELECTED = 10  # the live run and nine others, as the chart target's 10 runs


class TaskClock:
    """Times every task by function: worker seconds and GUI-thread seconds of ``on_done``."""

    def __init__(self) -> None:
        self.gui: dict[str, list[float]] = defaultdict(list)
        self.worker: dict[str, list[float]] = defaultdict(list)
        self.on = False

    def install(self) -> None:
        from mlops_desktop.ui.tasks import TaskRunner

        original = TaskRunner.submit
        clock = self

        def submit(runner: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            name = f"{fn.__module__}:{fn.__qualname__}"
            done = kwargs.get("on_done")
            if done is not None:

                def on_done(result: Any) -> None:
                    t0 = time.perf_counter()
                    done(result)
                    if clock.on:
                        clock.gui[name].append(time.perf_counter() - t0)

                kwargs["on_done"] = on_done

            def timed(*fn_args: Any, state: Any) -> Any:
                t0 = time.perf_counter()
                result = fn(*fn_args, state=state)
                if clock.on:
                    clock.worker[name].append(time.perf_counter() - t0)
                return result

            timed.__module__, timed.__qualname__ = fn.__module__, fn.__qualname__
            return original(runner, timed, *args, **kwargs)

        TaskRunner.submit = submit  # type: ignore[method-assign]


def run_live_phase(
    home: Path, info: dict[str, object], seconds: float, rate: int
) -> dict[str, object]:
    """Runs in a fresh interpreter (see the module docstring); returns the raw samples."""
    clock = TaskClock()
    clock.install()

    from PySide6.QtCore import QTimer
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
    pane = window.findChildren(ExperimentsPane)[0]

    def wait(cond: Callable[[], bool], timeout: float = 60.0) -> None:
        end = time.perf_counter() + timeout
        while not cond():
            if time.perf_counter() > end:
                raise TimeoutError("the app did not answer in time")
            app.processEvents()
            time.sleep(0.001)

    experiment = str(info["experiment"])
    wait(lambda: pane.experiments_list.topLevelItemCount() > 1)
    wait(lambda: not pane.is_loading())
    pane.experiments_list.choose(experiment)
    wait(lambda: not pane.is_loading() and pane.model.rowCount() > 1000)
    rows_before = pane.model.rowCount()
    pane.tabs.setCurrentIndex(1)  # Charts
    app.processEvents()

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if clock.on:
            gaps.append(now - last[0])
        last[0] = now

    watchdog = QTimer()
    watchdog.setInterval(5)
    watchdog.timeout.connect(tick)
    watchdog.start()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), str(seconds), str(rate), experiment],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None and writer.stdout is not None
    run_id = writer.stdout.readline().strip()
    window.ingest.start()
    wait(lambda: pane.model.row_of(run_id) is not None)
    others = [pane.model.run_at(r).id for r in range(min(SELECTED, pane.model.rowCount()))]
    pane.table.select_run_ids([run_id, *[o for o in others if o != run_id][: SELECTED - 1]])
    settle = time.perf_counter() + 1.5  # the charts of the selection load (not a live update)
    wait(lambda: time.perf_counter() > settle and window.runner.active_count() == 0)
    clock.on = True
    writer.stdin.write("go\n")
    writer.stdin.flush()
    wait(lambda: writer.poll() is not None, timeout=seconds + 60)
    points = int(writer.stdout.read().strip() or 0)

    def finished() -> bool:
        row = pane.model.row_of(run_id)
        return row is not None and pane.model.run_at(row).status == "finished"

    wait(finished)
    wait(lambda: not pane.is_loading())
    settle = time.perf_counter() + 0.5  # let the last chart refresh land
    wait(lambda: time.perf_counter() > settle)
    clock.on = False
    watchdog.stop()
    out = {
        "run_id": run_id,
        "points": points,
        "rows": rows_before,
        "gui": dict(clock.gui),
        "worker": dict(clock.worker),
        "gaps": gaps,
    }
    window.shutdown()
    services.close()
    return out


def forget_runs(home: Path, name: str) -> None:
    """Delete the writer's runs (by name) from the benchmark catalog: every try starts the same."""
    import shutil

    from sqlalchemy import delete, select

    from mlops_desktop.catalog.schema import (
        artifact_t,
        chunk_t,
        ingest_state_t,
        latest_t,
        param_t,
        run_input_t,
        run_t,
        tag_t,
    )
    from mlops_desktop.services.catalog_open import open_catalog
    from mlops_desktop.tracking.home import run_spool_dir

    catalog = open_catalog(home, None)
    with catalog.session_scope(write=True) as s:
        ids = list(s.execute(select(run_t.c.id).where(run_t.c.name == name)).scalars())
        for table in (artifact_t, chunk_t, latest_t, param_t, run_input_t, tag_t):
            s.execute(delete(table).where(table.c.run_id.in_(ids)))
        states = ids + [run_id + "/system" for run_id in ids]
        s.execute(delete(ingest_state_t).where(ingest_state_t.c.run_id.in_(states)))
        s.execute(delete(run_t).where(run_t.c.id.in_(ids)))
    catalog.dispose()
    for run_id in ids:
        shutil.rmtree(run_spool_dir(home, run_id), ignore_errors=True)


def part(name: str) -> str | None:
    """Which live update a task belongs to: the runs table, the charts, or neither."""
    module, _, function = name.partition(":")
    if module.startswith("mlops_desktop.ui.charts"):
        return "charts"
    if module.endswith((".runs_loader", ".live_rows")) and function != "list_experiments":
        return "table"
    return None


def short(name: str) -> str:
    module, _, function = name.partition(":")
    return f"{module.rsplit('.', 1)[-1]}.{function}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarize(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """{row label: {median, p95, max, n}} in ms over every try's samples."""
    samples: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for side in ("gui", "worker"):
            for name, values in r[side].items():
                samples[f"{side} {short(name)}"].extend(values)
                which = part(name)
                if which is not None:
                    samples[f"{side} {which}"].extend(values)
        samples["gui stall"].extend(max(0.0, g - 0.005) for g in r["gaps"])
    return {
        label: {
            "median": statistics.median(v) * 1e3,
            "p95": percentile(v, 0.95) * 1e3,
            "max": max(v) * 1e3,
            "n": float(len(v)),
        }
        for label, v in samples.items()
        if v
    }
