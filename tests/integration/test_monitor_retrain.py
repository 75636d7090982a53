"""The retraining loop end to end from the command line: a launched training registers the
champion, files drift into an alert, ``monitors retrain`` launches a real local job on the
newest dataset version, its model becomes a challenger scored beside the champion, and
``monitors promote`` moves the alias (audited); the lineage reads alert → run → version."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from mlops_desktop.cli import main
from mlops_desktop.services.bundle import Services

TRAIN = [sys.executable, "-m", "mlops_desktop.demo.train_classifier"]
COLUMNS = ("a", "b", "c", "d")


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main([*args, "--json"] if "--" not in args else list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _rows(path: Path, n: int, shift: float, seed: int) -> None:
    """Rows whose label depends on a and b; ``shift`` moves every column's distribution and
    the boundary with it (as after a recalibration)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(n, len(COLUMNS))) * (1 + shift) + 2 * shift
    label = ((x[:, 0] - 2 * shift) + (x[:, 1] - 2 * shift) * 0.5 > 0.4 * shift).astype(int)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols: dict[str, Any] = {c: np.round(x[:, i], 5) for i, c in enumerate(COLUMNS)}
    pacsv.write_csv(pa.table({**cols, "label": label}), path)


def _wait_ended(capsys: pytest.CaptureFixture[str], run: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = next(j for j in _json(capsys, "jobs", "list", "--all") if j["run"] == run)
        if job["state"] in ("finished", "failed", "cancelled", "lost"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"job {run} did not end")


def test_retrain_challenger_scores_promote(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cells"
    _rows(data / "cells.csv", 800, 0.0, 1)
    _json(capsys, "data", "add", str(data), "--name", "cells", "--snapshot")
    # the champion: a launched training on cells@v1, registered from its artifact
    first = _json(capsys, "launch", "--json", "--dataset", "cells", "-e", "cells", "--",
                  *TRAIN, "--dataset", "cells", "--label", "label")  # fmt: skip
    assert _wait_ended(capsys, first["run"])["state"] == "finished"
    _json(capsys, "models", "register", first["run"], "model.joblib", "--name", "cells-clf")
    _json(capsys, "models", "alias", "cells-clf", "1", "champion")

    incoming = tmp_path / "incoming"
    incoming.mkdir()
    added = _json(capsys, "monitors", "add", "cells-mon", "--model", "cells-clf@champion",
                  "--current-folder", str(incoming), "--alert-after", "2",
                  "--alert-window", "3", "--label", "label")  # fmt: skip
    assert added["reference"] == "cells@v1"
    # newer labelled data arrives as a dataset version: the retrain trains on it
    _rows(data / "cells.csv", 800, 1.0, 2)
    _json(capsys, "data", "add", str(data), "--name", "cells", "--snapshot")

    for i, shift in enumerate((0.0, 1.0, 1.0)):
        _rows(incoming / f"batch-{i:02d}.csv", 300, shift, 10 + i)
    checked = _json(capsys, "monitors", "check", "cells-mon")
    drifts = [w["dataset_drift"] for w in checked["windows"]]
    assert drifts == [False, True, True]
    (alert,) = checked["alerts"]
    with Services.open(temp_home) as services:  # the Models pane badges the watched version
        assert services.monitors.version_alerts("cells-clf") == {1: [alert["reason"]]}
        assert services.monitors.version_alerts("other-model") == {}

    launched = _json(capsys, "monitors", "retrain", "cells-mon", "--json")
    assert {"run", "target", "state"} <= set(launched) and launched["target"] == "local"
    shown = _json(capsys, "monitors", "show", "cells-mon")
    alerts = shown["alerts"]
    assert [a["retrain_run"] for a in alerts if a["id"] == alert["id"]] == [launched["run"]]
    assert _wait_ended(capsys, launched["run"])["state"] == "finished"
    run = _json(capsys, "runs", "show", launched["run"])
    assert run["tags"]["monitor"] == "cells-mon" and run["tags"]["alert"] == str(alert["id"])
    assert run["name"] == f"retrain-cells-mon-alert{alert['id']}"
    assert [f"{d['name']}@{d['version']}" for d in run["datasets"]] == ["cells@v2"]

    scores = _json(capsys, "monitors", "scores", "cells-mon")
    champion, challenger = scores
    assert champion["version"] == "1" and champion["aliases"] == ["champion"]
    assert challenger["version"] == "2" and challenger["run"] == launched["run"]
    assert challenger["alert"] == alert["id"] and challenger["window"] == 2
    for s in scores:
        assert s["problem"] is None and set(s["metrics"]) == {"accuracy", "f1", "roc_auc"}
    assert challenger["metrics"]["accuracy"] > champion["metrics"]["accuracy"]
    # scoring again registers nothing new
    assert len(_json(capsys, "monitors", "scores", "cells-mon")) == 2

    promoted = _json(capsys, "monitors", "promote", "cells-mon", "2")
    assert promoted == {"monitor": "cells-mon", "model": "cells-clf", "version": 2,
                        "alias": "champion"}  # fmt: skip
    history = _json(capsys, "models", "history", "cells-clf")
    moves = [h["detail"] for h in history if h["action"] == "alias_moved"]
    assert moves[0] == {"alias": "champion", "from": 1, "to": 2}

    from mlops_desktop.services.models import ModelService

    models = ModelService.open(temp_home)
    try:
        lineage = models.lineage("cells-clf:2")
    finally:
        models.close()
    akey = f"alert:cells-mon:{alert['id']}"
    assert (akey, launched["run"]) in lineage.edges
    assert (launched["run"], "cells-clf:2") in lineage.edges
    assert ("cells@v2", launched["run"]) in lineage.edges
