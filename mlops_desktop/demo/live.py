"""A longer demo training (about three minutes) run in its own process while the GUI is open.

It trains an MLP on the digits data mini-batch by mini-batch and logs every batch, so the
Experiments pane shows a run whose curves and log grow live. ``python -m
mlops_desktop.demo.live`` runs it; :func:`start_live_training` starts that process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import mlops_desktop as mlops
from mlops_desktop.demo.recorded_gpus import RecordedGpus
from mlops_desktop.demo.sklearn_data import scaled_split

HIDDEN = (128, 64)
LEARNING_RATE = 0.001
SEED = 1


def start_live_training(home: Path) -> subprocess.Popen[bytes]:
    """Start the live training in a separate process (output in ``HOME/demo-live.out``)."""
    env = dict(os.environ, MLOPS_DESKTOP_HOME=str(home))
    with open(home / "demo-live.out", "ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "mlops_desktop.demo.live"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def main(epochs: int = 60, batch: int = 64, pause_s: float = 0.12) -> None:
    """Train and log, pausing ``pause_s`` after each mini-batch so the charts visibly grow."""
    from sklearn.datasets import load_digits
    from sklearn.metrics import accuracy_score
    from sklearn.neural_network import MLPClassifier

    warnings.simplefilter("ignore")
    x_tr, x_te, y_tr, y_te = scaled_split(load_digits, seed=SEED)
    classes = np.unique(np.concatenate([y_tr, y_te]))
    params = {
        "model": "MLPClassifier",
        "hidden": "x".join(map(str, HIDDEN)),
        "learning_rate_init": LEARNING_RATE,
        "batch_size": batch,
        "epochs": epochs,
    }
    tags = {"dataset": "digits", "family": "neural", "demo": "live"}
    with mlops.start_run("digits-mlp-live", name="mlp-live", params=params, tags=tags) as run:
        run.use_dataset("digits", strict=False)  # the demo registers it; warn if not
        clf = MLPClassifier(
            hidden_layer_sizes=HIDDEN, learning_rate_init=LEARNING_RATE, random_state=SEED
        )
        rng = np.random.default_rng(SEED)
        gpus = RecordedGpus(run)
        step = 0
        for epoch in range(epochs):
            order = rng.permutation(len(x_tr))
            for start in range(0, len(order), batch):
                idx = order[start : start + batch]
                clf.partial_fit(x_tr[idx], y_tr[idx], classes=classes)
                run.log_metric("train/batch_loss", clf.loss_, step=step)
                gpus.log()
                step += 1
                time.sleep(pause_s)
            val_acc = accuracy_score(y_te, clf.predict(x_te))
            run.log_metrics({"train/loss": clf.loss_, "val/acc": val_acc}, step=epoch)
            print(
                f"epoch {epoch + 1}/{epochs}: loss {clf.loss_:.4f}  val/acc {val_acc:.4f}",
                flush=True,
            )
        gpus.close()


if __name__ == "__main__":
    main()
