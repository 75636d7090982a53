"""A lab store on an SSH host (a real sshd on loopback, strict host keys): set, upload on
registering and by sync, fetch on demand into the second desktop's cache, byte for byte;
with the host down, what is cached still works and the rest is one sentence."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest
from ssh_fixture import SshServer

from mlops_desktop.cli import main
from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.services.lab_store import set_fetch_reporter

pytestmark = pytest.mark.system
MB = 1 << 20


def cli(
    capsys: pytest.CaptureFixture[str], home: Path, db: str, *args: str, status: int = 0
) -> str:
    capsys.readouterr()
    got = main(["--home", str(home), "--catalog", db, *args])
    out, err = capsys.readouterr()
    assert got == status, (args, out, err)
    return out if status == 0 else err


def test_ssh_store_set_sync_fetch_and_offline(
    new_ssh_server: SshServer, temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = new_ssh_server
    a, b = temp_home, tmp_path / "desktop-b"
    db = f"sqlite:///{tmp_path / 'lab.db'}"
    hosts = []
    for home in (a, b):  # both desktops know the host under one name
        inv = HostInventory(home, ssh_config=tmp_path / "no-ssh-config")
        host = inv.add(
            "storehost",
            server.address,
            identity=str(server.client_key),
            accept_host_key=server.fingerprint,
            remote_root=str(tmp_path / "remote"),
        )
        hosts.append((host, home))
    remote = tmp_path / "remote-store"
    try:
        m0, m1 = tmp_path / "m0.bin", tmp_path / "m1.bin"
        m0.write_bytes(os.urandom(2 * MB))
        m1.write_bytes(os.urandom(2 * MB))
        data = tmp_path / "data"
        data.mkdir()
        (data / "rows.csv").write_bytes(b"a,b\n" + b"3,4\n" * 50_000)
        (data / "sub").mkdir()
        (data / "sub" / "b.bin").write_bytes(os.urandom(100_000))
        cli(capsys, a, db, "models", "register", "--name", "m0", "--path", str(m0))
        cli(capsys, a, db, "data", "add", str(data), "--name", "d", "--snapshot")
        err = cli(capsys, a, db, "store", "set", f"ssh://storehost{remote}", status=2)
        assert "does not exist" in err and not remote.exists()
        remote.mkdir()
        cli(capsys, a, db, "store", "set", f"ssh://storehost{remote}")
        shown = json.loads(cli(capsys, a, db, "store", "show", "--json"))
        assert shown["reachable"] is True and shown["not_uploaded"]["blobs"] == 3
        cli(capsys, a, db, "models", "register", "--name", "m1", "--path", str(m1))  # uploads
        assert json.loads(cli(capsys, a, db, "store", "sync", "--json"))["uploaded"] == 3
        shown = json.loads(cli(capsys, a, db, "store", "show", "--json"))
        assert shown["not_uploaded"]["blobs"] == 0 and shown["blobs"] == 4
        stored = sorted(p for p in remote.rglob("*") if p.is_file())
        assert len(stored) == 4 and all(p.stat().st_mode & 0o222 == 0 for p in stored)

        fetched: list[tuple[int, int, str]] = []
        set_fetch_reporter(lambda *call: fetched.append(call))  # what a terminal's line hears
        try:
            cli(capsys, b, db, "models", "export", "m1", str(tmp_path / "m1.tar.gz"))
            assert fetched and fetched[-1] == (2 * MB, 2 * MB, "m1.bin")  # rsync's own
            with tarfile.open(tmp_path / "m1.tar.gz") as tar:
                member = tar.extractfile("model/m1.bin")
                assert member is not None and member.read() == m1.read_bytes()
            fetched.clear()
            cli(capsys, b, db, "data", "checkout", "d@1", str(tmp_path / "restored"))
            total = (data / "rows.csv").stat().st_size + 100_000
            assert fetched and fetched[-1] == (total, total, "2 files")  # one rsync for both
        finally:
            set_fetch_reporter(None)
        for rel in ("rows.csv", "sub/b.bin"):
            assert (tmp_path / "restored" / rel).read_bytes() == (data / rel).read_bytes()
        assert json.loads(cli(capsys, b, db, "store", "cache", "--json"))["blobs"] == 3
        assert not list((b / "cache" / "store").glob(".incoming/*"))  # staging cleaned up

        for host, home in hosts:
            SshClient(host, home).stop_master()
        server.stop()
        cli(capsys, b, db, "models", "export", "m1", str(tmp_path / "again.tar.gz"))  # cached
        err = cli(capsys, b, db, "models", "export", "m0", str(tmp_path / "no.tar.gz"), status=2)
        assert "ssh://storehost" in err and "cannot be reached" in err
        assert len(err.strip().splitlines()) == 1
    finally:
        for host, home in hosts:
            SshClient(host, home).stop_master()


def test_ssh_store_sync_stops_when_cancelled(
    new_ssh_server: SshServer, temp_home: Path, tmp_path: Path
) -> None:
    """The app's Sync now with Cancel: rsync is stopped after the blob on its way; what went
    up stays up, and the next sync uploads the rest."""
    from mlops_desktop.core.errors import OperationCancelled
    from mlops_desktop.services.bundle import Services

    server = new_ssh_server
    inv = HostInventory(temp_home, ssh_config=tmp_path / "no-ssh-config")
    host = inv.add(
        "storehost",
        server.address,
        identity=str(server.client_key),
        accept_host_key=server.fingerprint,
        remote_root=str(tmp_path / "remote"),
    )
    remote = tmp_path / "remote-store"
    remote.mkdir()
    try:
        with Services.open(temp_home) as services:
            for i in range(8):
                path = tmp_path / f"m{i}.bin"
                path.write_bytes(os.urandom(MB))
                services.models.register(f"m{i}", path=path)  # no store yet: home only
            services.store.set_location(f"ssh://storehost{remote}")
            done: list[str] = []
            with pytest.raises(OperationCancelled, match="Sync was cancelled"):
                services.store.sync(lambda _d, _t, rel: done.append(rel), lambda: bool(done))
            first = [p for p in remote.rglob("*") if p.is_file() and not p.name.startswith(".")]
            assert len(first) < 8
            # The host's rsync may still put the blob it had whole in place a moment after the
            # cancel: the next sync uploads the rest, that blob at most once.
            uploaded = services.store.sync()["uploaded"]
            assert 8 - len(first) - 1 <= uploaded <= 8 - len(first)
            blobs = [p for p in remote.rglob("*") if p.is_file() and not p.name.startswith(".")]
            assert len(blobs) == 8
            assert services.store.show()["not_uploaded"] == {"blobs": 0, "bytes": 0}
    finally:
        SshClient(host, temp_home).stop_master()
