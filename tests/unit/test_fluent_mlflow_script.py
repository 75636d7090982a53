"""An MLflow script, unchanged but for ``import mlops_desktop as mlflow``, records everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from mlops_desktop.services.experiments import ExperimentService

MLFLOW_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import mlops_desktop as mlflow

    work = sys.argv[1]
    mlflow.set_experiment("fluent-digits")
    with mlflow.start_run(run_name="parent") as run:
        parent_id = run.info.run_id
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"layers": 3, "optimizer": "adam"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=4)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev"})
        fig = os.path.join(work, "fig.png")
        with open(fig, "wb") as fh:
            fh.write(b"not really a png")
        mlflow.log_artifact(fig, "plots")
        mlflow.log_dict({"classes": [0, 1]}, "meta/classes.json")
        mlflow.log_text("hello", "notes.txt")
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("child_loss", 0.5)
            assert mlflow.active_run().info.run_id == child.info.run_id
        assert mlflow.active_run().info.run_id == parent_id

    mlflow.start_run(run_name="broken")
    mlflow.log_metric("x", 1.0)
    mlflow.end_run(status="FAILED")
    assert mlflow.active_run() is None

    mlflow.log_metric("implicit", 2.0)  # no active run: one starts, and ends at exit
    """
)


def _run_script(script: str, home: Path, work: Path) -> None:
    env = {**os.environ, "MLOPS_DESKTOP_HOME": str(home), "MLOPS_DESKTOP_SYSTEM_METRICS": "0"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_an_mlflow_script_is_recorded_whole(temp_home: Path, tmp_path: Path) -> None:
    _run_script(MLFLOW_SCRIPT, temp_home, tmp_path)
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        runs = {r.name: r for r in svc.list_runs()}
        parent, child = runs["parent"], runs["child"]
        broken = runs["broken"]
        implicit = next(r for r in runs.values() if "implicit" in r.metrics)

        assert parent.experiment == "fluent-digits"
        assert parent.status == "finished"
        assert parent.params == {"lr": 0.01, "layers": 3, "optimizer": "adam"}
        assert parent.metrics == {"loss": 0.2, "acc": 0.9, "f1": 0.8}
        loss = svc.metric_series(parent.id, "loss")
        assert list(loss.steps) == [0, 1, 2, 3, 4]
        assert list(loss.values) == [1.0, 0.5, 1.0 / 3, 0.25, 0.2]
        assert list(svc.metric_series(parent.id, "acc").steps) == [4]
        assert parent.tags["team"] == "vision" and parent.tags["stage"] == "dev"
        names = sorted(a.name for a in svc.get_run(parent.id).artifacts)
        assert names == ["meta/classes.json", "notes.txt", "plots/fig.png"]
        stored = {a.name: Path(a.path) for a in svc.get_run(parent.id).artifacts}
        assert json.loads(stored["meta/classes.json"].read_text()) == {"classes": [0, 1]}
        assert stored["notes.txt"].read_text() == "hello"
        assert stored["plots/fig.png"].read_bytes() == b"not really a png"

        assert child.experiment == "fluent-digits"
        assert child.tags["mlops.parent_run_id"] == parent.id
        assert child.metrics == {"child_loss": 0.5}
        assert child.status == "finished"

        assert broken.status == "failed"
        assert broken.experiment == "fluent-digits"
        assert implicit.status == "finished"
        assert implicit.experiment == "fluent-digits"
    finally:
        svc.close()
