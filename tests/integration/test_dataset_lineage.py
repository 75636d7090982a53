"""Lineage: runs record the exact dataset version they used, by name, by path or by argv."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.services.bundle import Services
from tests.catalog_spools import SpoolBuilder


def test_use_dataset_resolves_the_version_current_at_the_time(
    temp_home: Path, catalog_url: str | None, tmp_path: Path
) -> None:
    with Services.open(temp_home, catalog_url) as services:
        experiments, datasets = services.experiments, services.datasets
        src = tmp_path / "digits"
        src.mkdir()
        (src / "d.csv").write_text("x\n1\n")
        datasets.add(src, "digits")
        (src / "d.csv").write_text("x\n1\n2\n")
        datasets.add(src, "digits")
        with mlops.start_run("lin", name="by-name") as run:
            run.use_dataset("digits")
            by_name = run.id
        with mlops.start_run("lin", name="pinned") as run:
            run.use_dataset("digits", version="1")
            pinned = run.id
        with mlops.start_run("lin", name="by-path") as run:
            run.use_dataset(src / "d.csv")  # a file inside the registered folder
            by_path = run.id
        time.sleep(0.01)
        (src / "d.csv").write_text("x\n1\n2\n3\n")
        datasets.add(src, "digits")  # v3 comes after the runs: they stay on v2
        experiments.ingest()
        assert experiments.get_run(by_name).datasets == [
            {"name": "digits", "version": "v2", "path": None}
        ]
        assert experiments.get_run(pinned).datasets[0]["version"] == "v1"
        assert experiments.get_run(by_path).datasets == [
            {"name": "digits", "version": "v2", "path": str(src / "d.csv")}
        ]
        uses = datasets.used_by("digits", "v2")
        assert {u.run_id for u in uses} == {by_name, by_path}
        assert [u.run_id for u in datasets.used_by("digits", "v1")] == [pinned]
        assert len(datasets.used_by("digits")) == 3
        assert datasets.used_by("digits", "v3") == []


def test_an_old_spool_without_at_resolves_at_ingest(temp_home: Path, tmp_path: Path) -> None:
    with Services.open(temp_home) as services:
        experiments, datasets = services.experiments, services.datasets
        (tmp_path / "f.txt").write_text("1")
        datasets.add(tmp_path / "f.txt", "old")
        b = SpoolBuilder(temp_home).start()
        b.event("dataset", name="old", version=None, path=None)
        b.event("dataset", name="unregistered", version=None, path=None)
        b.end().write()
        experiments.ingest()
        assert [(d["name"], d["version"]) for d in experiments.get_run(b.run_id).datasets] == [
            ("old", "v1"),
            ("unregistered", None),
        ]


def test_a_path_in_the_command_line_is_recorded(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("a\n1\n")
    assert main(["data", "add", str(data), "--name", "train-set"]) == 0
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            import mlops_desktop as mlops
            with mlops.start_run("argv") as run:
                open(sys.argv[1].split("=", 1)[-1]).read()
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script), f"--data={data / 'train.csv'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    capsys.readouterr()
    assert main(["runs", "list", "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert main(["runs", "show", run["id"], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(d["name"], d["version"]) for d in shown["datasets"]] == [("train-set", "v1")]
    assert main(["data", "used-by", "train-set@v1", "--json"]) == 0
    assert [u["run"] for u in json.loads(capsys.readouterr().out)] == [run["id"]]
