"""Read-only commands on a full disk or a read-only catalog: the ingest steps aside (issue 11)."""

from __future__ import annotations

import errno
import json
import sqlite3
from pathlib import Path

import pytest
from catalog_spools import write_simple_run
from sqlalchemy.exc import OperationalError

from mlops_desktop.catalog.ingest import Ingester
from mlops_desktop.cli import main

FULL = sqlite3.OperationalError("database or disk is full")
READ_ONLY = sqlite3.OperationalError("attempt to write a readonly database")


def _raise(error: BaseException):  # type: ignore[no-untyped-def]
    """An ``Ingester._store`` whose write transaction fails as a full disk makes it fail."""

    def store(self: Ingester, *_args: object, **_kwargs: object) -> int:
        with self.catalog.session_scope(write=True):
            if isinstance(error, sqlite3.Error):
                raise OperationalError("INSERT INTO chunk ...", {}, error)
            raise error

    return store


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (FULL, "disk holding the catalog is full"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk holding the catalog is full"),
        (READ_ONLY, "read-only"),
    ],
)
def test_read_only_commands_work_when_the_catalog_takes_nothing(
    temp_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    words: str,
) -> None:
    stored = write_simple_run(temp_home, points=10, experiment="kept")
    assert main(["runs", "list", "--json"]) == 0
    capsys.readouterr()
    write_simple_run(temp_home, points=10, experiment="new")  # a spool the disk cannot take
    monkeypatch.setattr(Ingester, "_store", _raise(error))
    for command in (
        ["runs", "list", "--json"],
        ["runs", "show", stored.run_id, "--json"],
        ["experiments", "--json"],
        ["models", "list", "--json"],
        ["jobs", "list", "--json"],
    ):
        assert main(command) == 0, command
        out, err = capsys.readouterr()
        json.loads(out)
        lines = err.strip().splitlines()
        assert len(lines) == 1, (command, err)
        assert words in lines[0] and "already stored" in lines[0], lines[0]
        assert "Traceback" not in err
    runs = json.loads((main(["runs", "list", "--json"]), capsys.readouterr().out)[1])
    assert [r["id"] for r in runs] == [stored.run_id]
