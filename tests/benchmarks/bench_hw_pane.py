"""The Monitors pane under load: ``python tests/benchmarks/bench_hw_pane.py``.

8 fake machines with 8 GPUs each report once per tick (faster than real time); each tick's
updates go through the bridge from worker threads, then the GUI thread takes them in and paints
(``processEvents``: the bridge's delivery and the repaint it asks for). Prints the GUI-thread
time per tick: median, p95 and max; target: no tick over 50 ms.
Options: ``--ticks N``, ``--hosts N``, ``--gpus N``, ``--size WxH``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))

TARGET_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=120)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--gpus", type=int, default=8)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()

    from hw_fake import FakeHardware, synthetic_sample
    from PySide6.QtWidgets import QApplication

    from mlops_desktop.core.hardware import HostUpdate
    from mlops_desktop.ui.panes.monitors.pane import MonitorsPane
    from mlops_desktop.ui.tasks import TaskRunner

    app = QApplication([sys.argv[0]])
    names = ["local"] + [f"gpu-{i:02d}" for i in range(1, args.hosts)]
    fake = FakeHardware(names)
    runner = TaskRunner()
    pane = MonitorsPane(fake, runner)
    width, height = (int(v) for v in args.size.split("x"))
    pane.resize(width, height)
    pane.show()
    deadline = time.monotonic() + 10
    while len(pane.hardware.cards) < len(names) and time.monotonic() < deadline:
        app.processEvents()
    pane.hardware.split.setSizes([2 * 340, width - 2 * 340])  # two columns of cards
    app.processEvents()
    watch = fake.watches[-1]
    t0 = time.time() - args.ticks
    times_ms: list[float] = []
    for tick in range(args.ticks):
        t = t0 + tick
        updates = [HostUpdate(n, t, synthetic_sample(n, t, gpus=args.gpus)) for n in names]
        workers = [threading.Thread(target=watch.on_update, args=(u,)) for u in updates]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        start = time.perf_counter()
        app.processEvents()  # the bridge delivers, the histories take the batch, then paint
        app.processEvents()  # paint requests posted while painting
        times_ms.append((time.perf_counter() - start) * 1000)
    drawn = pane.hardware.detail.charts["util"].line_data(str(args.gpus - 1))
    assert drawn[0].size >= min(args.ticks, 60), "the detail charts were not drawn"
    pane.shutdown()
    runner.shutdown()
    steady = times_ms[5:] or times_ms
    median = statistics.median(steady)
    p95 = sorted(steady)[int(0.95 * (len(steady) - 1))]
    worst = max(steady)
    print(
        f"{len(names)} hosts x {args.gpus} GPUs, {args.ticks} ticks at {args.size}: "
        f"GUI time per tick median {median:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms "
        f"(target: max < {TARGET_MS:.0f} ms)"
    )
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
