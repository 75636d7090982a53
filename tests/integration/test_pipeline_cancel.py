"""Cancelling a pipeline run: the running stage's job is cancelled, the stages after it are
cancelled without starting, the run ends "cancelled"; progress and stage changes are told as
they happen."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

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
        ("slow", "running"),
        ("slow", "cancelled"),
        ("after", "cancelled"),
    ]
    assert progress[-1] == (2, 2, "after: cancelled")
    services.experiments.ingest()
    assert services.experiments.get_run(run.run_id).summary.status == "killed"
    assert not (root / "slow.txt").exists()
