"""Garbage collection: only unreferenced, old blobs inside the two stores are ever removed."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from mlops_desktop.models.gc import collect

OLD = time.time() - 3 * 24 * 3600


def _blob(root: Path, data: bytes, old: bool = True, mode: int = 0o444) -> str:
    hex_digest = hashlib.sha256(data).hexdigest()
    path = root / hex_digest[:2] / hex_digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    if old:
        os.utime(path, (OLD, OLD))
    return hex_digest


def _stores(home: Path) -> tuple[Path, Path]:
    return home / "artifacts" / "sha256", home / "datasets" / "blobs"


def test_dry_run_lists_and_real_run_deletes_only_unreferenced(temp_home: Path) -> None:
    arts, blobs = _stores(temp_home)
    kept_art = _blob(arts, b"model weights")
    gone_art = _blob(arts, b"old checkpoint!")
    kept_blob = _blob(blobs, b"train.csv")
    gone_blob = _blob(blobs, b"old.csv")
    refs = {f"sha256:{kept_art}"}, {kept_blob}

    dry = collect(temp_home, *refs)
    want = sorted(
        [
            f"artifacts/sha256/{gone_art[:2]}/{gone_art}",
            f"datasets/blobs/{gone_blob[:2]}/{gone_blob}",
        ]
    )
    assert dry.dry_run and sorted(dry.paths) == want
    assert dry.blobs == 2 and dry.bytes == len(b"old checkpoint!") + len(b"old.csv")
    assert dry.kept == 2
    assert all((temp_home / p).exists() for p in want)

    real = collect(temp_home, *refs, dry_run=False)
    assert not real.dry_run and sorted(real.paths) == want and real.bytes == dry.bytes
    assert not any((temp_home / p).exists() for p in want)
    assert (arts / kept_art[:2] / kept_art).read_bytes() == b"model weights"
    assert (blobs / kept_blob[:2] / kept_blob).read_bytes() == b"train.csv"
    # Emptied shard folders are gone (unless the shard is shared with a kept blob).
    for p in want:
        shard = (temp_home / p).parent
        assert not shard.exists() or any(shard.iterdir())
    assert collect(temp_home, *refs, dry_run=False).blobs == 0


def test_young_blobs_are_kept_by_the_grace_period(temp_home: Path) -> None:
    arts, _ = _stores(temp_home)
    young = _blob(arts, b"just stored by a script", old=False)
    report = collect(temp_home, set(), set(), dry_run=False)
    assert report.blobs == 0 and report.kept == 1
    assert (arts / young[:2] / young).exists()
    assert collect(temp_home, set(), set(), dry_run=True, grace_s=0).blobs == 1


def test_nothing_outside_the_stores_is_touched(temp_home: Path, tmp_path: Path) -> None:
    arts, _ = _stores(temp_home)
    _blob(arts, b"a")
    hex_digest = hashlib.sha256(b"outside").hexdigest()
    elsewhere = [
        temp_home / "artifacts" / hex_digest[:2] / hex_digest,  # not under sha256/
        temp_home / "datasets" / hex_digest,
        temp_home / hex_digest,
        arts / hex_digest[:2] / ".tmp-abc",  # a store temp file
        arts / hex_digest[:2] / (hex_digest + ".part"),
        arts / "zz" / hex_digest,  # shard is not hex
        arts / "00" / hex_digest,  # blob in the wrong shard
        arts / hex_digest[:2] / hex_digest.upper(),
    ]
    for path in elsewhere:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"keep me")
        os.utime(path, (OLD, OLD))
    report = collect(temp_home, set(), set(), dry_run=False)
    assert report.blobs == 1
    assert all(p.read_bytes() == b"keep me" for p in elsewhere)


def test_symlinks_are_not_followed(temp_home: Path, tmp_path: Path) -> None:
    arts, blobs = _stores(temp_home)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim_hex = _blob(outside, b"user data")  # outside/<2>/<hex>, looks like a store
    victim = outside / victim_hex[:2] / victim_hex
    # A blob that is a symlink to a user file, a shard that links out, a whole store linked out.
    link_hex = hashlib.sha256(b"link").hexdigest()
    (arts / link_hex[:2]).mkdir(parents=True)
    (arts / link_hex[:2] / link_hex).symlink_to(victim)
    (blobs.parent).mkdir(parents=True)
    blobs.symlink_to(outside)
    shard_link = arts / victim_hex[:2]
    if not shard_link.exists():
        shard_link.symlink_to(outside / victim_hex[:2])
    report = collect(temp_home, set(), set(), dry_run=False)
    assert report.blobs == 0
    assert victim.read_bytes() == b"user data"
    assert (arts / link_hex[:2] / link_hex).is_symlink()


def test_missing_stores_give_an_empty_report(temp_home: Path) -> None:
    report = collect(temp_home, set(), set(), dry_run=False)
    assert (report.blobs, report.bytes, report.paths, report.kept) == (0, 0, [], 0)


def test_read_only_shard_folder_is_handled(temp_home: Path) -> None:
    arts, _ = _stores(temp_home)
    gone = _blob(arts, b"read only")
    shard = arts / gone[:2]
    os.chmod(shard, 0o555)
    try:
        report = collect(temp_home, set(), set(), dry_run=False)
    finally:
        if shard.exists():
            os.chmod(shard, 0o755)
    assert report.blobs == 1 and not (shard / gone).exists()
