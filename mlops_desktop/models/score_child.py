"""Score one model file on one table in this throwaway process; print the metrics as JSON.

Run only by :func:`mlops_desktop.models.score.score_model`, never imported by the app:
``python -m mlops_desktop.models.score_child REQUEST.json``, where the request is
``{"model", "table", "label_column", "feature_columns"}``. Loading a pickle runs code chosen by
whoever made it, which is why this happens here, under the same memory limit as inspection.

Output (the last line of stdout): ``{"metrics": {...}, "rows", "kind", "pid"}``, or
``{"error": "..."}`` (one sentence) with exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from mlops_desktop.core.plural import count_noun
from mlops_desktop.models.inspect_child import _load, _model_file, _short, apply_limits


class ScoreProblem(Exception):
    """A sentence for the person who asked: the data does not fit the model."""


def _read_table(path: Path) -> Any:
    """A pyarrow Table of a CSV (delimiter detected), TSV, Parquet or JSON-lines file."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        import pyarrow.json as pajson

        return pajson.read_json(path)
    import pyarrow.csv as pacsv

    from mlops_desktop.datasets.csv_dialect import detect_dialect

    dialect = detect_dialect(path, fmt="tsv" if suffix in (".tsv", ".tab") else "csv")
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter=dialect.delimiter),
        convert_options=pacsv.ConvertOptions(decimal_point=dialect.decimal_point),
    )


def _feature_names(model: Any, table: Any, label: str, given: list[str] | None) -> list[str]:
    names_in = getattr(model, "feature_names_in_", None)
    if names_in is not None:
        names = [str(n) for n in names_in]
    elif given:
        names = [c for c in given if c != label]
    else:
        names = [c for c in table.column_names if c != label]
    missing = [n for n in names if n not in table.column_names]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ScoreProblem(f"the data has no column {shown}, which the model needs")
    n_in = getattr(model, "n_features_in_", None)
    if isinstance(n_in, int) and n_in != len(names):
        raise ScoreProblem(
            f"the model takes {n_in} features but the data has "
            f"{count_noun(len(names), 'feature column')}"
        )
    return names


def _matrix(table: Any, names: list[str]) -> Any:
    import numpy as np
    import pyarrow.types as pat

    columns = [table.column(n) for n in names]
    if all(pat.is_integer(c.type) or pat.is_floating(c.type) for c in columns):
        arrays = [c.to_numpy(zero_copy_only=False).astype(float) for c in columns]
        return np.column_stack(arrays) if arrays else np.empty((table.num_rows, 0))
    return np.column_stack([np.asarray(c.to_pylist(), dtype=object) for c in columns])


def _classifier_metrics(model: Any, x: Any, y: Any, pred: Any) -> dict[str, float]:
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    if y.dtype.kind != np.asarray(pred).dtype.kind:
        y, pred = y.astype(str), np.asarray(pred).astype(str)
    metrics = {
        "accuracy": float(accuracy_score(y, pred)),
        "f1": float(f1_score(y, pred, average="macro", zero_division=0)),
    }
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) == 2 and hasattr(model, "predict_proba"):
        positive = classes[1]
        truth = y == (str(positive) if y.dtype.kind in "US" else positive)
        if 0 < truth.sum() < len(truth):
            proba = np.asarray(model.predict_proba(x))[:, 1]
            metrics["roc_auc"] = float(roc_auc_score(truth, proba))
    return metrics


def _regressor_metrics(y: Any, pred: Any) -> dict[str, float]:
    import numpy as np

    err = np.asarray(pred, dtype=float) - np.asarray(y, dtype=float)
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean()))}


def score(request: dict[str, Any]) -> dict[str, Any]:
    """Load, predict, measure: ``{"metrics", "rows", "kind"}``."""
    import numpy as np

    model = _load(_model_file(Path(request["model"])))
    table = _read_table(Path(request["table"]))
    label = str(request["label_column"])
    if label not in table.column_names:
        raise ScoreProblem(f"the data has no label column {label!r}")
    table = table.filter(table.column(label).is_valid())
    if table.num_rows == 0:
        raise ScoreProblem(f"no row of the data has a label in {label!r}")
    names = _feature_names(model, table, label, request.get("feature_columns"))
    x = _matrix(table, names)
    y = np.asarray(table.column(label).to_pylist())
    try:
        pred = model.predict(x)
        classifier = getattr(model, "_estimator_type", None) == "classifier" or hasattr(
            model, "classes_"
        )
        if classifier:
            return {
                "metrics": _classifier_metrics(model, x, y, pred),
                "rows": len(y),
                "kind": "classifier",
            }
        return {"metrics": _regressor_metrics(y, pred), "rows": len(y), "kind": "regressor"}
    except (ValueError, TypeError) as exc:
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        why = f"the model could not predict on this data ({_short(line, 300)})"
        raise ScoreProblem(why) from None


def main(argv: list[str]) -> int:
    """Score as ``argv[0]`` (a request file) asks; print one JSON line; 0 or 1."""
    apply_limits()
    try:
        if len(argv) != 1:
            raise ValueError("usage: python -m mlops_desktop.models.score_child REQUEST.json")
        request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = score(request)
        result["pid"] = os.getpid()
    except ScoreProblem as exc:
        print(json.dumps({"error": f"{str(exc)[:1].upper()}{str(exc)[1:]}."}))
        return 1
    except MemoryError:
        print(json.dumps({"error": "Scoring the model needed more memory than allowed."}))
        return 1
    except BaseException as exc:  # report anything loading or reading raised
        message = f"{type(exc).__name__}: {exc}".strip()
        print(json.dumps({"error": _short(message.splitlines()[-1] if message else "failed")}))
        return 1
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
