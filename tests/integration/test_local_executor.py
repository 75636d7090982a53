"""LocalExecutor end to end: a real launcher, real processes, ingest into the catalog."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.compute.gpus import list_gpus
from mlops_desktop.compute.local import LocalExecutor
from mlops_desktop.core.compute import RunSpec
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking import procs
from mlops_desktop.tracking.home import run_spool_dir


@pytest.fixture
def executor(temp_home: Path) -> Iterator[LocalExecutor]:
    ex = LocalExecutor(temp_home, sample_interval=0.3)
    handles: list[dict] = []
    original = ex.start

    def tracked_start(*args, **kwargs):
        handle = original(*args, **kwargs)
        handles.append(handle)
        return handle

    ex.start = tracked_start  # type: ignore[method-assign]
    yield ex
    for handle in handles:
        ex.cancel(handle, grace_s=0.5)
        assert not procs.group_members(handle["pid"])


def wait_state(ex: LocalExecutor, handle: dict, states: set[str], timeout: float = 30) -> tuple:
    deadline = time.monotonic() + timeout
    while True:
        result = ex.poll(handle)
        if result[0] in states:
            return result
        assert time.monotonic() < deadline, result
        time.sleep(0.05)


def start(ex: LocalExecutor, home: Path, run_id: str, command: list[str], **kw) -> dict:
    spec = RunSpec(command=command, **kw)
    return ex.start(run_id, spec, None, run_spool_dir(home, run_id))


def test_script_logs_into_launched_run(executor, temp_home, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent("""
        import sys, time
        import mlops_desktop
        print("training")
        with mlops_desktop.start_run(experiment="launched") as run:
            for i in range(10):
                run.log_metric("loss", 1.0 / (i + 1), step=i)
            time.sleep(1.0)
        sys.exit(4)
        """)
    )
    handle = start(executor, temp_home, "run-a", [sys.executable, str(script)],
                   experiment="launched", workdir=str(tmp_path))  # fmt: skip
    state, code, detail = wait_state(executor, handle, {"finished", "failed", "lost"})
    assert (state, code, detail) == ("failed", 4, "exit code 4")
    service = ExperimentService.open(temp_home)
    try:
        service.ingest()
        runs = service.list_runs()
        assert [r.id for r in runs] == ["run-a"]
        detail_ = service.get_run("run-a")
        assert detail_.summary.status == "failed" and detail_.summary.experiment == "launched"
        keys = set(service.metric_keys(["run-a"]))
        assert "loss" in keys and {"sys/cpu_percent", "sys/rss_mb"} <= keys
        assert len(service.metric_series("run-a", "loss").values) == 10
        log, _ = service.read_log("run-a")
        assert "training" in log
    finally:
        service.close()


def test_cancel_kills_group_with_term_ignoring_grandchild(executor, temp_home, tmp_path):
    script = tmp_path / "stubborn.py"
    script.write_text(
        textwrap.dedent("""
        import signal, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c",
            "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "open(sys.argv[1], 'w').write('up'); time.sleep(600)", sys.argv[1]])
        time.sleep(600)
        """)
    )
    marker = tmp_path / "up"
    handle = start(executor, temp_home, "run-c", [sys.executable, str(script), str(marker)])
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert len(procs.group_members(handle["pid"])) >= 3
    began = time.monotonic()
    executor.cancel(handle, grace_s=1.0)
    assert time.monotonic() - began >= 1.0
    assert procs.group_members(handle["pid"]) == []
    state, _, _ = executor.poll(handle)
    assert state in ("cancelled", "failed")
    assert json.loads((Path(handle["run_dir"]) / "exit.json").read_text())["signal"] is not None


def test_rediscovery_and_pid_reuse(executor, temp_home):
    handle = start(
        executor, temp_home, "run-r", [sys.executable, "-c", "import time; time.sleep(30)"]
    )
    wait_state(executor, handle, {"running"})
    fresh = LocalExecutor(temp_home)  # the app restarted: only the stored handle is left
    assert fresh.poll(json.loads(json.dumps(handle)))[0] == "running"
    reused = {**handle, "start_ticks": handle["start_ticks"] - 1}
    state, _, detail = fresh.poll(reused)
    assert state == "lost" and "another process" in detail
    gone = {**handle, "pid": 2**22 + 7, "run_dir": str(temp_home / "jobs" / "nope")}
    assert fresh.poll(gone)[0] == "lost"
    fresh.cancel(handle, grace_s=2.0)
    assert executor.poll(handle)[0] == "cancelled"


def test_two_runs_share_the_only_fake_gpu(executor, temp_home, tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_DESKTOP_FAKE_GPUS", "1")
    executor.lock_dir = tmp_path / "locks"
    out = tmp_path / "cvd"
    cmd = [sys.executable, "-c",
           "import os, sys, time; open(sys.argv[1], 'a').write(os.environ['CUDA_VISIBLE_DEVICES']"
           " + '\\n'); time.sleep(1)", str(out)]  # fmt: skip
    h1 = start(executor, temp_home, "gpu-1", cmd, gpus=1)
    wait_state(executor, h1, {"running"})
    h2 = start(executor, temp_home, "gpu-2", cmd, gpus=1)
    wait_state(executor, h2, {"queued"})
    assert [g.leased_by for g in list_gpus(executor.lock_dir)] == ["gpu-1"]
    assert wait_state(executor, h1, {"finished"})[0] == "finished"
    assert wait_state(executor, h2, {"finished"})[0] == "finished"
    assert out.read_text().split() == ["0", "0"]
    assert [g.leased_by for g in list_gpus(executor.lock_dir)] == [None]


def test_list_gpus_without_hardware(monkeypatch):
    monkeypatch.setenv("MLOPS_DESKTOP_FAKE_GPUS", "2:8000")
    gpus = list_gpus()
    assert [g.index for g in gpus] == [0, 1] and gpus[0].memory_total == 8000 << 20
