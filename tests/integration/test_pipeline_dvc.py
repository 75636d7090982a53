"""The same scikit-learn pipeline as a ``dvc.yaml`` with ``params.yaml``
(tests/pipeline_project.py, DVC's own forms): it runs as it is, without DVC."""

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


def test_a_dvc_yaml_with_params_yaml_runs_as_it_is(services: Services, tmp_path: Path) -> None:
    root = tmp_path / "dvc-project"
    write_project(root, kind="dvc")
    first = services.pipelines.run(root)
    assert first.state == "done", first
    assert states(first) == dict.fromkeys(("prepare", "train", "evaluate"), "done")
    assert (root / "metrics.json").is_file()
    again = services.pipelines.status(root)
    assert [s.state for s in again] == ["cached"] * 3
    set_param(root, "prepare", "split", 0.3)
    statuses = {s.name: s for s in services.pipelines.status(root)}
    assert statuses["prepare"].reasons == ("param prepare.split changed: 0.25 -> 0.3",)
    assert statuses["train"].state == statuses["evaluate"].state == "stale"
    (root / "train.py").write_text((root / "train.py").read_text() + "\n# tuned\n")
    second = services.pipelines.run(root)
    assert ran(second) == {"prepare", "train", "evaluate"}
    info = {p.name: p for p in services.pipelines.list()}["dvc-project"]
    assert info.kind == "dvc" and info.stages == 3 and info.last_run_id == second.run_id
