"""Cancelling a pipeline run: the running stage's job is cancelled, the stages after it are
cancelled without starting, the run ends "cancelled"; progress and stage changes are told as
they happen. A run whose process died (killed mid-run) is ended by the next one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.catalog import pipeline_repo
from mlops_desktop.core.compute import TERMINAL_STATES
from mlops_desktop.core.pipelines import StageRun
from mlops_desktop.services.bundle import Services

PIPELINE = """\
name: long
stages:
  slow:
    cmd: sleep 60 && echo done > slow.txt
    outs: [slow.txt]
  after:
    cmd: cp slow.txt after.txt
    deps: [slow.txt]
    outs: [after.txt]
"""


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def test_cancelling_stops_the_running_stage_and_what_waits(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "long"
    root.mkdir()
    (root / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE))
    seen: list[tuple[str, str]] = []
    progress: list[tuple[int, int, str]] = []

    def told(stage: StageRun) -> None:
        seen.append((stage.stage, stage.state))

    run = services.pipelines.run(
        root,
        on_stage=told,
        progress=lambda done, total, what: progress.append((done, total, what)),
        cancelled=lambda: ("slow", "running") in seen,
    )
    assert run.state == "cancelled"
    states = {s.stage: s for s in run.stages}
    assert states["slow"].state == "cancelled" and states["after"].state == "cancelled"
    assert services.jobs.get(states["slow"].run_id or "").state == "cancelled"
    assert services.jobs.jobs(active_only=True) == []
    assert seen == [
        ("slow", "queued"),
        ("after", "queued"),
        ("slow", "running"),
        ("slow", "cancelled"),
        ("after", "cancelled"),
    ]
    assert progress[-1] == (2, 2, "after: cancelled")
    services.experiments.ingest()
    assert services.experiments.get_run(run.run_id).summary.status == "killed"
    assert not (root / "slow.txt").exists()


def test_a_run_whose_process_died_is_ended_and_its_stage_cancelled(
    services: Services, temp_home: Path, tmp_path: Path
) -> None:
    root = tmp_path / "long"
    root.mkdir()
    (root / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE))
    env = {**os.environ, "MLOPS_DESKTOP_HOME": str(temp_home)}
    cli = subprocess.Popen(
        [sys.executable, "-m", "mlops_desktop", "pipelines", "run", str(root)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert cli.stdout is not None
        line = cli.stdout.readline().decode()  # "slow: running (run ...)": the job is going
        assert line.startswith("slow: running"), line
    finally:
        cli.kill()  # as an app killed mid-run: nothing ends the pipeline run
        cli.wait(30)
    with services.catalog.session_scope() as s:  # read as it is (listing would end it)
        [going] = pipeline_repo.list_pipeline_runs(s, "long")
    assert going.state == "running"
    slow_job = next(s.run_id for s in going.stages if s.stage == "slow")
    assert slow_job and services.jobs.get(slow_job).state not in TERMINAL_STATES

    assert services.pipelines.recover() == [going.run_id]
    ended = services.pipelines.show(going.run_id)
    assert ended.state == "failed"
    assert {s.stage: s.state for s in ended.stages} == {"slow": "cancelled", "after": "cancelled"}
    assert (
        "(pid " in ended.stages[0].detail and "ended before the run did" in ended.stages[0].detail
    )
    assert services.jobs.get(slow_job).state == "cancelled"
    assert services.pipelines.recover() == []  # once
    services.experiments.ingest()
    assert services.experiments.get_run(going.run_id).summary.status == "failed"
