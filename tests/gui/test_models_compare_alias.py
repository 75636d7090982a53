"""Models pane: moving an alias asks first; Compare colours deltas and differing params."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QTableWidget
from test_models_pane import make_pane, wait_card

import mlops_desktop
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.panes.models.compare_colors import (
    BETTER_COLOR,
    DIFFERENT_COLOR,
    WORSE_COLOR,
    change_verdict,
    lower_is_better,
)
from mlops_desktop.ui.panes.models.detail import TAB_COMPARE
from mlops_desktop.ui.panes.models.pane import ModelsPane


@pytest.fixture
def models(service: Any, home: Path) -> ModelService:
    return ModelService(service.catalog, home)


def register_run(home: Path, service: Any, models: ModelService, tmp: Path, **values: Any) -> None:
    artifact = tmp / "model.bin"
    artifact.parent.mkdir(parents=True, exist_ok=True)
    artifact.write_bytes(repr(values).encode())
    run = mlops_desktop.start_run(
        "wine", params=values["params"], home=home, capture_env=False, capture_output=False
    )
    with run:
        for key, value in values["metrics"].items():
            run.log_metric(key, value)
        run.log_artifact(artifact)
    service.ingest()
    models.register("wine-clf", run_id=run.id, artifact="model.bin")


@pytest.fixture
def pane(
    qtbot: Any, models: Any, runner: Any, service: Any, home: Path, tmp_path: Path
) -> Iterator[ModelsPane]:
    register_run(
        home,
        service,
        models,
        tmp_path / "a",
        params={"depth": 3, "seed": 0},
        metrics={"acc": 0.90, "val/loss": 0.30, "rmse": 2.0},
    )
    register_run(
        home,
        service,
        models,
        tmp_path / "b",
        params={"depth": 5, "seed": 0},
        metrics={"acc": 0.95, "val/loss": 0.40, "rmse": 1.5},
    )
    models.set_alias("wine-clf", 1, "champion")
    yield from make_pane(qtbot, models, runner)


def rows(table: QTableWidget) -> dict[str, int]:
    return {table.item(r, 0).text(): r for r in range(table.rowCount())}


def test_lower_is_better_rule() -> None:
    for name in ("loss", "val/loss", "train_loss", "logloss", "test_rmse", "error_rate", "MAE"):
        assert lower_is_better(name), name
    for name in ("acc", "val/acc", "f1", "auc", "r2", "precision", "lossless_ratio_gain"):
        assert not lower_is_better(name), name
    assert change_verdict("acc", 0.9, 0.95) == "better"
    assert change_verdict("loss", 0.3, 0.4) == "worse"
    assert change_verdict("loss", 0.3, 0.3) == ""
    assert change_verdict("loss", 0.3, float("nan")) == ""


def test_compare_colours_deltas_and_marks_differing_params(qtbot: Any, pane: ModelsPane) -> None:
    wait_card(qtbot, pane, 2)
    with qtbot.waitSignal(pane.detail.compare.compared, timeout=10000):
        pane.detail.tabs.setCurrentIndex(TAB_COMPARE)
    metrics = pane.detail.compare.metrics
    at = rows(metrics)
    colour = {key: metrics.item(row, 3).foreground().color().name() for key, row in at.items()}
    assert colour["acc"] == BETTER_COLOR  # higher accuracy: better
    assert colour["val/loss"] == WORSE_COLOR  # higher loss: worse
    assert colour["rmse"] == BETTER_COLOR  # lower error: better
    assert "lower is better" in metrics.item(at["rmse"], 3).toolTip()

    params = pane.detail.compare.params
    at = rows(params)
    assert params.item(at["depth"], 1).foreground().color().name() == DIFFERENT_COLOR
    assert params.item(at["depth"], 0).font().bold()
    assert not params.item(at["seed"], 0).font().bold()
    assert params.item(at["seed"], 0).foreground().color().name() != DIFFERENT_COLOR


def test_moving_the_champion_asks_naming_the_version_it_moves_from(
    qtbot: Any, pane: ModelsPane
) -> None:
    wait_card(qtbot, pane, 2)
    qtbot.waitUntil(lambda: pane.detail.aliases() == {"champion": 1})
    pane.model_actions.set_alias.trigger()
    dialog = pane.model_actions.dialog
    dialog.combo.setCurrentText("champion")
    dialog.accept()
    box = pane.model_actions.message_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "from v1 to v2" in box.text() and "wine-clf@champion" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not box.isVisible()
    assert pane.model_actions.dialog is dialog  # Cancel started nothing
    assert pane.detail.aliases() == {"champion": 1}

    pane.model_actions.set_alias.trigger()
    dialog = pane.model_actions.dialog
    dialog.combo.setCurrentText("challenger")  # a new alias: no question
    dialog.accept()
    qtbot.waitUntil(
        lambda: pane.detail.aliases() == {"champion": 1, "challenger": 2}, timeout=10000
    )
