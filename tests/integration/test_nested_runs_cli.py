"""Nested runs on the command line: ``parent_run_id`` in ``runs list|show --json``, the parent
and children in ``runs show``, ``--filter parent_run_id``, and ``runs delete`` of a parent."""

from __future__ import annotations

import json

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.core.run_documents import RUN_SUMMARY_KEYS


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args]) == 0
    return capsys.readouterr().out


def family() -> tuple[str, list[str]]:
    with mlops.start_run(experiment="cv", run_name="search", capture_env=False) as parent:
        kids = []
        for fold in range(3):
            with mlops.start_run(run_name=f"fold-{fold}", nested=True, capture_env=False) as c:
                mlops.log_metric("acc", 0.8 + fold / 100)
                kids.append(c.id)
    return parent.id, kids


def test_json_keys_text_filter_and_delete(capsys: pytest.CaptureFixture[str]) -> None:
    parent, kids = family()
    listed = json.loads(cli(capsys, "runs", "list", "--json"))
    assert all(tuple(run) == RUN_SUMMARY_KEYS for run in listed)  # every old key, then the new
    by_id = {run["id"]: run for run in listed}
    assert by_id[parent]["parent_run_id"] is None
    assert {by_id[k]["parent_run_id"] for k in kids} == {parent}
    assert {by_id[k]["experiment"] for k in kids} == {"cv"}

    shown = json.loads(cli(capsys, "runs", "show", kids[0][:8], "--json"))
    assert shown["parent_run_id"] == parent and shown["parent_name"] == "search"
    assert shown["children"] == []
    shown = json.loads(cli(capsys, "runs", "show", parent, "--json"))
    assert [c["id"] for c in shown["children"]] == kids and shown["parent_run_id"] is None
    text = cli(capsys, "runs", "show", parent)
    assert f"children    3 ({kids[0][:8]}," in text
    assert f"parent      {parent[:8]} (search)" in cli(capsys, "runs", "show", kids[1])

    query = f'parent_run_id = "{parent}" and metrics.acc > 0.805'
    matched = json.loads(cli(capsys, "runs", "list", "--filter", query, "--json"))
    assert sorted(run["id"] for run in matched) == sorted(kids[1:])
    tops = json.loads(cli(capsys, "runs", "list", "--filter", "parent_run_id is null", "--json"))
    assert [run["id"] for run in tops] == [parent]

    said = cli(capsys, "runs", "delete", parent[:8])
    assert f"Moved 1 run to the trash ({parent[:8]}) with its 3 child runs" in said
    assert json.loads(cli(capsys, "runs", "list", "--json")) == []
    restored = json.loads(cli(capsys, "runs", "restore", parent, "--json"))
    assert restored == {"restored": [parent, *kids], "children": kids}
    moved = json.loads(cli(capsys, "runs", "delete", kids[0], "--json"))
    assert moved == {"trashed": [kids[0]], "children": []}  # a child alone: its parent stays


def test_a_running_child_keeps_its_parent_out_of_the_trash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parent = mlops.start_run(experiment="cv", run_name="outer", capture_env=False)
    child = mlops.start_run(run_name="inner", nested=True, capture_env=False)
    parent.end()  # ended, but its child still runs
    child.flush()  # its start is in the spool for the command's ingest to see
    try:
        assert main(["runs", "delete", parent.id]) == 2
        err = capsys.readouterr().err
        assert f"Run {child.id[:8]} (inner), a child of a run to move with it, is still" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    finally:
        child.end()
