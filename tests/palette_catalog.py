"""A small real catalog with one thing of each kind the command palette finds."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking import start_run


def fill_catalog(services: Services, tmp_path: Path) -> str:
    """A run with an artifact registered as model "churn" v1 (alias prod), a dataset "wine",
    a monitor "wine-drift", a pipeline "tiny" and an SSH host; returns the run's id."""
    model_file = tmp_path / "model.bin"
    model_file.write_bytes(b"weights")
    with start_run(experiment="digits", name="baseline-lr") as run:
        run.log_metric("acc", 0.9)
        run.log_artifact(str(model_file))
    services.experiments.ingest()
    services.models.register("churn", run_id=run.id, artifact="model.bin")
    services.models.set_alias("churn", 1, "prod")
    data = tmp_path / "wine.csv"
    pacsv.write_csv(pa.table({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}), data)
    services.datasets.add(str(data), "wine")
    services.monitors.add("wine-drift", reference=str(data))
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    (tiny / "pipeline.yaml").write_text(
        "name: tiny\nstages:\n  hello:\n    cmd: echo hi > hello.txt\n    outs: [hello.txt]\n"
    )
    services.pipelines.add(tiny / "pipeline.yaml")
    host = {"name": "gpu-box", "kind": "ssh", "address": "lab@gpu-box:2222"}
    (services.home / "hosts.json").write_text(json.dumps({"version": 1, "hosts": [host]}))
    return run.id
