"""Scoring a model on a table happens in a child process; bad data gives one sentence."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from mlops_desktop.core.errors import ModelError
from mlops_desktop.models.score import score_model

joblib = pytest.importorskip("joblib")


def _write_csv(path: Path, columns: dict[str, np.ndarray]) -> Path:
    names = list(columns)
    rows = zip(*(columns[n] for n in names))
    lines = [",".join(names)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _data(n: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    return {"a": a.round(6), "b": b.round(6), "label": (a + 0.2 * b > 0).astype(int)}


def test_classifier_scored_in_a_child(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    data = _data()
    model = LogisticRegression().fit(np.column_stack([data["a"], data["b"]]), data["label"])
    joblib.dump(model, tmp_path / "model.joblib")
    table = _write_csv(tmp_path / "window.csv", data)
    metrics = score_model(tmp_path / "model.joblib", table, "label", ["a", "b"])
    expected = model.score(np.column_stack([data["a"], data["b"]]), data["label"])
    assert metrics["accuracy"] == pytest.approx(expected)
    assert set(metrics) == {"accuracy", "f1", "roc_auc"}
    assert 0.9 < metrics["roc_auc"] <= 1.0


def test_rows_and_a_regressor(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    data = _data()
    y = 2 * data["a"] - data["b"]
    model = LinearRegression().fit(np.column_stack([data["a"], data["b"]]), y)
    joblib.dump(model, tmp_path / "model.joblib")
    rows = [
        {"a": float(a), "b": float(b), "y": float(t)}
        for a, b, t in zip(data["a"], data["b"], y, strict=True)
    ]
    metrics = score_model(tmp_path, rows, "y")  # the folder holding the model
    assert set(metrics) == {"mae", "rmse"}
    assert metrics["rmse"] < 1e-6


def test_the_parent_never_unpickles(tmp_path: Path) -> None:
    class _Marker:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (exec, ("raise RuntimeError('pid %d' % __import__('os').getpid())",))

    (tmp_path / "model.pkl").write_bytes(pickle.dumps(_Marker()))
    table = _write_csv(tmp_path / "w.csv", _data(10))
    with pytest.raises(ModelError, match=r"could not be scored: RuntimeError: pid \d+") as info:
        score_model(tmp_path / "model.pkl", table, "label")
    assert int(str(info.value).rsplit(" ", 1)[1]) != os.getpid()


@pytest.mark.parametrize(
    ("columns", "label", "expected"),
    [
        ({"a": [1.0, 2.0], "label": [0, 1]}, "label", "has no column b"),
        ({"a": [1.0, 2.0], "b": [1.0, 2.0]}, "label", "no label column 'label'"),
        ({"a": ["x", "y"], "b": ["z", "w"], "label": [0, 1]}, "label", "could not predict"),
    ],
)
def test_bad_tables_give_one_sentence(
    tmp_path: Path, columns: dict[str, list[object]], label: str, expected: str
) -> None:
    from sklearn.linear_model import LogisticRegression

    data = _data()
    joblib.dump(
        LogisticRegression().fit(np.column_stack([data["a"], data["b"]]), data["label"]),
        tmp_path / "model.joblib",
    )
    table = _write_csv(tmp_path / "bad.csv", {k: np.asarray(v) for k, v in columns.items()})
    with pytest.raises(ModelError) as info:
        score_model(tmp_path / "model.joblib", table, label, ["a", "b"])
    message = str(info.value)
    assert expected in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert "\n" not in message


def test_missing_table(tmp_path: Path) -> None:
    (tmp_path / "model.joblib").write_bytes(b"")
    with pytest.raises(ModelError, match="no data to score on"):
        score_model(tmp_path / "model.joblib", tmp_path / "nope.csv", "label")


def test_a_semicolon_csv_with_decimal_commas_is_scored(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    data = _data()
    model = LogisticRegression().fit(np.column_stack([data["a"], data["b"]]), data["label"])
    joblib.dump(model, tmp_path / "model.joblib")
    names = list(data)
    rows = zip(*(data[n] for n in names), strict=True)
    lines = [";".join(names)] + [";".join(str(v).replace(".", ",") for v in r) for r in rows]
    table = tmp_path / "window.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    metrics = score_model(tmp_path / "model.joblib", table, "label", ["a", "b"])
    expected = model.score(np.column_stack([data["a"], data["b"]]), data["label"])
    assert metrics["accuracy"] == pytest.approx(expected)
