"""From ``LocalExecutor.start()`` to the user's command running (target: median < 300 ms).

Run: ``python tests/benchmarks/bench_launch_local.py``. Each of 20 launches runs a Python
command whose first statement writes ``time.time()`` to a file; the figure is that timestamp
minus the time just before ``start()`` (so it includes the command's own interpreter start).
The launcher's ``started_at`` (the moment it spawned the command) is shown too.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlops_desktop.compute.local import LocalExecutor
from mlops_desktop.core.compute import RunSpec
from mlops_desktop.tracking.home import run_spool_dir

LAUNCHES = 20


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ex = LocalExecutor(home)
        to_command: list[float] = []
        to_spawn: list[float] = []
        for i in range(LAUNCHES):
            stamp = home / f"stamp{i}"
            cmd = [
                sys.executable,
                "-c",
                f"import time; open({str(stamp)!r}, 'w').write(repr(time.time()))",
            ]
            run_id = f"bench{i}"
            t0 = time.time()
            handle = ex.start(run_id, RunSpec(command=cmd), None, run_spool_dir(home, run_id))
            deadline = time.monotonic() + 30
            while ex.poll(handle)[0] not in ("finished", "failed", "lost"):
                if time.monotonic() > deadline:
                    raise SystemExit("a launch did not finish in 30 s")
                time.sleep(0.01)
            to_command.append(float(stamp.read_text()) - t0)
            job = json.loads((Path(handle["run_dir"]) / "job.json").read_text())
            to_spawn.append(job["started_at"] - t0)
        med = statistics.median(to_command) * 1000
        spawn = statistics.median(to_spawn) * 1000
        print(f"start() -> launcher spawns command: median {spawn:.0f} ms")
        print(
            f"start() -> command's first line:    median {med:.0f} ms "
            f"(min {min(to_command) * 1000:.0f}, max {max(to_command) * 1000:.0f}) "
            f"over {LAUNCHES} launches; target < 300 ms: {'ok' if med < 300 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
