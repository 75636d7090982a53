"""How a run ends with its process: SIGTERM, Ctrl-C, exiting without ``end``, a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.tracking.home import run_spool_dir
from mlops_desktop.tracking.spool import read_spool

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

PRELUDE = """
import os, sys, time
import mlops_desktop as mlops
"""


def start_script(tmp_path: Path, body: str) -> subprocess.Popen[str]:
    script = tmp_path / "train.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    return subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def wait_for(proc: subprocess.Popen[str], marker: str) -> str:
    """Read stdout lines until ``marker``; returns the rest of that line."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(marker):
            return line[len(marker) :].strip()
    proc.wait(10)
    raise AssertionError(f"no {marker!r}; stderr: {proc.stderr.read() if proc.stderr else ''}")


def spool_events(home: Path, run_id: str) -> list[dict[str, Any]]:
    read = read_spool(run_spool_dir(home, run_id) / "events.jsonl")
    assert read.problems == []
    return read.events


def metric_values(events: list[dict[str, Any]], key: str) -> list[float]:
    out: list[float] = []
    for e in events:
        if e["type"] == "metrics" and key in e["cols"]:
            out.extend(e["cols"][key][2])
    return out


def test_sigterm_ends_the_run_as_killed(tmp_path: Path, temp_home: Path) -> None:
    proc = start_script(
        tmp_path,
        """
        with mlops.start_run(experiment="term") as run:
            for i in range(100):
                run.log_metric("loss", float(i))
            print("READY", run.id, flush=True)
            while True:
                run.log_metric("busy", 1.0)
                time.sleep(0.001)
        """,
    )
    try:
        run_id = wait_for(proc, "READY ")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 128 + signal.SIGTERM
    finally:
        proc.kill()
        proc.communicate()
    events = spool_events(temp_home, run_id)
    assert metric_values(events, "loss") == [float(i) for i in range(100)]
    end = events[-1]
    assert end["type"] == "end" and end["status"] == "killed"
    assert "SIGTERM" in end["error"]
    assert [e["type"] for e in events].count("end") == 1


def test_sigterm_chains_to_the_scripts_own_handler(tmp_path: Path, temp_home: Path) -> None:
    proc = start_script(
        tmp_path,
        """
        import signal
        def handler(signum, frame):
            print("OWN HANDLER", flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, handler)
        run = mlops.start_run()
        print("READY", run.id, flush=True)
        time.sleep(60)
        """,
    )
    try:
        run_id = wait_for(proc, "READY ")
        proc.send_signal(signal.SIGTERM)
        wait_for(proc, "OWN HANDLER")
        assert proc.wait(30) == 3
    finally:
        proc.kill()
        proc.communicate()
    assert spool_events(temp_home, run_id)[-1]["status"] == "killed"


def test_ctrl_c_ends_the_run_as_killed(tmp_path: Path, temp_home: Path) -> None:
    proc = start_script(
        tmp_path,
        """
        run = mlops.start_run()   # no `with`: the atexit hook ends it
        run.log_metric("loss", 1.0)
        print("READY", run.id, flush=True)
        time.sleep(60)
        """,
    )
    try:
        run_id = wait_for(proc, "READY ")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) != 0
    finally:
        proc.kill()
        _, err = proc.communicate()
    assert "KeyboardInterrupt" in err
    events = spool_events(temp_home, run_id)
    assert events[-1]["status"] == "killed"
    assert metric_values(events, "loss") == [1.0]


def test_a_run_never_ended_is_finished_at_exit(tmp_path: Path, temp_home: Path) -> None:
    proc = start_script(
        tmp_path,
        """
        run = mlops.start_run(params={"a": 1})
        for i in range(10):
            run.log_metric("loss", float(i))
        print("READY", run.id, flush=True)
        """,
    )
    run_id = wait_for(proc, "READY ")
    assert proc.wait(30) == 0
    proc.communicate()
    events = spool_events(temp_home, run_id)
    assert events[-1]["status"] == "finished"
    assert len(metric_values(events, "loss")) == 10
    assert "env" in {e["type"] for e in events}


def test_an_uncaught_exception_without_with_fails_the_run(tmp_path: Path, temp_home: Path) -> None:
    proc = start_script(
        tmp_path,
        """
        run = mlops.start_run()
        print("READY", run.id, flush=True)
        raise ValueError("bad batch")
        """,
    )
    run_id = wait_for(proc, "READY ")
    assert proc.wait(30) == 1
    proc.communicate()
    end = spool_events(temp_home, run_id)[-1]
    assert end["status"] == "failed" and "ValueError: bad batch" in end["error"]
    log = (run_spool_dir(temp_home, run_id) / "output.log").read_text()
    assert "READY" in log and "ValueError: bad batch" in log


def test_handlers_are_restored_after_the_last_run() -> None:
    import mlops_desktop as mlops

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with mlops.start_run(capture_env=False):
        assert signal.getsignal(signal.SIGTERM) is not before[0]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert os.environ.get("MLOPS_DESKTOP_RUN_ID") is None


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux /proc")
def test_tracking_threads_leave_ctrl_c_to_the_main_thread(temp_home: Path) -> None:
    """Python runs signal handlers in the main thread only: a SIGINT the kernel handed to the
    writer thread was lost while the main thread slept (seen under load)."""
    import threading

    import mlops_desktop as mlops

    run = mlops.start_run(capture_env=False, capture_output=False)
    try:
        writer = next(t for t in threading.enumerate() if t.name.startswith("mlops-spool-"))
        status = Path(f"/proc/self/task/{writer.native_id}/status").read_text()
        blocked = int(
            next(x for x in status.splitlines() if x.startswith("SigBlk:")).split()[1], 16
        )
        for sig in (signal.SIGINT, signal.SIGTERM):
            assert blocked & (1 << (sig - 1)), f"{sig.name} is not blocked in the writer thread"
    finally:
        run.end()
