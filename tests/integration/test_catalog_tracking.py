"""End to end: a real script logs with ``mlops_desktop.start_run``; the catalog ingests it."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlops_desktop.services.experiments import ExperimentService

SCRIPT = textwrap.dedent(
    """
    import math, sys, time
    import mlops_desktop as mlops

    with mlops.start_run(experiment="e2e", name="script", params={"lr": 0.01}) as run:
        run.set_tag("team", "vision")
        for step in range(2000):
            run.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 2000}, step=step)
        run.log_metric("odd", float("nan"), step=0)
        run.flush()
        print(run.id, flush=True)
        if sys.argv[1] == "hang":
            time.sleep(600)
    """
)


def _start(home: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MLOPS_DESKTOP_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, mode], env=env, stdout=subprocess.PIPE, text=True
    )


def test_script_run_is_ingested(temp_home: Path, catalog_url: str | None) -> None:
    proc = _start(temp_home, "finish")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    run_id = out.split()[0]
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        report = svc.ingest()
        assert report.points >= 4001 and not report.problems
        run = svc.get_run(run_id)
        assert run.summary.status == "finished" and run.summary.experiment == "e2e"
        assert run.summary.params == {"lr": 0.01} and run.summary.tags["team"] == "vision"
        logged = {k: n for k, n in run.metric_counts.items() if not k.startswith("sys/")}
        assert logged == {"loss": 2000, "acc": 2000, "odd": 1}
        assert math.isnan(run.summary.metrics["odd"])
        loss = svc.metric_series(run_id, "loss")
        assert loss.steps.tolist() == list(range(2000)) and loss.values[-1] == 1.0 / 2000
    finally:
        svc.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_script_is_marked_killed(temp_home: Path) -> None:
    proc = _start(temp_home, "hang")
    assert proc.stdout is not None
    run_id = proc.stdout.readline().split()[0]
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        assert svc.get_run(run_id).summary.status == "running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        report = svc.ingest()
        assert run_id in report.changed_runs
        run = svc.get_run(run_id)
        assert run.summary.status == "killed" and run.metric_counts["loss"] == 2000
        assert run.summary.ended_at is not None
    finally:
        svc.close()


HAND_RUN = textwrap.dedent(
    """
    import sys, time
    import mlops_desktop as mlops

    def samples(path):
        try:
            return path.read_bytes().count(b"\\n")
        except OSError:
            return 0

    with mlops.start_run(system_metrics=sys.argv[1] == "on") as run:
        system = run.events_path.parent / "system.jsonl"
        start = time.monotonic()
        while time.monotonic() < start + 20:  # busy, so the sampler has CPU to see
            for _ in range(1000):
                run.log_metric("x", 1.0)
            if time.monotonic() > start + 1.2 and (sys.argv[2] == "0" or samples(system) >= 4):
                break  # a loaded machine may take longer to give the sampler its turns
        print(run.id, flush=True)
    """
)


@pytest.mark.parametrize(
    ("mode", "env", "sampled"),
    [("on", {}, True), ("off", {}, False), ("on", {"MLOPS_DESKTOP_SYSTEM_METRICS": "0"}, False)],
)
def test_a_run_started_by_hand_gets_system_metrics_unless_opted_out(
    temp_home: Path, mode: str, env: dict[str, str], sampled: bool
) -> None:
    full_env = {**os.environ, "MLOPS_DESKTOP_HOME": str(temp_home), **env}
    full_env["MLOPS_DESKTOP_SYSTEM_INTERVAL"] = "0.2"
    out = subprocess.run(
        [sys.executable, "-c", HAND_RUN, mode, "1" if sampled else "0"],
        env=full_env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    run_id = out.stdout.split()[0]
    svc = ExperimentService.open(temp_home)
    try:
        assert not svc.ingest().problems
        counts = svc.get_run(run_id).metric_counts
        if sampled:
            assert counts["sys/cpu_percent"] >= 3 and counts["sys/rss_mb"] >= 3
            cpu = svc.metric_series(run_id, "sys/cpu_percent").values
            assert max(cpu) > 20  # the script kept one core busy
        else:
            assert not [k for k in counts if k.startswith("sys/")]
    finally:
        svc.close()
