"""Who did what: runs, dataset versions, model versions, alias moves, monitors and jobs record
the OS user and the machine, on SQLite and PostgreSQL; ``runs list --user/--mine``; an old
spool without them reads unknown."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from catalog_spools import SpoolBuilder

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.core.compute import TERMINAL_STATES, RunSpec
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.home import EVENTS_FILENAME, run_spool_dir
from mlops_desktop.tracking.who import os_user

ME, HOST = os_user(), socket.gethostname()


def _json(capsys: pytest.CaptureFixture[str], *args: str, catalog: str | None = None) -> Any:
    pre = ["--catalog", catalog] if catalog else []
    code = main([*pre, *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _start_event(home: Path, run_id: str) -> dict[str, Any]:
    first = (run_spool_dir(home, run_id) / EVENTS_FILENAME).read_text().splitlines()[0]
    event = json.loads(first)
    assert event["type"] == "start"
    return dict(event)


def test_every_kind_of_record_says_who_and_where(
    temp_home: Path, tmp_path: Path, catalog_url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "m.joblib").write_bytes(b"not really a model")
    with mlops.start_run("who", name="r", capture_env=False) as run:
        run.log_artifact(tmp_path / "m.joblib", name="model.joblib")
    start = _start_event(temp_home, run.id)
    assert (start["user"], start["host"]) == (ME, HOST)  # the spool carries them

    listed = _json(capsys, "runs", "list", catalog=catalog_url)
    assert [(r["id"], r["user"], r["host"]) for r in listed] == [(run.id, ME, HOST)]
    shown = _json(capsys, "runs", "show", run.id, catalog=catalog_url)
    assert (shown["user"], shown["host"]) == (ME, HOST)

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("x\n1\n")
    added = _json(capsys, "data", "add", str(data), "--name", "ds", catalog=catalog_url)
    assert (added["user"], added["host"]) == (ME, HOST)
    versions = _json(capsys, "data", "versions", "ds", catalog=catalog_url)
    assert [(v["user"], v["host"]) for v in versions] == [(ME, HOST)]

    _json(
        capsys, "models", "register", run.id, "model.joblib", "--name", "clf", catalog=catalog_url
    )
    _json(capsys, "models", "alias", "clf", "1", "champion", catalog=catalog_url)
    path = str(tmp_path / "m.joblib")
    _json(capsys, "models", "register", "--path", path, "--name", "clf", catalog=catalog_url)
    _json(capsys, "models", "alias", "clf", "2", "champion", catalog=catalog_url)  # a move
    model_versions = _json(capsys, "models", "versions", "clf", catalog=catalog_url)
    assert [(v["user"], v["host"]) for v in model_versions] == [(ME, HOST)] * 2
    history = _json(capsys, "models", "history", "clf", catalog=catalog_url)
    assert "alias_moved" in [e["action"] for e in history]
    assert {(e["user"], e["host"]) for e in history} == {(ME, HOST)}
    card = _json(capsys, "models", "show", "clf:2", catalog=catalog_url)
    assert (card["user"], card["host"]) == (ME, HOST)

    reference = tmp_path / "ref.csv"
    reference.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(50)))
    with Services.open(temp_home, catalog_url, gpu_lock_dir=tmp_path / "locks") as services:
        services.monitors.add("drift", reference=str(reference))
        job = services.jobs.launch(RunSpec(command=[sys.executable, "-c", "pass"]))
        deadline = time.monotonic() + 30
        while services.jobs.get(job.run_id).state not in TERMINAL_STATES:
            assert time.monotonic() < deadline, "the job did not end"
            time.sleep(0.1)
            services.jobs.refresh()
    monitors = _json(capsys, "monitors", "list", catalog=catalog_url)
    assert [(m["name"], m["user"], m["host"]) for m in monitors] == [("drift", ME, HOST)]
    jobs = _json(capsys, "jobs", "list", "--all", catalog=catalog_url)
    assert [(j["run"], j["user"], j["host"]) for j in jobs] == [(job.run_id, ME, HOST)]
    launched = _json(capsys, "runs", "show", job.run_id, catalog=catalog_url)
    assert launched["user"] == ME  # the launcher's start event, where the job ran


def test_an_old_spool_without_user_reads_unknown(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = SpoolBuilder(temp_home).start("legacy", "old", host="").end()
    old.write()
    listed = _json(capsys, "runs", "list")
    assert [(r["id"], r["user"], r["host"]) for r in listed] == [(old.run_id, None, None)]
    assert main(["runs", "show", old.run_id]) == 0
    assert "ran by      unknown@unknown" in capsys.readouterr().out


def test_runs_list_by_user_and_mine(temp_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alice = SpoolBuilder(temp_home).start("lab", "a1", user="alice", host="gpu1").end()
    bob = SpoolBuilder(temp_home).start("lab", "b1", user="bob", host="gpu2").end()
    alice.write()
    bob.write()
    with mlops.start_run("lab", name="mine", capture_env=False) as mine:
        pass

    def ids(*args: str) -> set[str]:
        return {r["id"] for r in _json(capsys, "runs", "list", *args)}

    assert ids("--user", "alice") == {alice.run_id}
    assert ids("--mine") == {mine.id}
    assert ids("--user", "bob", "--filter", "name = 'a1'") == set()
    assert ids("--filter", "user in ('alice', 'bob')") == {alice.run_id, bob.run_id}
    assert ids("--filter", "host like 'gpu%'") == {alice.run_id, bob.run_id}
    assert ids("--user", "nobody") == set()
    assert main(["runs", "list", "--user", "alice", "--mine"]) == 2
    err = capsys.readouterr().err
    assert "--user NAME or --mine, not both" in err and "Traceback" not in err
