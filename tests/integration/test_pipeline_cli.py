"""The ``pipelines`` commands on small shell pipelines: stages in parallel, a failing stage
blocking what depends on it (its log tail in ``show`` and in the JSON), ``--force`` and
``--from``, an out written but not declared, and bad files refused before anything runs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli import main
from mlops_desktop.cli.exit_codes import ExitCode

# each waits (10 s at most) for the other's file: both succeed only when they run at once
WAIT_FOR = "touch {me}; i=0; while [ ! -e {other} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; test -e {other}"  # noqa: E501

PARALLEL = f"""\
name: shapes
parallel: 2
stages:
  a:
    cmd: {WAIT_FOR.format(me="a.txt", other="b.txt")}
    outs: [a.txt]
  b:
    cmd: {WAIT_FOR.format(me="b.txt", other="a.txt")}
    outs: [b.txt]
  c:
    cmd: cat a.txt b.txt > c.txt
    deps: [a.txt, b.txt]
    outs: [c.txt]
"""

FAILING = """\
name: breaks
stages:
  boom:
    cmd: 'echo reading the data; echo "ValueError: bad row 3" >&2; exit 3'
    outs: [boom.txt]
  after:
    cmd: cp boom.txt after.txt
    deps: [boom.txt]
    outs: [after.txt]
  solo:
    cmd: echo fine > solo.txt
    outs: [solo.txt]
"""


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code, out, err = run_cli(capsys, *args, "--json")
    assert out.strip(), err
    return code, json.loads(out)


def write(folder: Path, text: str, name: str = "pipeline.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text))
    return folder


def by_stage(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stage"]: s for s in doc["stages"]}


def test_parallel_stages_force_and_from(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write(tmp_path / "shapes", PARALLEL)
    code, doc = run_json(capsys, "pipelines", "run", str(root))
    assert code == ExitCode.OK, doc
    stages = by_stage(doc)
    assert {n: s["state"] for n, s in stages.items()} == {"a": "done", "b": "done", "c": "done"}
    assert all(len(s["run_id"]) == 32 for s in stages.values())
    assert (root / "c.txt").read_text() == "" and doc["state"] == "done"

    code, doc = run_json(capsys, "pipelines", "run", str(root), "--force", "a")
    stages = by_stage(doc)
    assert stages["a"]["state"] == "done" and stages["a"]["reasons"] == ["forced"]
    assert stages["b"]["state"] == "cached"
    assert stages["c"]["state"] == "cached"  # a made the same a.txt: nothing for c to do
    assert stages["c"]["reasons"] == ["its inputs came out unchanged"]

    code, doc = run_json(capsys, "pipelines", "run", str(root), "--from", "b")
    assert {n: s["state"] for n, s in by_stage(doc).items()} == {
        "a": "cached",
        "b": "done",
        "c": "done",
    }
    code, status = run_json(capsys, "pipelines", "status", str(root))
    assert code == 0 and status["pipeline"] == "shapes"
    assert [s["state"] for s in status["stages"]] == ["cached"] * 3


def test_a_failed_stage_blocks_its_dependents_and_shows_its_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path / "breaks", FAILING)
    code, doc = run_json(capsys, "pipelines", "run", str(root))
    assert code == ExitCode.FAILED
    assert doc["state"] == "failed"
    stages = by_stage(doc)
    assert stages["boom"]["state"] == "failed" and stages["boom"]["run_id"]
    assert "ValueError: bad row 3" in stages["boom"]["detail"]
    assert "exit code 3" in stages["boom"]["detail"]
    assert stages["after"]["state"] == "blocked" and stages["after"]["run_id"] is None
    assert stages["after"]["detail"] == "not run: boom failed"
    assert stages["solo"]["state"] == "done"  # independent stages go on

    code, out, _err = run_cli(capsys, "pipelines", "show", doc["run_id"][:8])
    assert code == 0
    assert "Stage boom failed:" in out and "ValueError: bad row 3" in out
    code, runs = run_json(capsys, "pipelines", "runs", "breaks")
    assert [r["run_id"] for r in runs] == [doc["run_id"]]

    # fixed: boom and after run, solo stays cached
    write(root, FAILING.replace("; exit 3", " > boom.txt"))
    code, doc = run_json(capsys, "pipelines", "run", str(root))
    assert code == 0, doc
    assert {n: s["state"] for n, s in by_stage(doc).items()} == {
        "boom": "done",
        "after": "done",
        "solo": "cached",
    }


def test_an_out_written_but_not_declared_fails_its_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(
        tmp_path / "sloppy",
        """\
        stages:
          make:
            cmd: echo x > made.txt; echo note > notes.log
            outs: [made.txt]
        """,
    )
    code, doc = run_json(capsys, "pipelines", "run", str(root))
    assert code == ExitCode.FAILED
    detail = by_stage(doc)["make"]["detail"]
    assert detail == (
        "stage make wrote notes.log, which it does not declare in outs; "
        "add it to the stage's outs or stop writing it."
    )
    assert "not declare" in doc["stages"][0]["detail"]


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            """\
            stages:
              a: {cmd: cp b.txt a.txt, deps: [b.txt], outs: [a.txt]}
              b: {cmd: cp a.txt b.txt, deps: [a.txt], outs: [b.txt]}
            """,
            "cycle",
        ),
        (
            """\
            stages:
              a: {cmd: cp gone.csv a.txt, deps: [gone.csv], outs: [a.txt]}
            """,
            "gone.csv",
        ),
        (
            """\
            stages:
              a: {cmd: echo > a.txt, params: [train.nope], outs: [a.txt]}
            """,
            "train.nope",
        ),
    ],
    ids=["cycle", "missing-dep", "unknown-param"],
)
def test_bad_files_are_refused_in_one_sentence_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, sentence: str
) -> None:
    root = write(tmp_path / "bad", text)
    (root / "params.yaml").write_text("train:\n  lr: 0.1\n")
    code, out, err = run_cli(capsys, "pipelines", "run", str(root), "--json")
    assert code == ExitCode.USER_ERROR and out == ""
    assert sentence in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    code, runs = run_json(capsys, "pipelines", "runs")
    assert runs == []
    code, jobs = run_json(capsys, "jobs", "list", "--all")
    assert jobs == []
    assert not (root / "a.txt").exists()


def test_an_unknown_target_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path / "shapes", PARALLEL)
    code, out, err = run_cli(capsys, "pipelines", "run", str(root), "--target", "ssh:nowhere")
    assert code == ExitCode.USER_ERROR and out == ""
    assert err.startswith("mlops-desktop: stage a cannot run on ssh:nowhere: No host is called")
    code, runs = run_json(capsys, "pipelines", "runs")
    assert runs == [] and not (root / "a.txt").exists()
