"""A model exported from one home and imported into a fresh one keeps its card and lineage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main

CARD_KEYS = (
    "run",
    "run_summary",
    "datasets",
    "code",
    "environment",
    "signature",
    "signature_source",
    "fingerprint",
    "description",
    "files",
)


def _cli(capsys: pytest.CaptureFixture[str], *args: str, home: Path | None = None) -> Any:
    pre = ["--home", str(home)] if home else []
    code = main([*pre, *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str, Any]:
    """Home A: a dataset, a run that used it, a version of its model; exported."""
    (tmp_path / "wine.csv").write_text("acidity;quality\n7.4;5\n7.8;6\n")
    _cli(capsys, "data", "add", str(tmp_path / "wine.csv"), "--name", "wine")
    (tmp_path / "m.joblib").write_bytes(b"not really a model")
    (tmp_path / "input_example.csv").write_text("acidity,alcohol\n7.4,9.4\n")
    with mlops.start_run("wine", name="train", params={"alpha": 0.5}) as run:
        run.use_dataset("wine")
        run.log_metric("rmse", 0.71)
        run.log_artifact(tmp_path / "m.joblib", name="model.joblib")
        run.log_artifact(tmp_path / "input_example.csv")
        rid = run.id
    _cli(capsys, "models", "register", rid, "model.joblib", "--name", "wine-model")
    _cli(capsys, "models", "describe", "wine-model:1", "elastic net")
    archive = tmp_path / "wine-model-1.tar.gz"
    _cli(capsys, "models", "export", "wine-model:1", str(archive))
    return archive, rid, _cli(capsys, "models", "show", "wine-model:1")


def test_import_into_a_fresh_home_keeps_the_whole_card_marked_from_archive(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive, rid, original = _exported(tmp_path, capsys)
    assert original["lineage"]["from_archive"] is None
    assert original["run_summary"] is not None and original["datasets"]
    assert original["environment"]["python"] and original["signature"]
    fresh = tmp_path / "home-b"
    _cli(capsys, "models", "import", str(archive), home=fresh)
    copy = _cli(capsys, "models", "show", "wine-model:1", home=fresh)
    for key in CARD_KEYS:
        assert copy[key] == original[key], key
    assert copy["run"] == rid and copy["lineage"]["run"] == rid
    for key in ("run", "datasets", "code", "nodes", "edges"):
        assert copy["lineage"][key] == original["lineage"][key], key
    fields = ["run", "datasets", *(["code"] if original["code"] else [])]
    assert copy["lineage"]["from_archive"] == {
        "archive": str(archive.resolve()),
        "model": "wine-model:1",
        "run": rid,
        "fields": [*fields, "environment", "signature", "lineage"],
    }
    imported = copy["history"][0]
    assert imported["action"] == "imported" and "card" not in imported["detail"]
    text = main(["--home", str(fresh), "models", "show", "wine-model:1"])
    out = capsys.readouterr().out
    assert text == 0 and "from archive" in out and "wine@v1" in out
    # and on again, from the fresh home into a third one
    second = tmp_path / "again.zip"
    _cli(capsys, "models", "export", "wine-model:1", str(second), home=fresh)
    third = tmp_path / "home-c"
    _cli(capsys, "models", "import", str(second), home=third)
    onward = _cli(capsys, "models", "show", "wine-model:1", home=third)
    for key in CARD_KEYS:
        assert onward[key] == original[key], key
    assert onward["lineage"]["from_archive"]["run"] == rid


def test_import_where_the_run_exists_shows_the_live_run(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive, rid, original = _exported(tmp_path, capsys)
    copy = _cli(capsys, "models", "import", str(archive), "--name", "copy")
    assert copy["run"] == rid
    shown = _cli(capsys, "models", "show", "copy")
    assert shown["lineage"]["from_archive"] is None
    assert shown["run_summary"] == original["run_summary"]
    again = _cli(capsys, "models", "export", "copy:1", str(tmp_path / "copy.zip"))
    assert Path(again["file"]).is_file()
