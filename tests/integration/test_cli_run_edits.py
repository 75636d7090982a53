"""``runs rename|tag|delete|restore|trash`` and the ``error`` of ``runs show``: JSON
contracts, and one sentence with exit status 2 on bad input."""

from __future__ import annotations

import json

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def two_runs() -> list[str]:
    ids = []
    for i in range(2):
        with mlops.start_run("edits", name=f"r{i}", tags={"team": "a"}) as run:
            run.log_metric("acc", 0.5 + i / 10)
            ids.append(run.id)
    return ids


def test_rename_and_tag(capsys: pytest.CaptureFixture[str]) -> None:
    rid, _ = two_runs()
    doc = cli_json(capsys, "runs", "rename", rid[:6], "baseline")
    assert doc == {"id": rid, "name": "baseline", "tags": {"team": "a"}}
    doc = cli_json(capsys, "runs", "tag", rid[:6], "stage=prod", "note=a=b", "--remove", "team")
    assert doc == {"id": rid, "name": "baseline", "tags": {"stage": "prod", "note": "a=b"}}
    shown = cli_json(capsys, "runs", "show", rid)
    assert isinstance(shown, dict) and shown["name"] == "baseline"
    assert shown["tags"] == {"stage": "prod", "note": "a=b"}
    assert main(["runs", "tag", rid, "x=1"]) == 0
    assert "x = 1" in capsys.readouterr().out


def test_rename_and_tag_refuse_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    rid, _ = two_runs()
    assert "empty" in refused(capsys, "runs", "rename", rid, "  ")
    assert "No run" in refused(capsys, "runs", "rename", "zzzzzz", "x")
    assert "not KEY=VALUE" in refused(capsys, "runs", "tag", rid, "novalue")
    assert "holds" in refused(capsys, "runs", "tag", rid, "a:b=1")
    assert "no tag 'nope'" in refused(capsys, "runs", "tag", rid, "--remove", "nope")
    assert "KEY=VALUE" in refused(capsys, "runs", "tag", rid)


def test_delete_restore_and_trash(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = two_runs()
    assert cli_json(capsys, "runs", "delete", a[:6]) == {"trashed": [a], "children": []}
    listed = cli_json(capsys, "runs", "list")
    assert isinstance(listed, list) and [r["id"] for r in listed] == [b]
    trash = cli_json(capsys, "runs", "trash")
    assert isinstance(trash, list) and [t["id"] for t in trash] == [a]
    assert set(trash[0]) == {"id", "experiment", "name", "status", "started_at", "deleted_at"}
    shown = cli_json(capsys, "runs", "show", a)
    assert isinstance(shown, dict) and shown["deleted_at"] == trash[0]["deleted_at"]
    assert main(["runs", "show", a]) == 0
    assert "in trash" in capsys.readouterr().out
    assert cli_json(capsys, "runs", "restore", a) == {"restored": [a], "children": []}
    assert "not in the trash" in refused(capsys, "runs", "restore", a)
    assert main(["runs", "delete", a, b]) == 0
    assert "Moved 2 runs to the trash" in capsys.readouterr().out
    emptied = cli_json(capsys, "runs", "trash", "--empty")
    assert emptied == {"deleted": sorted([a, b]), "kept": []}
    assert cli_json(capsys, "runs", "trash") == []
    assert "No run" in refused(capsys, "runs", "show", a)
    assert "No run" in refused(capsys, "runs", "delete", "zzzzzz")


def test_a_running_run_is_not_deleted(capsys: pytest.CaptureFixture[str]) -> None:
    with mlops.start_run("edits", name="live") as run:
        run.log_metric("acc", 0.1)
        run.flush()
        assert "stop it first" in refused(capsys, "runs", "delete", run.id)


def test_runs_show_error(capsys: pytest.CaptureFixture[str]) -> None:
    ok, _ = two_runs()
    with pytest.raises(ZeroDivisionError), mlops.start_run("edits", name="boom") as run:
        1 / 0  # noqa: B018
    shown = cli_json(capsys, "runs", "show", run.id)
    assert isinstance(shown, dict) and shown["error"] == "ZeroDivisionError: division by zero"
    assert shown["status"] == "failed"
    assert main(["runs", "show", run.id]) == 0
    assert "error       ZeroDivisionError: division by zero" in capsys.readouterr().out
    fine = cli_json(capsys, "runs", "show", ok)
    assert isinstance(fine, dict) and fine["error"] is None and fine["deleted_at"] is None
