"""A training process killed with SIGKILL right after flush() loses no flushed point."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlops_desktop.tracking.home import run_spool_dir
from mlops_desktop.tracking.spool import read_spool

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SCRIPT = """
import sys
import mlops_desktop as mlops

run = mlops.start_run(experiment="kill9", params={"batch": 32})
for i in range(50_000):
    run.log_metric("loss", 1.0 / (i + 1))
    if i % 10 == 0:
        run.log_metrics({"acc": i / 50_000, "lr": 0.1})
run.flush()
print("FLUSHED", run.id, flush=True)
i = 0
while True:  # keep logging (unflushed) until the kill
    run.log_metric("after", float(i))
    i += 1
"""


def test_flushed_points_survive_kill_9(tmp_path: Path, temp_home: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("FLUSHED "), proc.stderr.read() if proc.stderr else line
        run_id = line.split()[1]
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.communicate()
    read = read_spool(run_spool_dir(temp_home, run_id) / "events.jsonl")
    assert read.problems == []  # a torn last line is left unread, never a problem
    events = read.events
    assert events[0]["type"] == "start" and events[0]["experiment"] == "kill9"
    assert next(e for e in events if e["type"] == "params")["params"] == {"batch": 32}
    series: dict[str, list[float]] = {"loss": [], "acc": [], "lr": []}
    steps: list[int] = []
    for e in events:
        if e["type"] == "metrics":
            for key in series:
                if key in e["cols"]:
                    series[key].extend(e["cols"][key][2])
            if "loss" in e["cols"]:
                steps.extend(e["cols"]["loss"][0])
    assert series["loss"] == [1.0 / (i + 1) for i in range(50_000)]
    assert steps == list(range(50_000))
    assert series["acc"] == [i / 50_000 for i in range(0, 50_000, 10)]
    assert len(series["lr"]) == 5_000
    expected = 0
    for e in events:  # contiguous sequence numbers up to where the kill cut the file
        assert e["seq"] == expected
        expected += e["n"]
    assert "end" not in {e["type"] for e in events}
