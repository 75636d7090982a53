"""Semicolon-separated CSV files (the UCI wine data) through the CLI, the services and the
model card: every reader splits them into their real columns."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.services.artifact_content import read_artifact
from mlops_desktop.services.datasets import DatasetService
from tests.unit.test_csv_dialect import WINE_COLUMNS, WINE_ROWS, is_numeric, wine_text


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_wine_csv_profile_diff_and_preview(
    capsys: pytest.CaptureFixture[str], temp_home: Path, tmp_path: Path
) -> None:
    src = tmp_path / "wine"
    src.mkdir()
    csv_file = src / "winequality-red.csv"
    csv_file.write_text(wine_text(WINE_ROWS[:2]))
    cli_json(capsys, "data", "add", str(src), "--name", "wine", "--snapshot")
    csv_file.write_text(wine_text(WINE_ROWS))
    cli_json(capsys, "data", "add", str(src), "--name", "wine", "--snapshot")

    [profile] = cli_json(capsys, "data", "profile", "wine@v2", "--file", csv_file.name)
    assert [c["name"] for c in profile["columns"]] == WINE_COLUMNS
    assert all(is_numeric(c["type"]) for c in profile["columns"]) and profile["rows"] == 3

    diff = cli_json(capsys, "data", "diff", "wine", "v1", "v2")
    [table] = diff["tables"]
    assert (table["rows_old"], table["rows_new"]) == (2, 3)
    assert (table["rows_added"], table["rows_removed"]) == (1, 0)
    assert not [c for c in table["columns"] if c["change"] in ("added", "removed")]
    retyped = [c["column"] for c in table["columns"] if c["change"] == "retyped"]
    assert retyped == ["citric acid"]  # 0 and 0 in v1 (int64), 0.56 added in v2 (double)

    service = DatasetService.open(temp_home, None)
    try:
        preview = service.preview("wine", "v2", csv_file.name, rows=2)
    finally:
        service.close()
    assert preview.columns == WINE_COLUMNS and all(is_numeric(t) for t in preview.types)
    assert preview.rows[1][:2] == ["7.8", "0.88"]


def test_model_card_signature_and_artifact_preview_of_a_semicolon_example(
    capsys: pytest.CaptureFixture[str], temp_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "m.joblib").write_bytes(b"not really a model")
    example = tmp_path / "input_example.csv"
    example.write_text(wine_text())
    with mlops.start_run("wine", name="r") as run:
        run.log_artifact(tmp_path / "m.joblib", name="model.joblib")
        run.log_artifact(example)
        rid = run.id
    cli_json(capsys, "models", "register", rid, "model.joblib", "--name", "wine")
    show = cli_json(capsys, "models", "show", "wine:1")
    assert [name for name, _ in show["signature"]] == WINE_COLUMNS
    assert all(is_numeric(t) for _, t in show["signature"])

    content = example.read_bytes()
    hexd = hashlib.sha256(content).hexdigest()
    blob = temp_home / "artifacts" / "sha256" / hexd[:2] / hexd
    shown = read_artifact(str(blob), "input_example.csv", f"sha256:{hexd}")
    assert shown.table is not None and shown.table.columns == WINE_COLUMNS
    assert all(is_numeric(t) for t in shown.table.types)
