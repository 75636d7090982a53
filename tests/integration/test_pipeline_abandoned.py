"""A pipeline run whose process is gone (a killed ``pipelines run``) does not stay "running":
the next listing ends it as failed, "the app running it stopped", its unfinished stages
cancelled; a run whose process lives is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.pipeline_recovery import STOPPED_DETAIL, end_abandoned_runs

PIPELINE = """\
name: slow
stages:
  wait:
    cmd: sleep 30 && echo ok > waited.txt
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


def test_a_killed_pipelines_run_is_ended_as_failed(temp_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE), encoding="utf-8")
    walker = subprocess.Popen(
        [sys.executable, "-m", "mlops_desktop", "pipelines", "run", str(folder)],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    with Services.open(temp_home) as services:
        try:
            running = _running_stage(services)
            assert running.state == "running"
            assert end_abandoned_runs(services.catalog) == []  # its process lives
            walker.send_signal(signal.SIGKILL)
            walker.wait(timeout=30)
            (ended,) = services.pipelines.runs("slow")  # listing ends it
        finally:
            if walker.poll() is None:
                walker.kill()
                walker.wait(timeout=30)
            stage_job = running.stages[0].run_id if "running" in locals() else None
            if stage_job:
                services.jobs.cancel(stage_job, grace_s=1.0)
        assert ended.run_id == running.run_id and ended.state == "failed"
        assert ended.ended_at is not None
        assert [(s.stage, s.state, s.detail) for s in ended.stages] == [
            ("wait", "cancelled", STOPPED_DETAIL),
            ("after", "cancelled", STOPPED_DETAIL),
        ]
        run = services.experiments.get_run(ended.run_id)
        assert run.summary.status == "failed" and run.error == STOPPED_DETAIL
        assert end_abandoned_runs(services.catalog) == []  # once
