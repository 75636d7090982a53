"""User text holding a newline and terminal escapes stays on its own line in every line-based
text output (``models``, ``data``): each field is shown escaped, not only the final text."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

import mlops_desktop as mlops
from mlops_desktop.catalog.dataset_schema import dataset_t
from mlops_desktop.catalog.model_schema import model_t
from mlops_desktop.cli import main
from mlops_desktop.services.catalog_open import open_catalog

HOSTILE = "\x1b[2J\nX"  # clears the screen, then starts a line of its own
SHOWN = "\\x1b[2J\\nX"


def _assert_kept_on_its_line(out: str, shown: bool = True) -> None:
    assert "\x1b" not in out, out
    assert not [line for line in out.splitlines() if line.startswith("X")], out
    assert SHOWN in out or not shown, out


def _rename(home: Path, table: object, old: str, new: str) -> None:
    """What a shared catalog written by another client may hold: a name never validated."""
    catalog = open_catalog(home)
    try:
        with catalog.session_scope(write=True) as s:
            s.execute(update(table).where(table.c.name == old).values(name=new))  # type: ignore[attr-defined]
    finally:
        catalog.dispose()


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_models_text_shows_a_hostile_name_tag_and_run_escaped(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.joblib").write_bytes(b"not really a model")
    with mlops.start_run("exp\x1b[2J", name="run\x1b[2J") as run:  # names: no line breaks
        run.log_metric("acc\x1b[31m", 0.5)
        run.log_artifact(tmp_path / "m.joblib", name="model.joblib")
        rid = run.id
    _cli(capsys, "models", "register", rid, "model.joblib", "--name", "clf")
    _cli(capsys, "models", "tag", "clf:1", "note=" + HOSTILE)
    _rename(temp_home, model_t, "clf", "clf" + HOSTILE)
    name = "clf" + HOSTILE
    for args in (
        ("show", f"{name}:1"),
        ("list",),
        ("history", name),
        ("tag", f"{name}:1", "other=" + HOSTILE),
    ):
        _assert_kept_on_its_line(_cli(capsys, "models", *args))
    _assert_kept_on_its_line(_cli(capsys, "models", "versions", name), shown=False)


def test_data_text_shows_a_hostile_name_file_and_message_escaped(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("x,y\n1,2\n")
    _cli(capsys, "data", "add", str(folder), "--name", "ds", "--message", "one")
    (folder / ("b" + HOSTILE + ".txt")).write_text("hello")
    _cli(capsys, "data", "add", str(folder), "--name", "ds", "--message", "two" + HOSTILE)
    _rename(temp_home, dataset_t, "ds", "ds" + HOSTILE)
    name = "ds" + HOSTILE
    for args in (("list",), ("versions", name), ("diff", name, "1", "2")):
        _assert_kept_on_its_line(_cli(capsys, "data", *args))
