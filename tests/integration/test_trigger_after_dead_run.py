"""A trigger is not held back by a pipeline run whose process died (a killed ``pipelines
run``): it ends that run first (``PipelineService.recover``), then starts its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.services.bundle import Services

PIPELINE = """\
name: slow
stages:
  wait:
    cmd: "if [ ! -e fast ]; then sleep 30; fi; echo ok > waited.txt"
    outs: [waited.txt]
  after:
    cmd: cat waited.txt > after.txt
    deps: [waited.txt]
    outs: [after.txt]
"""


def _running_stage(services: Services, deadline_s: float = 60.0) -> PipelineRunInfo:
    """The pipeline run, once its first stage's job runs (another process walks it)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        runs = services.pipelines.runs("slow")
        if runs and runs[0].stages and runs[0].stages[0].state == "running":
            return runs[0]
        time.sleep(0.1)
    raise AssertionError("the pipeline run did not start its first stage")


def test_a_trigger_ends_the_run_a_killed_process_left_then_starts(
    temp_home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "pipeline.yaml").write_text(PIPELINE, encoding="utf-8")
    walker = subprocess.Popen(
        [sys.executable, "-m", "mlops_desktop", "pipelines", "run", str(folder)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with Services.open(temp_home) as services:
            left = _running_stage(services)
            walker.send_signal(signal.SIGKILL)
            walker.wait(timeout=30)
            (folder / "fast").touch()  # the next run's first stage does not wait
            event = services.triggers.fire("slow", "monitor", "alert 1 of m", "slow:alert:1")
            assert event is not None and event.pipeline_run_id not in (None, left.run_id)
            ended = services.pipelines.show(left.run_id)
            new = services.pipelines.wait(event.pipeline_run_id, 120)  # runs in the background
    finally:
        if walker.poll() is None:
            walker.kill()
            walker.wait(timeout=30)
    assert ended.state == "failed"
    assert [(s.stage, s.state) for s in ended.stages] == [
        ("wait", "cancelled"),
        ("after", "cancelled"),
    ]
    assert new.state == "done" and [s.state for s in new.stages] == ["done", "done"]
    assert (new.trigger, new.trigger_detail) == ("monitor", "alert 1 of m")
