"""A real four-stage scikit-learn pipeline (tests/pipeline_project.py) run by PipelineService:
the second run starts nothing; a changed param reruns only what is downstream of it; a changed
data file reruns everything downstream of it; a deleted out is restored from the store, not
rerun. Every stage that ran is a child run of the pipeline run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_project import set_param, write_project

from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.services.bundle import Services

pytest.importorskip("sklearn")
pytestmark = pytest.mark.slow  # each stage starts a Python that imports scikit-learn


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def states(run: PipelineRunInfo) -> dict[str, str]:
    return {s.stage: s.state for s in run.stages}


def ran(run: PipelineRunInfo) -> set[str]:
    return {s.stage for s in run.stages if s.run_id}


def test_reruns_only_what_changed_and_restores_deleted_outs(
    services: Services, tmp_path: Path
) -> None:
    root = tmp_path / "wine"
    write_project(root)
    first = services.pipelines.run(root)
    assert first.state == "done", first
    assert states(first) == dict.fromkeys(("prepare", "train", "evaluate", "register"), "done")
    assert ran(first) == {"prepare", "train", "evaluate"}  # the gate runs in the app
    assert (root / "model.joblib").is_file() and (root / "data/prepared/test.csv").is_file()
    services.experiments.ingest()
    parent = services.experiments.get_run(first.run_id)
    assert parent.summary.experiment == "wine-pipeline" and parent.summary.status == "finished"
    assert parent.summary.name == "wine-classifier-1"
    assert sorted(name for _, name in parent.children) == ["evaluate", "prepare", "train"]
    for stage in first.stages:
        if stage.run_id:
            child = services.experiments.get_run(stage.run_id).summary
            assert child.parent_run_id == first.run_id and child.status == "finished"
            assert child.tags["mlops.pipeline"] == "wine-classifier"
            assert child.tags["mlops.pipeline.stage"] == stage.stage

    jobs_before = len(services.jobs.jobs())
    second = services.pipelines.run(root)
    assert states(second) == dict.fromkeys(("prepare", "train", "evaluate", "register"), "cached")
    assert len(services.jobs.jobs()) == jobs_before  # nothing was launched
    made = {s.stage: s.run_id for s in first.stages}
    assert {s.stage: s.source_run_id for s in second.stages if s.stage != "register"} == {
        k: v for k, v in made.items() if k != "register"
    }

    set_param(root, "train", "C", 0.05)
    third = services.pipelines.run(root)
    assert third.state == "done"
    assert states(third)["prepare"] == "cached"
    assert ran(third) == {"train", "evaluate"}
    train = next(s for s in third.stages if s.stage == "train")
    assert train.reasons == ("param train.C changed: 1.0 -> 0.05",)

    data = root / "data" / "wine.csv"
    lines = data.read_text().splitlines()
    data.write_text("\n".join(lines[:-3]) + "\n")  # three rows fewer
    fourth = services.pipelines.run(root)
    assert ran(fourth) == {"prepare", "train", "evaluate"}
    prepare = next(s for s in fourth.stages if s.stage == "prepare")
    assert prepare.reasons == ("dep data/wine.csv changed",)

    (root / "model.joblib").unlink()
    jobs_before = len(services.jobs.jobs())
    fifth = services.pipelines.run(root)
    assert states(fifth) == {
        "prepare": "cached",
        "train": "restored",
        "evaluate": "cached",
        "register": "cached",
    }
    assert len(services.jobs.jobs()) == jobs_before
    assert (root / "model.joblib").is_file()
    assert [s.state for s in services.pipelines.status(root)] == ["cached"] * 4
    assert services.pipelines.runs("wine-classifier")[0].run_id == fifth.run_id
