"""Write the small MLflow stores that tests/unit/test_mlflow_import.py imports.

Run with MLflow installed (``pip install mlflow-skinny``), from the repository root:

    python tests/data/mlflow/make_stores.py tests/data/mlflow

It writes ``DEST/mlruns`` (the file store) and ``DEST/mlflow.db`` (SQLite; its artifacts in
``DEST/sqlite-artifacts``) with MLflow's own client: every field the importer maps. The tests
call :func:`write_store` directly when MLflow is importable, and use the committed copies
otherwise. Timestamps are fixed so both stores read the same.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import warnings
from pathlib import Path

T0 = 1_700_000_000_000  # ms
LOSS = [1.0, 0.5, math.nan, math.inf, -math.inf, 0.125]


def write_store(tracking_uri: str, artifact_root: str | None, work: Path) -> dict[str, str]:
    """Log the reference runs and models into ``tracking_uri``; returns {label: run id}."""
    import mlflow
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric
    from mlflow.tracking import MlflowClient

    warnings.simplefilter("ignore")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps the file store read-mostly
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    client = MlflowClient(tracking_uri, tracking_uri)
    exp = client.create_experiment("wine", artifact_location=artifact_root)
    ids: dict[str, str] = {}

    parent = client.create_run(exp, start_time=T0, run_name="parent", tags={"team": "vision"})
    rid = parent.info.run_id
    ids["parent"] = rid
    client.log_param(rid, "alpha", "0.5")
    client.log_param(rid, "solver", "adam")
    metrics = [Metric("loss", v, T0 + 1000 * i, i) for i, v in enumerate(LOSS)]
    metrics += [Metric("acc", 0.5 + i / 10, T0 + 10 * i, 2 * i) for i in range(3)]
    client.log_batch(rid, metrics=metrics)
    (work / "plots").mkdir(parents=True, exist_ok=True)
    (work / "plots" / "fig.txt").write_text("a figure\n")
    (work / "model").mkdir(exist_ok=True)
    (work / "model" / "MLmodel").write_text("flavors:\n  python_function: {}\n")
    (work / "model" / "model.pkl").write_bytes(b"not really a pickle")
    client.log_artifact(rid, str(work / "plots" / "fig.txt"), "plots/sub")
    client.log_artifacts(rid, str(work / "model"), "model")
    wine = Dataset("wine", "3f2a9c1d", "local", '{"uri": "wine.csv"}')
    context = InputTag("mlflow.data.context", "training")
    client.log_inputs(rid, datasets=[DatasetInput(wine, tags=[context])])
    client.set_terminated(rid, "FINISHED", end_time=T0 + 60_000)

    child = client.create_run(
        exp, start_time=T0 + 5000, run_name="child", tags={"mlflow.parentRunId": rid}
    )
    ids["child"] = child.info.run_id
    client.log_metric(child.info.run_id, "loss", 0.25, timestamp=T0 + 6000, step=7)
    client.set_terminated(child.info.run_id, "FAILED", end_time=T0 + 7000)

    killed = client.create_run(exp, start_time=T0 + 8000, run_name="killed")
    ids["killed"] = killed.info.run_id
    client.set_terminated(killed.info.run_id, "KILLED", end_time=T0 + 9000)

    running = client.create_run(exp, start_time=T0 + 10_000, run_name="running")
    ids["running"] = running.info.run_id
    client.log_metric(running.info.run_id, "loss", 3.0, timestamp=T0 + 11_000, step=1)

    gone = client.create_run(exp, start_time=T0 + 12_000, run_name="deleted")
    ids["deleted"] = gone.info.run_id
    client.set_terminated(gone.info.run_id, "FINISHED", end_time=T0 + 13_000)
    client.delete_run(gone.info.run_id)

    client.create_registered_model("wine-model", tags={"owner": "ana"}, description="wines")
    for _ in range(2):
        client.create_model_version(
            "wine-model", f"runs:/{rid}/model", run_id=rid, tags={"stage": "test"}
        )
    client.set_registered_model_alias("wine-model", "champion", "2")
    client.set_model_version_tag("wine-model", "1", "note", "first")
    return ids


def main(dest: Path) -> None:
    dest = dest.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        write_store((dest / "mlruns").as_uri(), None, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        write_store(
            f"sqlite:///{dest / 'mlflow.db'}", (dest / "sqlite-artifacts").as_uri(), Path(tmp)
        )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
