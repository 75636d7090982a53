"""Start the bundled app offscreen until its main window is shown, and time it.

``python3 packaging/measure_start.py [--app dist/mlops-desktop/mlops-desktop] [--home DIR]
[--repeats N]``: builds the demo catalog in HOME through the bundled program when HOME has none
(``demo --no-gui``), then starts ``APP --home HOME gui`` N times with
``MLOPS_DESKTOP_QUIT_WHEN_SHOWN=1`` (see ``mlops_desktop/ui/startup_probe.py``) and measures
from the process's start to the line it prints once the window has painted. The first start
after a build is the cold one (nothing of the bundle in the page cache yet, unless the build
just read it). Fails (exit 1) when the app does not show its window or does not exit with 0.
Prints one JSON document: ``{"first_s", "median_s", "runs_s", "home"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHOWN_LINE = "main window shown"
TIMEOUT_S = 120


def start_once(app: str, home: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MLOPS_DESKTOP_QUIT_WHEN_SHOWN": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [app, "--home", str(home), "gui"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    shown_s = None
    for line in proc.stdout:
        if line.strip() == SHOWN_LINE:
            shown_s = time.perf_counter() - started
            break
    try:
        _, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise SystemExit(f"the app did not exit within {TIMEOUT_S} s:\n{err}") from None
    if shown_s is None or proc.returncode != 0:
        raise SystemExit(f"the app exited with {proc.returncode} (window shown: {shown_s})\n{err}")
    return shown_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="dist/mlops-desktop/mlops-desktop")
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="mlops-start-"))
    if not (home / "catalog.db").exists():
        subprocess.run(
            [args.app, "--home", str(home), "demo", "--no-gui"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=900,
        )
    runs = [start_once(args.app, home) for _ in range(max(1, args.repeats))]
    print(
        json.dumps(
            {
                "first_s": round(runs[0], 3),
                "median_s": round(statistics.median(runs), 3),
                "runs_s": [round(r, 3) for r in runs],
                "home": str(home),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
