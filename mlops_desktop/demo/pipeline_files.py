"""The files of the demo's pipeline folder: ``pipeline.yaml``, ``params.yaml`` and the scripts.

Four stages over the registered ``wine`` dataset (its newest version, so a new version makes
the pipeline stale and triggers it):

- prepare.py: the dataset version the run was given, rows with a missing value dropped, into
  ``data/prepared.csv``.
- train.py: a scaled logistic regression (params ``train.*``) into ``model.joblib``.
- evaluate.py: its accuracy on ``data/holdout.csv`` (wines measured on the reference
  instrument; not in any dataset version) into ``metrics.json`` as ``val/acc``, also logged to
  the stage's run.
- register: the gate registers ``model.joblib`` as a version of ``wine-cultivar`` when its
  accuracy beats the champion's by 0.005, with alias ``challenger`` (a person approves it).

The commands name the Python that builds the demo, so scikit-learn and the app are importable.
"""

from __future__ import annotations

import shlex
import textwrap
from pathlib import Path

PIPELINE_NAME = "wine-cultivar"
MODEL = "wine-cultivar"
EXPERIMENT = "wine-cultivar-pipeline"
DATASET = "wine"
LABEL = "class"
HOLDOUT = "data/holdout.csv"
CONDITION = "metrics.val/acc >= champion + 0.005"

PARAMS = """\
prepare:
  label: class
train:
  C: 1.0
  max_iter: 500
"""

PREPARE = '''\
"""Prepare: the wine version this run was given, rows with a missing value dropped."""
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

import mlops_desktop as mlops

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
source = Path(mlops.dataset_path("wine"))
table = pacsv.read_csv(source if source.is_file() else sorted(source.rglob("*.csv"))[0])
complete = np.ones(table.num_rows, dtype=bool)
for column in table.columns:
    complete &= np.asarray(pc.is_valid(column)) & ~np.asarray(pc.is_nan(column.cast("double")))
Path("data").mkdir(exist_ok=True)
pacsv.write_csv(table.filter(complete), "data/prepared.csv")
print(f"{int(complete.sum())} rows kept, {int((~complete).sum())} with a missing value dropped")
'''

TRAIN = '''\
"""Train: a scaled logistic regression on the prepared rows."""
from pathlib import Path

import joblib
import numpy as np
import pyarrow.csv as pacsv
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

params = yaml.safe_load(Path("params.yaml").read_text())
label = params["prepare"]["label"]
table = pacsv.read_csv("data/prepared.csv")
features = [c for c in table.column_names if c != label]
x = np.column_stack([table.column(c).to_numpy() for c in features]).astype(float)
y = np.asarray(table.column(label).to_pylist())
model = make_pipeline(
    StandardScaler(),
    LogisticRegression(C=params["train"]["C"], max_iter=params["train"]["max_iter"]),
)
model.fit(x, y)
joblib.dump(model, "model.joblib")
print(f"trained on {len(y)} rows, {len(features)} features")
'''

EVALUATE = '''\
"""Evaluate: the model's accuracy on the holdout wines, into metrics.json and the run."""
import json
from pathlib import Path

import joblib
import numpy as np
import pyarrow.csv as pacsv
import yaml

import mlops_desktop as mlops

label = yaml.safe_load(Path("params.yaml").read_text())["prepare"]["label"]
model = joblib.load("model.joblib")
table = pacsv.read_csv("data/holdout.csv")
features = [c for c in table.column_names if c != label]
x = np.column_stack([table.column(c).to_numpy() for c in features]).astype(float)
y = np.asarray(table.column(label).to_pylist())
acc = float((model.predict(x) == y).mean())
Path("metrics.json").write_text(json.dumps({"val": {"acc": acc}, "n_holdout": len(y)}, indent=1))
with mlops.start_run() as run:
    run.log_metrics({"val/acc": acc})
print(f"val/acc {acc:.4f} on {len(y)} holdout wines")
'''


def pipeline_yaml(python: str) -> str:
    """The pipeline file, its commands run by ``python``."""
    py = shlex.quote(python)
    return textwrap.dedent(
        f"""\
        # The demo's pipeline: `mlops-desktop pipelines status` here says what would run.
        name: {PIPELINE_NAME}
        experiment: {EXPERIMENT}
        triggers:
          datasets: [{DATASET}]        # a new version of wine reruns it
        stages:
          prepare:
            cmd: {py} prepare.py
            datasets: [{DATASET}]      # the newest version
            params: [prepare]
            outs: [data/prepared.csv]
          train:
            cmd: {py} train.py
            deps: [data/prepared.csv]
            params: [prepare.label, train]
            outs: [model.joblib]
          evaluate:
            cmd: {py} evaluate.py
            deps: [model.joblib, {HOLDOUT}]
            params: [prepare.label]
            metrics: [metrics.json]
          register:
            deps: [model.joblib, metrics.json]
            register:
              model: {MODEL}
              from: model.joblib
              when: ["{CONDITION}"]
              alias: challenger
              promote: approval
        """
    )


def write_pipeline_folder(folder: Path, python: str) -> None:
    """Write the pipeline file, its params and its scripts into ``folder`` (the holdout is
    written by the demo's builder)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "pipeline.yaml": pipeline_yaml(python),
        "params.yaml": PARAMS,
        "prepare.py": PREPARE,
        "train.py": TRAIN,
        "evaluate.py": EVALUATE,
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
