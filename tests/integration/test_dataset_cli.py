"""The ``data`` commands: JSON contracts, plain text and one-sentence errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli import main
from mlops_desktop.tracking.who import os_user


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_data_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "t.csv").write_text("a,b\n1,x\n2,y\n")
    (src / "readme.txt").write_text("hello")
    added = cli_json(capsys, "data", "add", str(src), "--name", "tab", "--snapshot", "--tag", "k=v")
    assert added == {
        "dataset": "tab",
        "version": "v1",
        "fingerprint": added["fingerprint"],
        "files": 2,
        "bytes": 17,
        "new_version": True,
        "user": os_user(),  # who added it, on which machine
        "host": socket.gethostname(),
    }
    assert main(["data", "add", str(src), "--name", "tab"]) == 0
    assert capsys.readouterr().out.strip() == "unchanged: same content as v1, no new version"
    (src / "t.csv").write_text("a,b\n1,x\n2,y\n3,z\n")
    (src / "new.txt").write_text("n")
    assert main(["data", "add", str(src), "--name", "tab", "--snapshot", "-m", "more"]) == 0
    assert "v2 registered" in capsys.readouterr().out

    assert cli_json(capsys, "data", "list") == [
        {"name": "tab", "latest": "v2", "versions": 2, "bytes": 22, "files": 3}
    ]
    versions = cli_json(capsys, "data", "versions", "tab")
    assert [v["version"] for v in versions] == ["v2", "v1"]
    assert set(versions[0]) >= {"version", "fingerprint", "files", "bytes", "created_at", "message"}
    assert versions[0]["message"] == "more"

    diff = cli_json(capsys, "data", "diff", "tab", "v1", "v2")
    assert (diff["added"], diff["removed"], diff["changed"]) == (["new.txt"], [], ["t.csv"])
    [table] = diff["tables"]
    assert {
        k: table[k] for k in ("path", "rows_added", "rows_removed", "rows_old", "rows_new")
    } == {
        "path": "t.csv",
        "rows_added": 1,
        "rows_removed": 0,
        "rows_old": 2,
        "rows_new": 3,
    }
    assert isinstance(table["columns"], list)

    dest = tmp_path / "restored"
    co = cli_json(capsys, "data", "checkout", "tab@v1", str(dest))
    assert co == {"dataset": "tab", "version": "v1", "dest": str(dest), "files": 2, "bytes": 17}
    assert (dest / "t.csv").read_text() == "a,b\n1,x\n2,y\n"

    profiles = cli_json(capsys, "data", "profile", "tab@v2", "--file", "t.csv")
    assert profiles[0]["rows"] == 3
    assert [c["name"] for c in profiles[0]["columns"]] == ["a", "b"]
    assert cli_json(capsys, "data", "used-by", "tab") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "versions", "nope"], "No dataset is named 'nope'"),
        (["data", "add", "/no/such/path", "--name", "x"], "does not exist"),
        (["data", "add", ".", "--name", "bad name"], "not a dataset name"),
        (["data", "add", ".", "--name", "x", "--tag", "novalue"], "KEY=VALUE"),
        (["data", "diff", "nope", "v1", "v2"], "No dataset is named"),
        (["data", "checkout", "nope@v1", "/tmp/x"], "No dataset is named"),
    ],
)
def test_data_errors_are_one_sentence(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_checkout_of_a_reference_only_version_says_what_to_do(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "f.txt").write_text("x")
    assert main(["data", "add", str(tmp_path / "f.txt"), "--name", "f"]) == 0
    capsys.readouterr()
    assert main(["data", "checkout", "f@v1", str(tmp_path / "out")]) == 2
    assert "--snapshot" in capsys.readouterr().err
