"""The demo's trainings: real scikit-learn models fitted on the data scikit-learn ships.

Everything is logged through the public tracking API (``mlops_desktop.start_run``), exactly as
a user's script would: three experiments, 31 runs, per-epoch curves, hyperparameter grids and
one run that diverges (its NaN loss shows as a gap, its status as failed). The runs use the
registered demo datasets, so lineage shows.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

import mlops_desktop as mlops
from mlops_desktop.demo.sklearn_data import scaled_split

SGD_EPOCHS = 25
MLP_EPOCHS = 40
BOOSTING_TREES = 120
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoExperiment:
    """An experiment of the demo: its runs' tags and the registered dataset they read."""

    name: str
    dataset: str
    dataset_tag: str
    family: str

    @contextlib.contextmanager
    def run(
        self, name: str, params: dict[str, Any], *, uses_dataset: bool = True
    ) -> Iterator[mlops.Run]:
        """A run of this experiment (ended as failed if the block raises)."""
        tags = {"dataset": self.dataset_tag, "family": self.family, "demo": "true"}
        with mlops.start_run(self.name, name=name, params=params, tags=tags) as run:
            if uses_dataset:
                run.use_dataset(self.dataset)
            yield run


DIGITS_SGD = DemoExperiment("digits-sgd", "digits", "digits", "linear")
CANCER_MLP = DemoExperiment("breast-cancer-mlp", "breast-cancer", "breast_cancer", "neural")
WINE_BOOSTING = DemoExperiment("wine-boosting", "wine", "wine", "trees")


def run_trainings(home: Path, progress: Progress) -> None:
    """Train and log every demo run (models saved under ``HOME/demo-work``)."""
    work = home / "demo-work"
    work.mkdir(parents=True, exist_ok=True)
    # The trainings print to their run logs; keep this process's stdout for --json.
    with contextlib.redirect_stdout(sys.stderr):
        digits_sgd(progress)
        diverging_run(progress)
        cancer_mlp(progress, work)
        wine_boosting(progress)


def _sgd_epoch_metrics(
    clf: Any, classes: Any, x_tr: Any, x_te: Any, y_tr: Any, y_te: Any
) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, log_loss

    p_tr = np.clip(clf.predict_proba(x_tr), 1e-7, 1)
    p_te = np.clip(clf.predict_proba(x_te), 1e-7, 1)
    return {
        "train/loss": log_loss(y_tr, p_tr / p_tr.sum(1, keepdims=True), labels=classes),
        "val/loss": log_loss(y_te, p_te / p_te.sum(1, keepdims=True), labels=classes),
        "train/acc": accuracy_score(y_tr, clf.predict(x_tr)),
        "val/acc": accuracy_score(y_te, clf.predict(x_te)),
    }


def digits_sgd(progress: Progress) -> None:
    """A grid of SGD linear classifiers on digits, trained epoch by epoch."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import accuracy_score

    x_tr, x_te, y_tr, y_te = scaled_split(load_digits)
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
        with DIGITS_SGD.run(f"sgd-{loss}-a{alpha:g}-lr{eta0:g}", params) as run:
            clf = SGDClassifier(
                loss=loss, alpha=alpha, learning_rate="constant", eta0=eta0, random_state=0
            )
            rng = np.random.default_rng(0)
            for epoch in range(SGD_EPOCHS):
                order = rng.permutation(len(x_tr))
                clf.partial_fit(x_tr[order], y_tr[order], classes=classes)
                metrics = _sgd_epoch_metrics(clf, classes, x_tr, x_te, y_tr, y_te)
                run.log_metrics(metrics, step=epoch)
            run.log_metric("test_acc", accuracy_score(y_te, clf.predict(x_te)))


def diverging_run(progress: Progress) -> None:
    """A run whose learning rate is far too high: the loss overflows and the script fails."""
    progress("digits-sgd: a run that diverges")
    params = {
        "model": "SGDClassifier",
        "loss": "squared_error",
        "alpha": 0.0,
        "eta0": 50.0,
        "epochs": 25,
    }
    with (
        contextlib.suppress(FloatingPointError),
        DIGITS_SGD.run("sgd-exploding-lr", params, uses_dataset=False) as run,
    ):
        loss = 1.0
        for epoch in range(12):
            loss = loss * 40.0 if epoch < 8 else float("inf") if epoch < 10 else float("nan")
            run.log_metric("train/loss", loss, step=epoch)
        raise FloatingPointError("training diverged: train/loss is NaN after epoch 11")


def cancer_mlp(progress: Progress, work: Path) -> None:
    """A grid of small MLPs on breast cancer; each run logs its fitted model."""
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.neural_network import MLPClassifier

    x_tr, x_te, y_tr, y_te = scaled_split(load_breast_cancer)
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
        with CANCER_MLP.run(f"mlp-{params['hidden']}-lr{lr:g}-a{alpha:g}", params) as run:
            clf = MLPClassifier(
                hidden_layer_sizes=hidden, learning_rate_init=lr, alpha=alpha, random_state=0
            )
            for epoch in range(MLP_EPOCHS):
                clf.partial_fit(x_tr, y_tr, classes=[0, 1])
                metrics = {
                    "train/loss": clf.loss_,
                    "train/acc": accuracy_score(y_tr, clf.predict(x_tr)),
                    "val/acc": accuracy_score(y_te, clf.predict(x_te)),
                    "val/auc": roc_auc_score(y_te, clf.predict_proba(x_te)[:, 1]),
                }
                run.log_metrics(metrics, step=epoch)
            path = work / f"mlp-{run.id[:8]}.joblib"
            joblib.dump(clf, path)
            run.log_artifact(path, name="model.joblib")
            print(f"final val/acc {accuracy_score(y_te, clf.predict(x_te)):.4f}")


def wine_boosting(progress: Progress) -> None:
    """A grid of gradient-boosted trees on wine, logged stage by stage."""
    from sklearn.datasets import load_wine
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import accuracy_score, log_loss

    x_tr, x_te, y_tr, y_te = scaled_split(load_wine)
    grid = list(product([0.05, 0.1, 0.3], [2, 3]))
    for i, (lr, depth) in enumerate(grid, 1):
        progress(f"wine-boosting: run {i}/{len(grid)}")
        params = {
            "model": "GradientBoostingClassifier",
            "learning_rate": lr,
            "max_depth": depth,
            "n_estimators": BOOSTING_TREES,
            "subsample": 0.8,
        }
        with WINE_BOOSTING.run(f"gb-lr{lr:g}-d{depth}", params) as run:
            clf = GradientBoostingClassifier(
                learning_rate=lr,
                max_depth=depth,
                n_estimators=BOOSTING_TREES,
                subsample=0.8,
                random_state=0,
            ).fit(x_tr, y_tr)
            stages = zip(clf.staged_predict_proba(x_tr), clf.staged_predict_proba(x_te))
            for stage, (p_tr, p_te) in enumerate(stages):
                metrics = {
                    "train/loss": log_loss(y_tr, p_tr, labels=clf.classes_),
                    "val/loss": log_loss(y_te, p_te, labels=clf.classes_),
                    "val/acc": accuracy_score(y_te, clf.classes_[p_te.argmax(1)]),
                }
                run.log_metrics(metrics, step=stage)
