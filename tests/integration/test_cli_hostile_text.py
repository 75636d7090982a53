"""Hostile text at the command line: ``like`` patterns that used to hang, and names, params and
tags holding terminal escapes (shown escaped in text, exact in JSON)."""

from __future__ import annotations

import json
import time

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.core.query import MAX_PATTERN

OSC52 = "a\x1b]52;c;ZXZpbA==\x07b"  # an OSC 52 clipboard write between "a" and "b"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def test_a_hostile_like_pattern_answers_quickly(capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(31):
        with mlops.start_run("hostile", name=f"run-{i}-" + "a" * 20):
            pass
    pattern = "%" * 30 + "x"  # took minutes per run with a regex of 30 ".*"
    start = time.perf_counter()
    assert main(["runs", "list", "--json", "--filter", f'name like "{pattern}"']) == 0
    assert time.perf_counter() - start < 10
    assert json.loads(capsys.readouterr().out) == []
    assert main(["runs", "list", "--json", "--filter", 'name like "%%%-1-%%%"']) == 0
    names = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert names == {f"run-1-{'a' * 20}"}


def test_a_too_long_pattern_is_a_users_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    pattern = "%" * (MAX_PATTERN + 1)
    assert main(["runs", "list", "--filter", f"name like '{pattern}'"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"longer than {MAX_PATTERN} characters" in err.splitlines()[0]


def _hostile_run() -> str:
    with mlops.start_run(
        "esc\x1b[2Jexp", name=OSC52, params={"p\x1b[31m": "v\x1b[0m\u202e"}, tags={"t": "x\x9by"}
    ) as run:
        run.log_metric("acc", 0.5)
        return run.id


def _assert_no_raw_controls(text: str) -> None:
    for ch in RAW_CONTROLS:
        assert ch not in text, f"raw {ch!r} in {text!r}"


def test_runs_list_and_show_escape_control_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = _hostile_run()
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    _assert_no_raw_controls(out)
    assert "a\\x1b]52;c;ZXZpbA==\\x07b" in out
    assert "esc\\x1b[2Jexp" in out
    assert main(["runs", "show", run_id]) == 0
    out = capsys.readouterr().out
    _assert_no_raw_controls(out)
    assert "a\\x1b]52;c;ZXZpbA==\\x07b" in out
    assert "p\\x1b[31m = v\\x1b[0m\\u202e" in out
    assert "x\\x9by" in out


def test_json_keeps_control_characters_exact(capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _hostile_run()
    assert main(["runs", "list", "--json"]) == 0
    (doc,) = json.loads(capsys.readouterr().out)
    assert doc["name"] == OSC52 and doc["experiment"] == "esc\x1b[2Jexp"
    assert doc["params"] == {"p\x1b[31m": "v\x1b[0m\u202e"} and doc["tags"]["t"] == "x\x9by"
    assert main(["runs", "show", run_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == OSC52


def test_experiments_list_and_errors_escape_control_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _hostile_run()
    assert main(["experiments"]) == 0
    out = capsys.readouterr().out
    _assert_no_raw_controls(out)
    assert "esc\\x1b[2Jexp" in out
    assert main(["runs", "list", "--experiment", "no\x1b[2Jsuch"]) == 2
    _assert_no_raw_controls(capsys.readouterr().err)
