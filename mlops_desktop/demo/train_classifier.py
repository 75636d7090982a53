"""The demo's retrain script: a scaled logistic regression on a launched dataset's table.

Run as a launched job (``python -m mlops_desktop.demo.train_classifier --dataset breast-cancer
--label class``): it reads the table of the dataset version the launch made available
(``mlops.dataset_path``), trains on every column but the label, logs its metrics and the fitted
pipeline as the artifact ``model.joblib``. :func:`train` is the same training, in process, for
the demo's first version.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

TABLE_SUFFIXES = (".csv", ".parquet", ".jsonl")


def table_file(path: str | Path) -> Path:
    """The dataset's table: the file itself, or the first table file of a folder."""
    path = Path(path)
    if path.is_file():
        return path
    found = sorted(p for p in path.rglob("*") if p.suffix.lower() in TABLE_SUFFIXES)
    if not found:
        raise SystemExit(f"{path} holds no CSV, Parquet or JSON-lines file to train on.")
    return found[0]


def train(table: Path, label: str, seed: int = 0) -> tuple[Any, dict[str, float], list[str]]:
    """(fitted pipeline, {train/acc, val/acc}, feature columns) of a table's rows."""
    import numpy as np
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = pq.read_table(table) if table.suffix == ".parquet" else pacsv.read_csv(table)
    data = data.filter(data.column(label).is_valid())
    features = [c for c in data.column_names if c != label]
    x = np.column_stack([data.column(c).to_numpy(zero_copy_only=False) for c in features])
    keep = ~np.isnan(x.astype(float)).any(axis=1)
    x, y = x[keep].astype(float), np.asarray(data.column(label).to_pylist())[keep]
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.25, random_state=seed)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x_tr, y_tr)
    metrics = {"train/acc": model.score(x_tr, y_tr), "val/acc": model.score(x_va, y_va)}
    return model, {k: float(v) for k, v in metrics.items()}, features


def main(argv: list[str] | None = None) -> int:
    import joblib

    import mlops_desktop as mlops

    parser = argparse.ArgumentParser(prog="train_classifier")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--label", required=True)
    args = parser.parse_args(argv)
    with mlops.start_run(params={"model": "LogisticRegression", "scaled": True}) as run:
        table = table_file(mlops.dataset_path(args.dataset))
        model, metrics, features = train(table, args.label)
        run.log_metrics(metrics)
        run.log_param("features", len(features))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.joblib"
            joblib.dump(model, path)
            run.log_artifact(path, name="model.joblib")
        print(f"trained on {table.name}: val/acc {metrics['val/acc']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
