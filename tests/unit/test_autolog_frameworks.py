"""Lightning and Keras autologging, for real where the frameworks are installed (they are not
in the test extra: these tests run where a developer installed them)."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import pytest
from autolog_scripts import catalog_runs, run_script


def _installed(*names: str) -> bool:
    return all(importlib.util.find_spec(name) is not None for name in names)


LIGHTNING = textwrap.dedent(
    """
    import json
    import mlops_desktop as mlops
    mlops.autolog()
    import torch
    from torch import nn
    import lightning.pytorch as pl
    from torch.utils.data import DataLoader, TensorDataset

    class Regressor(pl.LightningModule):
        def __init__(self, lr=0.05, hidden=8, explode=False):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        def training_step(self, batch, idx):
            if self.hparams.explode:
                raise FloatingPointError("the user's own bug")
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss
        def validation_step(self, batch, idx):
            x, y = batch
            self.log("val_loss", nn.functional.mse_loss(self.net(x), y))
        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    def trainer(root):
        return pl.Trainer(max_epochs=3, logger=False, enable_progress_bar=False,
                          enable_model_summary=False, default_root_dir=root)

    torch.manual_seed(0)
    x = torch.randn(64, 4)
    data = DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=16)
    mlops.set_experiment("lightning")
    t = trainer("ckpt-a")
    t.fit(Regressor(), data, data)
    callbacks_after = [type(c).__name__ for c in t.callbacks]
    try:
        trainer("ckpt-b").fit(Regressor(explode=True), data)
    except FloatingPointError as exc:
        error = str(exc)
    print(json.dumps({"callbacks_after": callbacks_after, "error": error}))
    """
)


@pytest.mark.skipif(not _installed("torch", "lightning"), reason="lightning is not installed")
def test_lightning_fit_logs_epochs_hparams_checkpoint_and_model(
    temp_home: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = run_script(f"import os; os.chdir({str(work)!r})\n" + LIGHTNING, temp_home)
    assert "AutologCallback" not in result["callbacks_after"]  # taken out after the fit
    assert result["error"] == "the user's own bug"
    svc, runs = catalog_runs(temp_home)
    try:
        done = next(r for r in runs if r.status == "finished")
        failed = next(r for r in runs if r.status == "failed")
        assert len(runs) == 2 and failed.tags["mlops.autologging"] == "lightning"
        assert done.experiment == "lightning"
        assert done.params["lr"] == 0.05 and done.params["hidden"] == 8
        assert done.params["epochs"] == 3 and done.params["optimizer_name"] == "SGD"
        for key in ("train_loss", "val_loss"):
            series = svc.metric_series(done.id, key)
            assert list(series.steps) == [0, 1, 2]
        files = {a.name for a in svc.get_run(done.id).artifacts}
        assert any(f.startswith("checkpoints/") and f.endswith(".ckpt") for f in files)
        assert {"model/MLmodel", "model/state_dict.pt"} <= files
    finally:
        svc.close()


KERAS = textwrap.dedent(
    """
    import json
    import mlops_desktop as mlops
    import numpy as np
    import keras

    mlops.autolog()  # keras already imported: patched at once
    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    y = x.sum(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    with mlops.start_run(run_name="mine") as run:
        history = model.fit(x, y, 16, 3, 0, validation_split=0.25)  # positional batch, epochs
    print(json.dumps({"epochs": len(history.history["loss"])}))
    """
)


@pytest.mark.skipif(not _installed("torch", "keras"), reason="keras (with torch) not installed")
def test_keras_fit_logs_epochs_params_and_the_saved_model(temp_home: Path) -> None:
    result = run_script(KERAS, temp_home, KERAS_BACKEND="torch")
    assert result == {"epochs": 3}
    svc, runs = catalog_runs(temp_home)
    try:
        (run,) = runs
        assert run.name == "mine" and run.status == "finished"
        assert run.params["epochs"] == 3 and run.params["batch_size"] == 16
        assert run.params["optimizer_name"] == "Adam"
        assert run.params["opt_learning_rate"] == pytest.approx(0.01)
        for key in ("loss", "mae", "val_loss", "val_mae"):
            assert list(svc.metric_series(run.id, key).steps) == [0, 1, 2]
        stored = {a.name: Path(a.path) for a in svc.get_run(run.id).artifacts}
        assert stored["model/model.keras"].stat().st_size > 0
        assert json.loads(json.dumps(run.params))  # plain JSON values
    finally:
        svc.close()
