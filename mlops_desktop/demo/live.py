"""A longer demo training (about three minutes) run in its own process while the GUI is open.

It trains an MLP on the digits data mini-batch by mini-batch and logs every batch, so the
Experiments pane shows a run whose curves and log grow live.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import mlops_desktop as mlops


def main(epochs: int = 60, batch: int = 64, pause_s: float = 0.12) -> None:
    from sklearn.datasets import load_digits
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    warnings.simplefilter("ignore")
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=1, stratify=y)
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_te = scaler.transform(x_tr), scaler.transform(x_te)
    classes = np.unique(y)
    params = {
        "model": "MLPClassifier",
        "hidden": "128x64",
        "learning_rate_init": 0.001,
        "batch_size": batch,
        "epochs": epochs,
    }
    with mlops.start_run(
        "digits-mlp-live",
        name="mlp-live",
        params=params,
        tags={"dataset": "digits", "family": "neural", "demo": "live"},
    ) as run:
        run.use_dataset("sklearn:digits")
        clf = MLPClassifier(hidden_layer_sizes=(128, 64), learning_rate_init=0.001, random_state=1)
        rng = np.random.default_rng(1)
        step = 0
        for epoch in range(epochs):
            order = rng.permutation(len(x_tr))
            for start in range(0, len(order), batch):
                idx = order[start : start + batch]
                clf.partial_fit(x_tr[idx], y_tr[idx], classes=classes)
                run.log_metric("train/batch_loss", clf.loss_, step=step)
                step += 1
                time.sleep(pause_s)  # paced, so the charts visibly grow
            val_acc = accuracy_score(y_te, clf.predict(x_te))
            run.log_metrics({"train/loss": clf.loss_, "val/acc": val_acc}, step=epoch)
            print(
                f"epoch {epoch + 1}/{epochs}: loss {clf.loss_:.4f}  val/acc {val_acc:.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
