"""The lab store's engine on real files: locations, verified uploads to a folder (also two
processes uploading the same blob at once), and the home's cache with its LRU limit."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.core.errors import StoreError, StoreUnreachable
from mlops_desktop.store.blobs import ARTIFACTS, DATASETS, BlobKey, hash_of, walk_blobs
from mlops_desktop.store.cache import BlobCache
from mlops_desktop.store.folder import FolderStore
from mlops_desktop.store.location import StoreLocation, parse_location


def blob(tmp_path: Path, name: str, size: int) -> tuple[Path, BlobKey]:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path, BlobKey(ARTIFACTS, hashlib.sha256(path.read_bytes()).hexdigest())


def test_locations(tmp_path: Path) -> None:
    assert parse_location("ssh://gpu1/srv/lab/") == StoreLocation("gpu1", "/srv/lab")
    assert str(parse_location("ssh://gpu1/srv/lab")) == "ssh://gpu1/srv/lab"
    assert parse_location("store", cwd=tmp_path) == StoreLocation(None, str(tmp_path / "store"))
    for bad in ("", "ssh://gpu1", "ssh:///srv", "ssh://gpu1/", "ssh://gpu1/a/../b"):
        with pytest.raises(StoreError):
            parse_location(bad)


def test_keys_name_only_blobs() -> None:
    hexd = "ab" * 32
    assert BlobKey.of_digest(f"sha256:{hexd}").rel == f"artifacts/sha256/ab/{hexd}"
    assert BlobKey.of_rel(f"datasets/blobs/ab/{hexd}") == BlobKey(DATASETS, hexd)
    assert BlobKey.of_rel(f"datasets/blobs/cd/{hexd}") is None  # wrong fan-out folder
    assert BlobKey.of_rel(f"artifacts/sha256/ab/.{hexd}.x.tmp") is None
    with pytest.raises(ValueError):
        BlobKey.of_digest("md5:" + hexd)


def test_folder_put_verifies_and_lists(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    store = FolderStore(tmp_path / "store")
    store.prepare()
    src, key = blob(tmp_path, "m.bin", 50_000)
    assert store.put(src, key) is True
    assert store.put(src, key) is False  # already there
    assert store.listing() == {key: 50_000}
    assert (tmp_path / "store" / key.rel).read_bytes() == src.read_bytes()

    lying = BlobKey(ARTIFACTS, "0" * 64)
    with pytest.raises(StoreError, match="does not match its hash"):
        store.put(src, lying)
    assert not store.has(lying)
    assert [p.name for p in (tmp_path / "store").rglob("*.tmp")] == []


def test_unmounted_folder_is_one_sentence(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "not-mounted")
    with pytest.raises(StoreUnreachable) as err:
        store.listing()
    assert "cannot be reached" in str(err.value) and "\n" not in str(err.value)


UPLOAD = """
import sys
from pathlib import Path
from mlops_desktop.store.blobs import ARTIFACTS, BlobKey
from mlops_desktop.store.folder import FolderStore
sys.stdin.readline()  # start together
for _ in range(int(sys.argv[4])):
    FolderStore(Path(sys.argv[1])).put(Path(sys.argv[2]), BlobKey(ARTIFACTS, sys.argv[3]))
    (Path(sys.argv[1]) / BlobKey(ARTIFACTS, sys.argv[3]).rel).unlink(missing_ok=True)
FolderStore(Path(sys.argv[1])).put(Path(sys.argv[2]), BlobKey(ARTIFACTS, sys.argv[3]))
print("ok")
"""


def test_two_processes_upload_the_same_blob(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    FolderStore(root).prepare()
    src, key = blob(tmp_path, "big.bin", 8 << 20)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", UPLOAD, str(root), str(src), key.hex, "5"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate("go\n", timeout=120) for p in procs]
    results = [(p.returncode, out.strip()) for p, (out, _) in zip(procs, outs)]
    assert results == [(0, "ok")] * 2, outs
    assert hash_of(ARTIFACTS, root / key.rel) == key.hex
    assert list(walk_blobs(root)) == [(key, 8 << 20)]
    assert [p.name for p in root.rglob("*.tmp")] == []


def admit(cache: BlobCache, tmp_path: Path, name: str, size: int) -> BlobKey:
    src, key = blob(tmp_path, name, size)
    tmp = cache.temp_path(key)
    tmp.write_bytes(src.read_bytes())
    cache.admit(tmp, key)
    return key


def test_cache_keeps_its_limit_least_recently_used_first(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "cache")
    cache.set_limit(2500)
    a = admit(cache, tmp_path, "a", 1000)
    b = admit(cache, tmp_path, "b", 1000)
    assert cache.get(a) is not None  # a is now more recent than b
    c = admit(cache, tmp_path, "c", 1000)
    assert cache.get(b) is None and cache.get(a) is not None and cache.get(c) is not None
    assert cache.usage() == (2, 2000)
    big = admit(cache, tmp_path, "big", 4000)  # bigger than the limit: kept alone
    assert cache.usage() == (1, 4000) and cache.get(big) is not None
    cache.set_limit(0)
    assert cache.usage() == (0, 0)
    admit(cache, tmp_path, "d", 10)
    cache.set_limit(1 << 20)
    assert cache.clear() == 0 or cache.usage() == (0, 0)
    assert cache.usage() == (0, 0) and cache.limit == 1 << 20
