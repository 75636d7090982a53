"""The ``drift`` command on files and dataset versions; bad input exits 2 in one sentence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops_desktop.cli import main


def write_csv(path: Path, rows: int, shift: float, seed: int, sep: str = ",") -> Path:
    rng = np.random.default_rng(seed)
    cities = rng.choice(["paris", "rome", "oslo"], rows, p=[0.5 - shift / 2, 0.3, 0.2 + shift / 2])
    lines = [sep.join(["x", "y", "city"])]
    for x, y, c in zip(rng.normal(shift, 1, rows), rng.uniform(0, 1, rows), cities, strict=True):
        lines.append(sep.join([f"{x:.5f}", f"{y:.5f}", str(c)]))
    path.write_text("\n".join(lines) + "\n")
    return path


def drift_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(["drift", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["drift", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_files_with_and_without_drift(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ref = write_csv(tmp_path / "ref.csv", 3000, 0.0, 1, sep=";")  # sniffed delimiter
    same = write_csv(tmp_path / "same.csv", 1500, 0.0, 2)
    moved = write_csv(tmp_path / "moved.csv", 1500, 0.6, 3)
    doc = drift_json(capsys, str(ref), str(same))
    assert doc["dataset_drift"] is False and doc["drift_share"] == 0.0
    assert [c["column"] for c in doc["columns"]] == ["x", "y", "city"]
    assert {k for k in doc["columns"][0]} >= {
        "column",
        "kind",
        "method",
        "statistic",
        "p_value",
        "threshold",
        "drifted",
    }
    assert [c["method"] for c in doc["columns"]] == ["wasserstein", "wasserstein", "jensenshannon"]
    for flags in ([], ["--exact"]):
        doc = drift_json(capsys, str(ref), str(moved), *flags)
        assert doc["dataset_drift"] is True
        assert [c["drifted"] for c in doc["columns"]] == [True, False, True]
    doc = drift_json(capsys, str(ref), str(moved), "--method", "x=ks", "--exact")
    assert doc["columns"][0]["method"] == "ks" and doc["columns"][0]["p_value"] < 0.05
    assert main(["drift", str(ref), str(moved)]) == 0
    out = capsys.readouterr().out
    assert "Dataset drift: 2 of 3 columns drifted" in out and "wasserstein" in out


def test_missing_extra_and_retyped_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ref = write_csv(tmp_path / "ref.csv", 2000, 0.0, 1)
    cur = tmp_path / "cur.parquet"
    pq.write_table(pa.table({"x": ["a", "b"] * 50, "city": ["rome"] * 100, "z": [1] * 100}), cur)
    doc = drift_json(capsys, str(ref), str(cur))
    by = {c["column"]: c for c in doc["columns"]}
    assert by["y"]["problem"] == "missing in the current data" and not by["y"]["drifted"]
    assert by["x"]["problem"] == "numbers in the reference but text in the current data"
    assert by["city"]["drifted"] is True
    assert any("z" in p for p in doc["problems"]) and any("y" in p for p in doc["problems"])


def test_dataset_versions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write_csv(src / "part.csv", 2000, 0.0, 1)
    (src / "readme.txt").write_text("not a table")
    assert main(["data", "add", str(src), "--name", "wine", "--snapshot", "--json"]) == 0
    write_csv(src / "part.csv", 2000, 0.6, 2)
    assert main(["data", "add", str(src), "--name", "wine", "--snapshot", "--json"]) == 0
    capsys.readouterr()
    doc = drift_json(capsys, "wine@v1", "wine@v2")
    assert doc["dataset_drift"] is True and doc["reference_rows"] == 2000
    assert drift_json(capsys, "wine@v1", str(src / "part.csv"), "--exact")["dataset_drift"]
    assert "wine" in fails(capsys, "wine@v9", "wine@v1")
    assert "nope" in fails(capsys, "nope@v1", "wine@v1")


def test_bad_input_exits_2_with_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ref = write_csv(tmp_path / "ref.csv", 200, 0.0, 1)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("x,y,city\n")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    assert "empty" in fails(capsys, str(ref), str(empty))
    assert "no rows" in fails(capsys, str(ref), str(header_only))
    assert "not a complete Parquet file" in fails(capsys, str(ref), str(broken))
    assert "does not exist" in fails(capsys, str(ref), str(tmp_path / "gone.csv"))
    assert "no drift method" in fails(capsys, str(ref), str(ref), "--method", "x=ttest")
    assert "needs numbers" in fails(capsys, str(ref), str(ref), "--method", "city=ks")
    assert "is not KEY=VALUE" in fails(capsys, str(ref), str(ref), "--method", "x")
