"""The ``monitors`` commands end to end: files arrive, windows drift, the alert fires after K,
a bad file keeps the monitor going, ack closes the alert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from mlops_desktop.cli import main


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    cut = args.index("--retrain") if "--retrain" in args else len(args)
    assert main([*args[:cut], "--json", *args[cut:]]) == 0
    return json.loads(capsys.readouterr().out)


def _batch(path: Path, n: int, shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pacsv.write_csv(
        pa.table(
            {
                "alcohol": rng.normal(12 + shift, 1.0, n),
                "acid": rng.normal(2 + shift, 0.5, n),
                "label": rng.integers(0, 3, n),
            }
        ),
        path,
    )


def test_monitor_files_drift_alert_ack(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    _batch(tmp_path / "ref.csv", 3000, 0.0, 1)
    added = cli_json(
        capsys, "monitors", "add", "wine", "--reference", str(tmp_path / "ref.csv"),
        "--current-folder", str(incoming), "--alert-after", "2", "--alert-window", "3",
        "--label", "label", "--retrain", "--", "python", "train.py", "--epochs", "3",
    )  # fmt: skip
    assert added["name"] == "wine"
    assert added["retrain"] == ["python", "train.py", "--epochs", "3"]
    assert [c["column"] for c in added["columns"]] == ["alcohol", "acid"]
    assert {"kind", "method"} <= set(added["columns"][0])

    assert cli_json(capsys, "monitors", "check", "wine") == {
        "monitor": "wine", "windows": [], "alerts": []
    }  # fmt: skip
    _batch(incoming / "01.csv", 500, 0.0, 2)
    _batch(incoming / "02.csv", 500, 2.0, 3)
    (incoming / "03.csv").write_text("")  # empty: a problem, the monitor goes on
    first = cli_json(capsys, "monitors", "check", "wine")
    drift = [w["dataset_drift"] for w in first["windows"]]
    assert drift == [False, True, None] and first["alerts"] == []
    assert first["windows"][2]["problem"]
    assert set(first["windows"][0]) >= {"index", "rows", "dataset_drift", "drift_share", "columns"}
    _batch(incoming / "04.csv", 500, 2.5, 4)
    second = cli_json(capsys, "monitors", "check", "wine")
    assert [a["window"] for a in second["alerts"]] == [3]
    alert_id = second["alerts"][0]["id"]
    _batch(incoming / "05.csv", 500, 2.5, 5)
    assert cli_json(capsys, "monitors", "check", "wine")["alerts"] == []  # no duplicate

    [listed] = cli_json(capsys, "monitors", "list")
    assert listed == listed | {"name": "wine", "state": "alert", "windows": 5, "alerts": 1}
    shown = cli_json(capsys, "monitors", "show", "wine")
    assert len(shown["windows"]) == 5 and shown["alerts"][0]["id"] == alert_id

    assert main(["monitors", "show", "wine"]) == 0
    text = capsys.readouterr().out
    assert "DRIFT" in text and f"alert {alert_id}" in text
    acked = cli_json(capsys, "monitors", "ack", str(alert_id))
    assert acked["acknowledged_at"] is not None
    assert cli_json(capsys, "monitors", "list")[0]["state"] == "drifting"

    assert main(["monitors", "show", "nope"]) == 2
    assert "No monitor is named nope" in capsys.readouterr().err
    assert main(["monitors", "add", "wine", "--reference", str(tmp_path / "ref.csv")]) == 2
    assert "exists already" in capsys.readouterr().err
    cli_json(capsys, "monitors", "remove", "wine")
    assert cli_json(capsys, "monitors", "list") == []
