"""Two desktops (two homes) on one catalog and one lab store folder, on the command line:
A logs a run with an artifact, registers a model and snapshots a dataset; B exports the model
and checks the dataset out byte for byte through its cache, which keeps its limit; with the
store unmounted B still reads what it cached and gets one sentence for what it lacks."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tarfile
import time
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.core.compute import TERMINAL_STATES, RunSpec
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.lab_store import set_fetch_reporter

MB = 1 << 20


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.system)])
def lab_catalog(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One catalog both desktops open: a SQLite file outside both homes, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lab.db'}"
    return str(request.getfixturevalue("pg_url"))


class Desktop:
    def __init__(self, home: Path, catalog: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.home, self.catalog, self.capsys = home, catalog, capsys

    def run(self, *args: str, status: int = 0) -> str:
        self.capsys.readouterr()
        got = main(["--home", str(self.home), "--catalog", self.catalog, *args])
        out, err = self.capsys.readouterr()
        assert got == status, (args, out, err)
        return out if status == 0 else err

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "--json"))


def model_bytes(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        member = tar.extractfile(f"model/{name}")
        assert member is not None
        return member.read()


def test_two_desktops_share_a_store_folder(
    lab_catalog: str, temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Desktop(temp_home, lab_catalog, capsys)
    b = Desktop(tmp_path / "desktop-b", lab_catalog, capsys)
    store = tmp_path / "lab-store"
    assert a.json("store", "show")["in_home"] is True  # nothing set: the home is the store

    with mlops.start_run(experiment="lab", capture_env=False) as run:  # desktop A's home
        (tmp_path / "notes.txt").write_text("from A\n")
        run.log_artifact(str(tmp_path / "notes.txt"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_bytes(b"x,y\n" + b"1,2\n" * 100_000)
    (data / "extra.bin").write_bytes(os.urandom(MB))
    a.run("data", "add", str(data), "--name", "d", "--snapshot")
    models = []
    for i in range(3):
        path = tmp_path / f"m{i}.bin"
        path.write_bytes(os.urandom(3 * MB))
        models.append(path)
    a.run("models", "register", "--name", "m0", "--path", str(models[0]))  # before the store

    assert "does not exist" in a.run("store", "set", str(store), status=2)  # a typo, unmounted
    assert not store.exists()  # never made on the local disk
    store.mkdir()
    assert "every desktop on this catalog" in a.run("store", "set", str(store))
    shown = a.json("store", "show")
    assert shown["location"] == str(store) and shown["reachable"] is True
    assert shown["not_uploaded"]["blobs"] == 4  # the artifact, 2 dataset files, m0
    assert b.json("store", "show")["location"] == str(store)  # B finds it in the catalog

    for i in (1, 2):  # registered with a store set: uploaded at once
        a.run("models", "register", "--name", f"m{i}", "--path", str(models[i]))
    (tmp_path / "more.csv").write_bytes(b"z\n1\n")
    a.run("data", "add", str(tmp_path / "more.csv"), "--name", "more", "--snapshot")  # too
    assert a.json("store", "show")["not_uploaded"]["blobs"] == 4
    synced = a.json("store", "sync")
    assert synced["uploaded"] == 4
    after = a.json("store", "show")
    assert after["not_uploaded"] == {"blobs": 0, "bytes": 0} and after["blobs"] == 7

    b.run("store", "cache", "--limit", "7M")
    fetched: list[tuple[int, int, str]] = []
    set_fetch_reporter(lambda *call: fetched.append(call))  # what a terminal's line hears
    try:
        for i in range(3):
            b.run("models", "export", f"m{i}", str(tmp_path / f"b{i}.tar.gz"))
            assert model_bytes(tmp_path / f"b{i}.tar.gz", f"m{i}.bin") == models[i].read_bytes()
            cache = b.json("store", "cache")
            assert cache["bytes"] <= 7 * MB and cache["limit"] == 7 * MB
    finally:
        set_fetch_reporter(None)
    # each fetch is named by the model's file, not by its hash
    assert [c for c in fetched if c[0] == c[1]] == [(3 * MB, 3 * MB, f"m{i}.bin") for i in range(3)]
    assert b.json("store", "cache")["blobs"] == 2  # m0, the least recently used, went first
    fetched.clear()
    set_fetch_reporter(lambda *call: fetched.append(call))
    try:
        b.run("data", "checkout", "d@1", str(tmp_path / "restored"))
    finally:
        set_fetch_reporter(None)
    assert {c[2] for c in fetched if c[0] == c[1]} == {"train.csv", "extra.bin"}  # by name
    for name in ("train.csv", "extra.bin"):
        assert (tmp_path / "restored" / name).read_bytes() == (data / name).read_bytes()
    assert not (b.home / "artifacts" / "sha256").exists()  # B keeps only a cache
    (data / "extra.bin").write_bytes(b"changed at the source")  # the run must use the snapshot
    assert (
        launched_hash(b, tmp_path)
        == hashlib.sha256((tmp_path / "restored" / "extra.bin").read_bytes()).hexdigest()
    )

    store.rename(tmp_path / "unmounted")
    b.run("models", "export", "m2", str(tmp_path / "again.tar.gz"))  # cached: still works
    assert model_bytes(tmp_path / "again.tar.gz", "m2.bin") == models[2].read_bytes()
    err = b.run("models", "export", "m0", str(tmp_path / "no.tar.gz"), status=2)
    assert "cannot be reached" in err and len(err.strip().splitlines()) == 1
    offline = b.json("store", "show")
    assert offline["reachable"] is False and "cannot be reached" in offline["problem"]
    assert b.json("models", "list")  # browsing still works


def test_set_refuses_unknown_host_and_sync_needs_a_store(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Desktop(temp_home, f"sqlite:///{tmp_path / 'lab.db'}", capsys)
    assert "hosts add nowhere" in a.run("store", "set", "ssh://nowhere/srv/lab", status=2)
    assert "No lab store is set" in a.run("store", "sync", status=2)
    assert "is not a size" in a.run("store", "cache", "--limit", "lots", status=2)


HASHER = """
import hashlib, os
import mlops_desktop as mlops
path = os.path.join(mlops.dataset_path("d"), "extra.bin")
print("sha256:", hashlib.sha256(open(path, "rb").read()).hexdigest())
"""


def launched_hash(desktop: Desktop, tmp_path: Path) -> str:
    """Launch a local run on ``desktop`` with dataset d@1; the SHA-256 of the file it read."""
    with Services.open(desktop.home, desktop.catalog, gpu_lock_dir=tmp_path / "locks") as lab:
        job = lab.jobs.launch(RunSpec(command=[sys.executable, "-c", HASHER], datasets=["d@1"]))
        deadline = time.monotonic() + 60
        while lab.jobs.get(job.run_id).state not in TERMINAL_STATES:
            assert time.monotonic() < deadline, "the run did not end"
            time.sleep(0.1)
            lab.jobs.refresh()
        log = lab.jobs.logs(job.run_id)[0]
        assert lab.jobs.get(job.run_id).exit_code == 0, log
    return log.split("sha256:", 1)[1].split()[0]


def test_a_damaged_store_copy_is_refused_and_not_cached(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'lab.db'}"
    a, b = Desktop(temp_home, db, capsys), Desktop(tmp_path / "desktop-b", db, capsys)
    (tmp_path / "store").mkdir()
    a.run("store", "set", str(tmp_path / "store"))
    (tmp_path / "m.bin").write_bytes(os.urandom(1000))
    a.run("models", "register", "--name", "m", "--path", str(tmp_path / "m.bin"))
    (blob,) = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    blob.chmod(0o644)
    blob.write_bytes(b"tampered")
    err = b.run("models", "export", "m", str(tmp_path / "m.tar.gz"), status=2)
    assert "is damaged" in err and len(err.strip().splitlines()) == 1
    assert b.json("store", "cache")["blobs"] == 0 and not (tmp_path / "m.tar.gz").exists()
