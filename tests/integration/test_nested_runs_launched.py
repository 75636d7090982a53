"""Child runs of a launched job stay in the launch's experiment, with their parent linked:
nested runs in the script, and runs of a worker process naming the launched run as parent."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.core.compute import TERMINAL_STATES, RunSpec
from mlops_desktop.services.bundle import Services

SCRIPT = """
import os, subprocess, sys
import mlops_desktop as mlflow

WORKER = '''
import os
import mlops_desktop as mlflow
with mlflow.start_run(run_name="worker", parent_run_id=os.environ["MLOPS_DESKTOP_RUN_ID"]):
    mlflow.log_metric("score", 3.0)
'''

with mlflow.start_run():  # attaches to the run the app launched
    mlflow.log_param("search", "grid")
    for trial in range(2):
        with mlflow.start_run(run_name=f"trial-{trial}", nested=True):
            mlflow.log_metric("score", float(trial))
    subprocess.run([sys.executable, "-c", WORKER], check=True)
"""


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def test_children_of_a_launched_job_stay_in_its_experiment(
    services: Services, tmp_path: Path
) -> None:
    train = tmp_path / "search.py"
    train.write_text(textwrap.dedent(SCRIPT))
    spec = RunSpec(
        command=[sys.executable, str(train)], workdir=str(tmp_path), experiment="tuning", name="gs"
    )
    job = services.jobs.launch(spec)
    deadline = time.monotonic() + 60
    while services.jobs.get(job.run_id).state not in TERMINAL_STATES:
        assert time.monotonic() < deadline, services.jobs.get(job.run_id)
        services.jobs.refresh()
        time.sleep(0.1)
    assert services.jobs.get(job.run_id).exit_code == 0, services.jobs.logs(job.run_id)[0]
    services.experiments.ingest()
    runs = {run.name: run for run in services.experiments.list_runs(None, None)}
    assert set(runs) == {"gs", "trial-0", "trial-1", "worker"}
    assert runs["gs"].id == job.run_id and runs["gs"].params == {"search": "grid"}
    for child in ("trial-0", "trial-1", "worker"):
        assert runs[child].experiment == "tuning", child
        assert runs[child].parent_run_id == job.run_id, child
    assert runs["worker"].metrics == {"score": 3.0}
    children = services.experiments.get_run(job.run_id).children
    assert sorted(name for _, name in children) == ["trial-0", "trial-1", "worker"]
    assert [e.name for e in services.experiments.list_experiments()] == ["tuning"]
