"""A new version of a dataset a pipeline reads starts it (``Services.triggers`` calling the
real runner): the stage that reads the dataset reruns on the new version ("dataset wine: v1 ->
v2"), the trigger is kept with the run it started, and the same version never starts a second
run."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli import main
from mlops_desktop.services.bundle import Services

COUNT = """\
import os
import mlops_desktop as mlops
folder = mlops.dataset_path("wine")
rows = open(os.path.join(folder, "rows.csv")).read().splitlines()
open("count.txt", "w").write(f"{len(rows)}\\n")
"""

PIPELINE = f"""\
name: counted
triggers:
  datasets: [wine]
stages:
  count:
    cmd: {sys.executable} count.py
    datasets: [wine]
    outs: [count.txt]
"""


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def test_a_new_dataset_version_reruns_the_stage_that_reads_it(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "wine"
    data.mkdir()
    (data / "rows.csv").write_text("a\nb\nc\n")
    services.datasets.add(data, "wine")
    root = tmp_path / "counted"
    root.mkdir()
    (root / "count.py").write_text(COUNT)
    (root / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE))
    first = services.pipelines.run(root)
    assert first.state == "done" and (root / "count.txt").read_text() == "3\n"
    assert services.triggers.check_datasets() == []  # v1 is older than the pipeline

    (data / "rows.csv").write_text("a\nb\nc\nd\n")
    services.datasets.add(data, "wine")
    [event] = services.triggers.check_datasets()
    assert event.kind == "dataset" and event.detail == "wine v2" and event.pipeline_run_id
    assert event.pipeline_run_id in services.pipelines.going()  # started in the background
    run = services.pipelines.wait(event.pipeline_run_id, timeout_s=60)
    assert run.state == "done" and run.trigger == "dataset" and run.trigger_detail == "wine v2"
    [stage] = run.stages
    assert stage.state == "done" and stage.reasons == ("dataset wine: v1 -> v2",)
    assert (root / "count.txt").read_text() == "4\n"
    assert services.triggers.check_datasets() == []  # one run per version

    assert main(["pipelines", "triggers", "counted", "--json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert shown["pipeline_run_id"] == run.run_id and shown["outcome"] == "started"
