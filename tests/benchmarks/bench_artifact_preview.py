"""Benchmark: preview a 2,000,000-row CSV artifact and a 12-axis parallel-coordinates chart.

Run with ``python tests/benchmarks/bench_artifact_preview.py``. Prints medians of five tries:
the time to read an artifact table's preview (the first 1,000 rows, and the row count for the
"first 1,000 rows of 2,000,000" note) off the GUI thread, and the time to draw parallel
coordinates of 500 runs over 12 axes (``set_runs`` until painted) on the GUI thread.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.services.artifact_content import read_artifact
from mlops_desktop.ui.charts.parallel_coords import ParallelCoordinatesView

ROWS = 2_000_000
RUNS = 500
TRIES = 5


def make_blob(root: Path) -> tuple[str, str]:
    """A semicolon-separated CSV of ``ROWS`` rows, stored as the artifact store does."""
    lines = ["step;loss;acc\n", *(f"{i};{1 / (i + 1):.6f};{i / ROWS:.6f}\n" for i in range(ROWS))]
    data = "".join(lines).encode()
    hexd = hashlib.sha256(data).hexdigest()
    blob = root / "sha256" / hexd[:2] / hexd
    blob.parent.mkdir(parents=True)
    blob.write_bytes(data)
    return str(blob), f"sha256:{hexd}"


def bench_preview(root: Path) -> None:
    path, digest = make_blob(root)
    size_mb = Path(path).stat().st_size / 1e6
    times, note = [], ""
    for _ in range(TRIES):
        start = time.perf_counter()
        content = read_artifact(path, "curve.csv", digest)
        times.append((time.perf_counter() - start) * 1000)
        note = content.note
    median = statistics.median(times)
    print(f"CSV preview ({size_mb:.0f} MB, {ROWS:,} rows): median {median:.0f} ms")
    print(f"  note: {note}")


def bench_parallel(app: QApplication) -> None:
    keys = [f"param_{k}" for k in range(6)]
    runs = [
        RunSummary(
            id=f"{i:032x}",
            experiment="bench",
            name=f"run-{i}",
            status="finished",
            started_at=1.7e9,
            params={k: 10.0 ** -(i % 5) * (j + 1) for j, k in enumerate(keys)},
            metrics={f"metric_{m}": (i * 7 + m) % 97 / 97 for m in range(6)},
        )
        for i in range(RUNS)
    ]
    view = ParallelCoordinatesView()
    view.resize(1280, 500)
    view.show()
    times = []
    for attempt in range(TRIES):
        start = time.perf_counter()
        view.set_runs(runs[: RUNS - attempt])  # other runs each time: a full redraw
        view.grab()
        times.append((time.perf_counter() - start) * 1000)
    print(f"Parallel coordinates ({RUNS} runs x 12 axes): median {statistics.median(times):.0f} ms")


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as folder:
        bench_preview(Path(folder))
    bench_parallel(app)


if __name__ == "__main__":
    main()
