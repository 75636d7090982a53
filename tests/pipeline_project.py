"""A real four-stage scikit-learn pipeline written into a folder, for the pipeline tests.

``write_project(root, kind="mlops")`` writes ``pipeline.yaml`` (prepare, train, evaluate,
register); ``kind="dvc"`` writes the same first three stages as a ``dvc.yaml`` in DVC's own
forms (a list ``cmd``, ``{file: [keys]}`` params, ``metrics`` with ``cache: false``). Both
share ``params.yaml`` (nested sections), ``data/wine.csv`` (scikit-learn's bundled wine data,
no download) and the scripts:

- prepare.py: splits data/wine.csv into data/prepared/{train,test}.csv (params prepare.*).
- train.py: fits a LogisticRegression (params train.*) and dumps model.joblib with joblib.
- evaluate.py: writes metrics.json {"val": {"acc": ...}, "n_test": ...}.

The commands call the Python running the tests (``python`` argument), so scikit-learn is there.
"""

from __future__ import annotations

import csv
import shlex
import sys
import textwrap
from pathlib import Path

STAGES = ("prepare", "train", "evaluate", "register")

PREPARE = """\
import csv, pathlib, random, yaml
p = yaml.safe_load(open("params.yaml"))["prepare"]
rows = list(csv.reader(open("data/wine.csv")))
head, body = rows[0], rows[1:]
random.Random(p["seed"]).shuffle(body)
n_test = int(len(body) * p["split"])
out = pathlib.Path("data/prepared")
out.mkdir(parents=True, exist_ok=True)
for name, part in (("train.csv", body[n_test:]), ("test.csv", body[:n_test])):
    with open(out / name, "w", newline="") as f:
        csv.writer(f).writerows([head] + part)
"""

TRAIN = """\
import csv, joblib, numpy as np, yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
p = yaml.safe_load(open("params.yaml"))["train"]
rows = list(csv.reader(open("data/prepared/train.csv")))[1:]
x = np.array([[float(v) for v in r[:-1]] for r in rows])
y = np.array([int(r[-1]) for r in rows])
model = make_pipeline(StandardScaler(), LogisticRegression(C=p["C"], max_iter=p["max_iter"]))
model.fit(x, y)
joblib.dump(model, "model.joblib")
"""

EVALUATE = """\
import csv, json, joblib, numpy as np
model = joblib.load("model.joblib")
rows = list(csv.reader(open("data/prepared/test.csv")))[1:]
x = np.array([[float(v) for v in r[:-1]] for r in rows])
y = np.array([int(r[-1]) for r in rows])
acc = float((model.predict(x) == y).mean())
json.dump({"val": {"acc": acc}, "n_test": len(rows)}, open("metrics.json", "w"), indent=1)
"""

PARAMS = """\
prepare:
  split: 0.25
  seed: 7
train:
  C: 1.0
  max_iter: 500
  solver:
    name: lbfgs
evaluate:
  threshold: 0.5
"""


def _pipeline_yaml(py: str) -> str:
    return textwrap.dedent(
        f"""\
        name: wine-classifier
        experiment: wine-pipeline
        parallel: 2
        triggers:
          datasets: [wine]
          schedule: 6h
        stages:
          prepare:
            cmd: {py} prepare.py
            deps: [data/wine.csv]
            params: [prepare]
            outs: [data/prepared]
          train:
            cmd: {py} train.py
            deps: [data/prepared/train.csv]
            params: [train.C, train.max_iter]
            outs: [model.joblib]
          evaluate:
            cmd: {py} evaluate.py
            deps: [model.joblib, data/prepared/test.csv]
            metrics: [metrics.json]
          register:
            deps: [metrics.json]
            register:
              model: wine-classifier
              from: model.joblib
              when: ["metrics.val/acc >= champion + 0.005"]
        """
    )


def _dvc_yaml(py: str) -> str:
    return textwrap.dedent(
        f"""\
        stages:
          prepare:
            cmd: {py} prepare.py
            deps:
              - prepare.py
              - data/wine.csv
            params:
              - prepare.split
              - prepare.seed
            outs:
              - data/prepared
          train:
            desc: fit the classifier
            cmd:
              - {py} train.py
            deps:
              - train.py
              - data/prepared/train.csv
            params:
              - params.yaml:
                  - train.C
                  - train.max_iter
            outs:
              - model.joblib:
                  persist: false
          evaluate:
            cmd: {py} evaluate.py
            deps:
              - evaluate.py
              - model.joblib
              - data/prepared/test.csv
            metrics:
              - metrics.json:
                  cache: false
        """
    )


def write_wine_csv(path: Path) -> None:
    """scikit-learn's wine data (178 rows, 13 features and the class) as a CSV."""
    from sklearn.datasets import load_wine  # noqa: PLC0415 (sklearn only where needed)

    data = load_wine()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*data.feature_names, "target"])
        for row, target in zip(data.data, data.target, strict=True):
            writer.writerow([f"{v:.6g}" for v in row] + [int(target)])


def write_project(root: Path, kind: str = "mlops", python: str | None = None) -> Path:
    """Write the pipeline project into ``root`` and return the pipeline file.

    Args:
        kind: "mlops" (pipeline.yaml, four stages with a register gate) or "dvc" (dvc.yaml,
            the first three stages).
        python: the interpreter the commands call (default: the one running the tests).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    py = shlex.quote(python or sys.executable)
    (root / "prepare.py").write_text(PREPARE)
    (root / "train.py").write_text(TRAIN)
    (root / "evaluate.py").write_text(EVALUATE)
    (root / "params.yaml").write_text(PARAMS)
    write_wine_csv(root / "data" / "wine.csv")
    if kind == "dvc":
        path = root / "dvc.yaml"
        path.write_text(_dvc_yaml(py))
    elif kind == "mlops":
        path = root / "pipeline.yaml"
        path.write_text(_pipeline_yaml(py))
    else:
        raise ValueError(f"kind must be mlops or dvc, not {kind!r}")
    return path


def set_param(root: Path, section: str, key: str, value: object) -> None:
    """Change one value of params.yaml (keeps the other keys)."""
    import yaml  # noqa: PLC0415

    path = Path(root) / "params.yaml"
    data = yaml.safe_load(path.read_text())
    data[section][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))
