"""The demo catalog: real trainings of scikit-learn models on the datasets scikit-learn ships.

Everything is logged through the public tracking API (``mlops_desktop.start_run``), exactly as a
user's script would. Three experiments, 31 runs, per-epoch curves, a hyperparameter grid and one
run that diverges (its NaN loss shows as a gap, its status as failed). The runs use registered
datasets (``demo_data``: wine and breast cancer with four versions each, digits with one), so
lineage shows. Building is idempotent: a marker file in the home records the demo version
built; a second build does nothing, and a home built by an older demo version only gains what
is new (the datasets, the registered models: ``demo_models``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

import mlops_desktop as mlops

MARKER = "demo.json"
DEMO_VERSION = 3  # 2: registered datasets with versions, used by the runs; 3: models
SGD_EPOCHS = 25
MLP_EPOCHS = 40


def _split(loader: Callable[..., Any], seed: int = 0) -> tuple[Any, Any, Any, Any]:
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = loader(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    return scaler.transform(x_tr), scaler.transform(x_te), y_tr, y_te


def _digits_sgd(progress: Callable[[str], None]) -> None:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import accuracy_score, log_loss

    x_tr, x_te, y_tr, y_te = _split(load_digits)
    classes = np.unique(y_tr)
    grid = list(product(["log_loss", "modified_huber"], [1e-4, 1e-3, 1e-2], [0.01, 0.1]))
    for i, (loss, alpha, eta0) in enumerate(grid, 1):
        progress(f"digits-sgd: run {i}/{len(grid)}")
        params = {
            "model": "SGDClassifier",
            "loss": loss,
            "alpha": alpha,
            "eta0": eta0,
            "epochs": SGD_EPOCHS,
        }
        with mlops.start_run(
            "digits-sgd",
            name=f"sgd-{loss}-a{alpha:g}-lr{eta0:g}",
            params=params,
            tags={"dataset": "digits", "family": "linear", "demo": "true"},
        ) as run:
            run.use_dataset("digits")
            clf = SGDClassifier(
                loss=loss, alpha=alpha, learning_rate="constant", eta0=eta0, random_state=0
            )
            rng = np.random.default_rng(0)
            for epoch in range(SGD_EPOCHS):
                order = rng.permutation(len(x_tr))
                clf.partial_fit(x_tr[order], y_tr[order], classes=classes)
                p_tr = np.clip(clf.predict_proba(x_tr), 1e-7, 1)
                p_te = np.clip(clf.predict_proba(x_te), 1e-7, 1)
                run.log_metrics(
                    {
                        "train/loss": log_loss(
                            y_tr, p_tr / p_tr.sum(1, keepdims=True), labels=classes
                        ),
                        "val/loss": log_loss(
                            y_te, p_te / p_te.sum(1, keepdims=True), labels=classes
                        ),
                        "train/acc": accuracy_score(y_tr, clf.predict(x_tr)),
                        "val/acc": accuracy_score(y_te, clf.predict(x_te)),
                    },
                    step=epoch,
                )
            run.log_metric("test_acc", accuracy_score(y_te, clf.predict(x_te)))


def _cancer_mlp(progress: Callable[[str], None], work: Path) -> None:
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.neural_network import MLPClassifier

    x_tr, x_te, y_tr, y_te = _split(load_breast_cancer)
    grid = list(product([(16,), (64,), (32, 16)], [1e-3, 1e-2], [1e-4, 1e-2]))
    for i, (hidden, lr, alpha) in enumerate(grid, 1):
        progress(f"breast-cancer-mlp: run {i}/{len(grid)}")
        params = {
            "model": "MLPClassifier",
            "hidden": "x".join(map(str, hidden)),
            "learning_rate_init": lr,
            "alpha": alpha,
            "epochs": MLP_EPOCHS,
        }
        with mlops.start_run(
            "breast-cancer-mlp",
            name=f"mlp-{params['hidden']}-lr{lr:g}-a{alpha:g}",
            params=params,
            tags={"dataset": "breast_cancer", "family": "neural", "demo": "true"},
        ) as run:
            run.use_dataset("breast-cancer")
            clf = MLPClassifier(
                hidden_layer_sizes=hidden, learning_rate_init=lr, alpha=alpha, random_state=0
            )
            for epoch in range(MLP_EPOCHS):
                clf.partial_fit(x_tr, y_tr, classes=[0, 1])
                run.log_metrics(
                    {
                        "train/loss": clf.loss_,
                        "train/acc": accuracy_score(y_tr, clf.predict(x_tr)),
                        "val/acc": accuracy_score(y_te, clf.predict(x_te)),
                        "val/auc": roc_auc_score(y_te, clf.predict_proba(x_te)[:, 1]),
                    },
                    step=epoch,
                )
            path = work / f"mlp-{run.id[:8]}.joblib"
            joblib.dump(clf, path)
            run.log_artifact(path, name="model.joblib")
            print(f"final val/acc {accuracy_score(y_te, clf.predict(x_te)):.4f}")


def _wine_boosting(progress: Callable[[str], None]) -> None:
    from sklearn.datasets import load_wine
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import accuracy_score, log_loss

    x_tr, x_te, y_tr, y_te = _split(load_wine)
    grid = list(product([0.05, 0.1, 0.3], [2, 3]))
    for i, (lr, depth) in enumerate(grid, 1):
        progress(f"wine-boosting: run {i}/{len(grid)}")
        params = {
            "model": "GradientBoostingClassifier",
            "learning_rate": lr,
            "max_depth": depth,
            "n_estimators": 120,
            "subsample": 0.8,
        }
        with mlops.start_run(
            "wine-boosting",
            name=f"gb-lr{lr:g}-d{depth}",
            params=params,
            tags={"dataset": "wine", "family": "trees", "demo": "true"},
        ) as run:
            run.use_dataset("wine")
            clf = GradientBoostingClassifier(
                learning_rate=lr, max_depth=depth, n_estimators=120, subsample=0.8, random_state=0
            ).fit(x_tr, y_tr)
            stages = zip(clf.staged_predict_proba(x_tr), clf.staged_predict_proba(x_te))
            for stage, (p_tr, p_te) in enumerate(stages):
                run.log_metrics(
                    {
                        "train/loss": log_loss(y_tr, p_tr, labels=clf.classes_),
                        "val/loss": log_loss(y_te, p_te, labels=clf.classes_),
                        "val/acc": accuracy_score(y_te, clf.classes_[p_te.argmax(1)]),
                    },
                    step=stage,
                )


def _diverging_run(progress: Callable[[str], None]) -> None:
    """A run whose learning rate is far too high: the loss overflows and the script fails."""
    progress("digits-sgd: a run that diverges")
    try:
        with mlops.start_run(
            "digits-sgd",
            name="sgd-exploding-lr",
            params={
                "model": "SGDClassifier",
                "loss": "squared_error",
                "alpha": 0.0,
                "eta0": 50.0,
                "epochs": 25,
            },
            tags={"dataset": "digits", "family": "linear", "demo": "true"},
        ) as run:
            loss = 1.0
            for epoch in range(12):
                loss = loss * 40.0 if epoch < 8 else float("inf") if epoch < 10 else float("nan")
                run.log_metric("train/loss", loss, step=epoch)
            raise FloatingPointError("training diverged: train/loss is NaN after epoch 11")
    except FloatingPointError:
        pass


def build_demo(
    home: Path, catalog_url: str | None = None, progress: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Build the demo catalog in ``home`` (once) and return counts of what the catalog holds."""
    from mlops_desktop.demo.datasets import register_demo_datasets
    from mlops_desktop.demo.models import register_demo_models
    from mlops_desktop.services.bundle import Services

    os.environ["MLOPS_DESKTOP_HOME"] = str(home)
    marker = home / MARKER
    built = _marker_version(marker)
    with Services.open(home, catalog_url) as services:
        service, datasets, models = services.experiments, services.datasets, services.models
        if built < DEMO_VERSION:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if built < 1:
                    # datasets first, so the runs' use_dataset resolves to v3 ...
                    register_demo_datasets(datasets, home, upto=3, progress=progress)
                    _trainings(home, progress)
                if built < 2:
                    # ... and a later batch arrives after the trainings (a v1 home gets all)
                    register_demo_datasets(datasets, home, upto=4, progress=progress)
                service.ingest()
                register_demo_models(service, models, progress=progress)
            marker.write_text(json.dumps({"version": DEMO_VERSION}), encoding="utf-8")
        service.ingest()
        return {
            "experiments": len(service.list_experiments()),
            "runs": len(service.list_runs()),
            "datasets": len(datasets.list_datasets()),
            "models": len(models.list_models()),
            "monitors": 0,
        }


def _marker_version(marker: Path) -> int:
    """The demo version a home was built with; 0 when never built."""
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0
    except (OSError, ValueError):
        return 1  # a marker we cannot read: the runs exist, do not train them again
    version = doc.get("version") if isinstance(doc, dict) else None
    return version if isinstance(version, int) else 1


def _trainings(home: Path, progress: Callable[[str], None]) -> None:
    work = home / "demo-work"
    work.mkdir(parents=True, exist_ok=True)
    # The trainings print to their run logs; keep this process's stdout for --json.
    with contextlib.redirect_stdout(sys.stderr):
        _digits_sgd(progress)
        _diverging_run(progress)
        _cancer_mlp(progress, work)
        _wine_boosting(progress)


def start_live_training(home: Path) -> subprocess.Popen[bytes]:
    """Start a longer training in a separate process, so the GUI shows live charts."""
    env = dict(os.environ, MLOPS_DESKTOP_HOME=str(home))
    log = open(home / "demo-live.out", "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [sys.executable, "-m", "mlops_desktop.demo.live"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
