"""Snapshot store and checkout: restore byte for byte, verified, never half-written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mlops_desktop.core.datasets import ManifestEntry
from mlops_desktop.core.errors import DatasetError, OperationCancelled
from mlops_desktop.datasets.checkout import checkout
from mlops_desktop.datasets.hashing import hash_bytes, hash_file
from mlops_desktop.datasets.manifest import build_manifest, fingerprint
from mlops_desktop.datasets.store import SnapshotStore


def make_tree(root: Path) -> Path:
    (root / "img" / "cats").mkdir(parents=True)
    (root / "train.csv").write_text("a,b\n1,2\n3,4\n")
    (root / "img" / "cats" / "1.png").write_bytes(os.urandom(300_000))
    (root / "img" / "dup.png").write_bytes((root / "img" / "cats" / "1.png").read_bytes())
    (root / "empty.txt").write_bytes(b"")
    return root


def snapshot(root: Path, store: SnapshotStore) -> tuple[list[ManifestEntry], str, list[str]]:
    entries = build_manifest(root).entries
    hows = [
        store.put(root.joinpath(*e.path.split("/")) if root.is_dir() else root, e.hash)
        for e in entries
    ]
    return entries, fingerprint(entries), hows


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_snapshot_and_checkout_restore_byte_for_byte(temp_home: Path, tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data")
    store = SnapshotStore.for_home(temp_home)
    entries, fp, hows = snapshot(root, store)
    assert hows.count("present") == 1  # the duplicate image is stored once
    assert set(hows) <= {"reflink", "copy", "present"}
    blob = store.path_of(entries[0].hash)
    assert blob.parent.parent == temp_home / "datasets" / "blobs"
    assert stat.S_IMODE(blob.stat().st_mode) == 0o444
    assert all(store.verify(e.hash) for e in entries)
    dest = tmp_path / "restored"
    progress: list[int] = []
    out = checkout(entries, store, dest, fp, progress=lambda d, t, c: progress.append(d))
    assert out == dest
    assert tree_bytes(dest) == tree_bytes(root)
    assert fingerprint(build_manifest(dest).entries) == fp
    assert progress[-1] == sum(e.size for e in entries)
    assert os.access(dest / "train.csv", os.W_OK)


def test_single_file_version(temp_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "one.csv"
    f.write_text("x\n1\n")
    store = SnapshotStore.for_home(temp_home)
    entries, fp, _ = snapshot(f, store)
    dest = tmp_path / "empty-existing"
    dest.mkdir()
    checkout(entries, store, dest, fp)
    assert (dest / "one.csv").read_text() == "x\n1\n"


def test_tampered_blob_fails_and_leaves_nothing(temp_home: Path, tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data")
    store = SnapshotStore.for_home(temp_home)
    entries, fp, _ = snapshot(root, store)
    blob = store.path_of(next(e for e in entries if e.path == "train.csv").hash)
    blob.chmod(0o644)
    blob.write_text("a,b\n1,2\n3,5\n")
    assert not store.verify(blob.name)
    dest = tmp_path / "restored"
    with pytest.raises(DatasetError, match=r"train\.csv is damaged"):
        checkout(entries, store, dest, fp)
    assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "home"]


def test_missing_blob_names_the_file(temp_home: Path, tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data")
    store = SnapshotStore.for_home(temp_home)
    entries, fp, _ = snapshot(root, store)
    store.path_of(next(e for e in entries if e.path == "empty.txt").hash).unlink()
    with pytest.raises(DatasetError, match=r"empty\.txt .*not snapshotted completely"):
        checkout(entries, store, tmp_path / "r", fp)
    assert not (tmp_path / "r").exists()


def test_wrong_fingerprint_and_non_empty_dest(temp_home: Path, tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data")
    store = SnapshotStore.for_home(temp_home)
    entries, fp, _ = snapshot(root, store)
    with pytest.raises(DatasetError, match="fingerprint"):
        checkout(entries, store, tmp_path / "r", "blake3:" + "0" * 64)
    assert not (tmp_path / "r").exists()
    with pytest.raises(DatasetError, match="not empty"):
        checkout(entries, store, root, fp)


@pytest.mark.parametrize("bad", ["/etc/passwd", "../escape.txt", "a/../../b", "a/./b", "", "a//b"])
def test_unsafe_paths_refused(temp_home: Path, tmp_path: Path, bad: str) -> None:
    store = SnapshotStore.for_home(temp_home)
    src = tmp_path / "f"
    src.write_text("x")
    h = hash_file(src)
    store.put(src, h)
    entries = [ManifestEntry(bad, 1, h)]
    with pytest.raises(DatasetError, match="Refusing to restore"):
        checkout(entries, store, tmp_path / "r", fingerprint(entries))
    assert not (tmp_path / "r").exists()
    assert not (tmp_path / "escape.txt").exists()


def test_invalid_hash_cannot_escape_store(temp_home: Path) -> None:
    store = SnapshotStore.for_home(temp_home)
    for bad in ["../" * 5 + "etc/passwd", "A" * 64, "a" * 63, "g" * 64]:
        with pytest.raises(DatasetError, match="not a valid file hash"):
            store.path_of(bad)


def test_put_rejects_changed_source(temp_home: Path, tmp_path: Path) -> None:
    store = SnapshotStore.for_home(temp_home)
    src = tmp_path / "f"
    src.write_text("old")
    with pytest.raises(DatasetError, match="changed while it was being snapshotted"):
        store.put(src, hash_bytes(b"something else"))
    assert not store.has(hash_bytes(b"something else"))
    assert not [p for p in store.root.rglob("*") if p.is_file()]


def test_hardlink_is_opt_in(temp_home: Path, tmp_path: Path) -> None:
    store = SnapshotStore.for_home(temp_home)
    src = tmp_path / "f"
    src.write_text("shared")
    h = hash_file(src)
    assert store.put(src, h) in ("reflink", "copy")
    assert store.path_of(h).stat().st_ino != src.stat().st_ino
    src2 = tmp_path / "g"
    src2.write_text("linked")
    h2 = hash_file(src2)
    assert store.put(src2, h2, link="hardlink") == "hardlink"
    assert store.path_of(h2).stat().st_ino == src2.stat().st_ino


def test_cancelled_checkout_leaves_nothing(temp_home: Path, tmp_path: Path) -> None:
    root = make_tree(tmp_path / "data")
    store = SnapshotStore.for_home(temp_home)
    entries, fp, _ = snapshot(root, store)
    calls: list[int] = []
    with pytest.raises(OperationCancelled):
        checkout(
            entries,
            store,
            tmp_path / "r",
            fp,
            cancelled=lambda: bool(calls.append(1)) or len(calls) > 2,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "home"]
