"""A lab member whose PostgreSQL role may only read the catalog: commands read, writes refuse
in one sentence, and a home with spools to ingest still lists what the catalog holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pg_fixture import reader_url

import mlops_desktop as mlops
from mlops_desktop.cli import main

pytestmark = pytest.mark.system


def log_run(name: str) -> str:
    with mlops.start_run("lab", name=name, params={"lr": 0.1}) as run:
        run.log_metric("acc", 0.9)
        return run.id


def test_a_read_only_member_reads_and_is_told_why_writes_fail(
    pg_url: str, temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = log_run("by-a-writer")
    assert main(["--catalog", pg_url, "runs", "list", "--json"]) == 0  # ingests it
    capsys.readouterr()
    url = reader_url(pg_url)
    log_run("never-ingested")  # the member's own spool: ingest must step aside, not crash

    assert main(["--catalog", url, "runs", "list", "--json"]) == 0
    captured = capsys.readouterr()
    assert [r["id"] for r in json.loads(captured.out)] == [shared]
    assert "may read but not change" in captured.err
    assert "Traceback" not in captured.err

    assert main(["--catalog", url, "runs", "tag", shared, "reviewed=yes"]) == 2
    err = capsys.readouterr().err
    assert "may read but not change" in err and "Traceback" not in err
