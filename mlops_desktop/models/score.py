"""Score a model on a table in a separate, time- and memory-limited process.

Like :mod:`~mlops_desktop.models.inspect`, the app never unpickles the model: :func:`score_model`
starts ``python -m mlops_desktop.models.score_child REQUEST`` in the inspection's sandbox
(:func:`~mlops_desktop.models.sandbox.run_sandboxed`), an empty temp folder as working
directory; the child loads the model, predicts on the table's rows and
prints the metrics as one JSON line.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import ModelError
from mlops_desktop.models.inspect import _last_json, _last_line
from mlops_desktop.models.sandbox import run_sandboxed

Rows = Sequence[Mapping[str, Any]]


def score_model(
    model_path: str | Path,
    table: str | Path | Rows,
    label_column: str,
    feature_columns: Sequence[str] | None = None,
    timeout_s: float = 60.0,
    *,
    allow_unsandboxed: bool = False,
) -> dict[str, float]:
    """Metrics of the model on the labelled rows of a table, measured in a child process.

    Args:
        model_path: a ``.joblib``/``.pkl``/``.pickle`` file, or a folder holding one.
        table: a CSV, Parquet or JSON-lines file, or the rows themselves (dicts).
        label_column: the column with the true values; rows without one are left out.
        feature_columns: the model's inputs in order (default: the model's own feature names,
            else every column but the label).
        timeout_s: seconds the child may take; then it and everything it started is killed.
        allow_unsandboxed: score without isolation when no sandbox works here.

    Returns:
        accuracy, f1 (macro) and, for binary classifiers with probabilities, roc_auc; or mae
        and rmse for regressors.

    Raises:
        SandboxUnavailableError: no sandbox works here and ``allow_unsandboxed`` is false.
        ModelError: one sentence: the model or table is missing, the model cannot be loaded,
            the data lacks columns the model needs, or the model could not predict on it.
    """
    model = Path(model_path).absolute()
    if not model.exists():
        raise ModelError(f"{model} does not exist; there is no model to score.")
    with tempfile.TemporaryDirectory(prefix="mlops-score-") as cwd:
        if isinstance(table, str | Path):
            table_path = Path(table).absolute()
            if not table_path.is_file():
                raise ModelError(f"{table_path} does not exist; there is no data to score on.")
        else:
            table_path = Path(cwd) / "rows.jsonl"
            with open(table_path, "w", encoding="utf-8") as fh:
                for row in table:
                    fh.write(json.dumps(dict(row), default=str) + "\n")
        request = {
            "model": str(model),
            "table": str(table_path),
            "label_column": label_column,
            "feature_columns": list(feature_columns) if feature_columns else None,
        }
        request_path = Path(cwd) / "request.json"
        request_path.write_text(json.dumps(request), encoding="utf-8")
        returncode, out, err = run_sandboxed(
            "mlops_desktop.models.score_child",
            request_path,
            cwd,
            timeout_s,
            "Scoring the model",
            readable=[model, table_path],
            allow_unsandboxed=allow_unsandboxed,
        )
    answer = _last_json(out.decode("utf-8", "replace"))
    if answer is not None and "error" in answer:
        raise ModelError(f"The model could not be scored: {answer['error']}")
    if returncode != 0 or answer is None or not isinstance(answer.get("metrics"), dict):
        why = _last_line(err.decode("utf-8", "replace"))
        why = why or f"the scorer exited with status {returncode}"
        if returncode is not None and returncode < 0:
            why = f"the scorer was killed by signal {-returncode} ({why})"
        raise ModelError(f"The model could not be scored: {why}")
    return {str(k): float(v) for k, v in answer["metrics"].items()}
