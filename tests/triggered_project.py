"""A one-stage pipeline that counts the rows of the newest version of dataset ``wine`` (started
by a new version, or a schedule), and one whose stage waits for a file the test writes (a run
that goes on as long as the test wants): small and quick, a Python start each."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from mlops_desktop.services.bundle import Services

COUNT = """\
import os, sys, time
import mlops_desktop as mlops
while len(sys.argv) > 1 and not os.path.exists(sys.argv[1]):  # held until the file exists
    time.sleep(0.05)
folder = mlops.dataset_path("wine")
rows = open(os.path.join(folder, "rows.csv")).read().splitlines()
open("count.txt", "w").write(f"{len(rows)}\\n")
"""

HOLD = """\
import os, sys, time
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
open("held.txt", "w").write("released\\n")
"""


def write_counted(root: Path, schedule: str | None = None, hold: Path | None = None) -> Path:
    """The folder of pipeline ``counted`` (triggers: dataset wine, and ``schedule``); with
    ``hold``, its stage waits for that file to exist before it counts."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "count.py").write_text(COUNT)
    every = [f"  schedule: {schedule}"] if schedule else []
    lines = [
        "name: counted",
        "triggers:",
        "  datasets: [wine]",
        *every,
        "stages:",
        "  count:",
        f"    cmd: {sys.executable} count.py{f' {hold}' if hold else ''}",
        "    datasets: [wine]",
        "    outs: [count.txt]",
    ]
    (root / "pipeline.yaml").write_text("\n".join(lines) + "\n")
    return root


def write_held(root: Path, release: Path) -> Path:
    """The folder of pipeline ``held``: its stage ends once ``release`` exists."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "hold.py").write_text(HOLD)
    (root / "pipeline.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: held
            stages:
              hold:
                cmd: {sys.executable} hold.py {release}
                deps: [hold.py]
                outs: [held.txt]
            """
        )
    )
    return root


def add_wine_version(services: Services, data: Path, rows: int) -> int:
    """Add a version of dataset ``wine`` holding ``rows`` rows (as ``data add`` does); its
    number."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "rows.csv").write_text("".join(f"row{i}\n" for i in range(rows)))
    services.datasets.add(data, "wine")
    return services.datasets.versions("wine")[0].number
