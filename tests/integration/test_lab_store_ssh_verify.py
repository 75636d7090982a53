"""Every upload to an SSH lab store (a real sshd on loopback) is verified by its hash: a blob
whose bytes do not match its name -- an artifact checked on the host, a dataset file checked
here -- is removed from the store and the sync says so; the host's ``sha256sum`` fallback
judges like its Python hasher."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from ssh_fixture import SshServer

from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.errors import StoreError
from mlops_desktop.datasets.hashing import hash_file
from mlops_desktop.store.blobs import ARTIFACTS, DATASETS, BlobKey, walk_blobs
from mlops_desktop.store.remote_check import RemoteSha256

pytestmark = pytest.mark.system
MB = 1 << 20


def put_blob(root: Path, kind: str, data: bytes, claimed: str | None = None) -> BlobKey:
    """Write ``data`` as a blob under ``root``, named by its hash or by ``claimed``."""
    path = root / "blob.tmp"
    path.write_bytes(data)
    real = hashlib.sha256(data).hexdigest() if kind == ARTIFACTS else hash_file(path)
    key = BlobKey(kind, claimed or real)
    (root / key.rel).parent.mkdir(parents=True, exist_ok=True)
    path.rename(root / key.rel)
    return key


def known_host(home: Path, server: SshServer, tmp_path: Path) -> SshClient:
    inv = HostInventory(home, ssh_config=tmp_path / "no-ssh-config")
    host = inv.add(
        "storehost",
        server.address,
        identity=str(server.client_key),
        accept_host_key=server.fingerprint,
        remote_root=str(tmp_path / "remote"),
    )
    return SshClient(host, home)


def test_blobs_not_matching_their_names_are_removed_from_the_store(
    new_ssh_server: SshServer, temp_home: Path, tmp_path: Path
) -> None:
    from mlops_desktop.services.bundle import Services

    client = known_host(temp_home, new_ssh_server, tmp_path)
    good = [put_blob(temp_home, kind, os.urandom(MB)) for kind in (ARTIFACTS, DATASETS)]
    bad = [put_blob(temp_home, kind, os.urandom(MB), "ab" * 32) for kind in (ARTIFACTS, DATASETS)]
    assert all((temp_home / key.rel).is_file() for key in bad)
    remote = tmp_path / "remote-store"
    remote.mkdir()
    try:
        with Services.open(temp_home) as services:
            services.store.set_location(f"ssh://storehost{remote}")
            with pytest.raises(StoreError, match=r"^2 blob\(s\) did not arrive intact"):
                services.store.sync()
            assert set(dict(walk_blobs(remote))) == set(good)
            for key in good:
                assert (remote / key.rel).read_bytes() == (temp_home / key.rel).read_bytes()
            assert not any((remote / key.rel).exists() for key in bad)
            assert services.store.show()["not_uploaded"]["blobs"] == 2  # the bad ones, still
    finally:
        client.stop_master()


@pytest.mark.parametrize("python", [True, False], ids=["python3", "sha256sum"])
def test_host_hashers_agree(
    new_ssh_server: SshServer, temp_home: Path, tmp_path: Path, python: bool
) -> None:
    client = known_host(temp_home, new_ssh_server, tmp_path)
    root = tmp_path / "store"
    root.mkdir()
    good = put_blob(root, ARTIFACTS, os.urandom(3 * MB + 5))
    bad = put_blob(root, ARTIFACTS, b"not what the name says", "cd" * 32)
    try:
        checker = RemoteSha256(client, str(root), python=python)
        for key in (good, bad):
            checker.check(key)
        assert checker.finish(timeout=60) == {good.hex}
    finally:
        client.stop_master()
