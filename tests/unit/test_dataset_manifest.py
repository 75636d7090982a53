"""Scan, stat cache, hashing and manifests of the dataset engine."""

from __future__ import annotations

import builtins
import os
import sqlite3
from pathlib import Path

import blake3
import pytest

from mlops_desktop.core.errors import DatasetError, OperationCancelled
from mlops_desktop.datasets import hashing
from mlops_desktop.datasets.manifest import build_manifest, fingerprint, quick_change_check
from mlops_desktop.datasets.scan import scan_tree
from mlops_desktop.datasets.statcache import StatCache

OLD = 1_600_000_000_000_000_000  # a fixed mtime in the past (not racy)


def make_tree(root: Path) -> Path:
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "a.csv").write_text("x,y\n1,2\n")
    (root / "sub" / "b.bin").write_bytes(os.urandom(3 << 20))  # medium: chunked path
    (root / "sub" / "deep" / "c.txt").write_text("hello")
    (root / "empty").write_bytes(b"")
    return root


def age(root: Path) -> None:
    for dirpath, _, names in os.walk(root):
        for n in names:
            os.utime(os.path.join(dirpath, n), ns=(OLD, OLD))


@pytest.fixture
def cache(tmp_path: Path) -> StatCache:
    c = StatCache.for_home(tmp_path / "home")
    yield c
    c.close()


def test_manifest_of_folder(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "d")
    res = build_manifest(root)
    assert [e.path for e in res.entries] == ["a.csv", "empty", "sub/b.bin", "sub/deep/c.txt"]
    data = (root / "sub" / "b.bin").read_bytes()
    b = res.entries[2]
    assert (b.size, b.hash) == (len(data), blake3.blake3(data).hexdigest())
    assert res.entries[1].hash == blake3.blake3(b"").hexdigest()
    assert res.total_bytes == res.hashed_bytes == sum(e.size for e in res.entries)
    assert res.skipped == []


def test_manifest_of_single_file(tmp_path: Path) -> None:
    f = tmp_path / "one.csv"
    f.write_text("a\n1\n")
    res = build_manifest(f)
    assert [(e.path, e.size) for e in res.entries] == [("one.csv", 4)]


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        build_manifest(tmp_path / "nope")


def test_large_file_hash_matches(tmp_path: Path) -> None:
    f = tmp_path / "big"
    data = os.urandom(hashing.LARGE + 12345)
    f.write_bytes(data)
    assert hashing.hash_file(f) == blake3.blake3(data).hexdigest()


def test_fingerprint_stable_and_sensitive(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "d")
    fp = fingerprint(build_manifest(root).entries)
    assert fp.startswith("blake3:") and len(fp) == 7 + 64
    assert fingerprint(list(reversed(build_manifest(root).entries))) == fp
    copy = tmp_path / "copy"
    os.rename(root, copy)
    assert fingerprint(build_manifest(copy).entries) == fp  # location does not matter
    raw = bytearray((copy / "sub" / "b.bin").read_bytes())
    raw[1000] ^= 1
    (copy / "sub" / "b.bin").write_bytes(bytes(raw))
    fp2 = fingerprint(build_manifest(copy).entries)
    assert fp2 != fp
    os.rename(copy / "a.csv", copy / "a2.csv")
    assert fingerprint(build_manifest(copy).entries) not in (fp, fp2)


def test_stat_cache_hit_does_not_read(
    tmp_path: Path, cache: StatCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "d")
    age(root)
    first = build_manifest(root, cache=cache)
    calls: list[str] = []
    real = hashing.hash_file
    monkeypatch.setattr(hashing, "hash_file", lambda p, **kw: calls.append(p) or real(p, **kw))
    # same size and mtime, different bytes: the cached hash is reused (proof of no read)
    target = root / "a.csv"
    target.write_text("x,y\n9,9\n")
    os.utime(target, ns=(OLD, OLD))
    second = build_manifest(root, cache=cache)
    assert calls == []
    assert second.hashed_bytes == 0
    assert fingerprint(second.entries) == fingerprint(first.entries)
    # a real change (new mtime) is hashed again
    target.write_text("x,y\n9,9,9\n")
    third = build_manifest(root, cache=cache)
    assert [Path(p).name for p in calls] == ["a.csv"]
    assert third.hashed_bytes == target.stat().st_size


def test_racy_cache_row_not_trusted(tmp_path: Path, cache: StatCache) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    st = f.stat()
    cache.put_many([(str(f), st.st_size, st.st_mtime_ns, st.st_ino, "h")], st.st_mtime_ns)
    assert cache.get_many([str(f)]) == {}
    cache.put_many([(str(f), st.st_size, st.st_mtime_ns, st.st_ino, "h")], st.st_mtime_ns + 10**9)
    assert cache.get_many([str(f)]) == {str(f): (st.st_size, st.st_mtime_ns, st.st_ino, "h")}


def test_stat_cache_many_paths_and_corrupt_file(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    c = StatCache(db)
    rows = [(f"/x/{i}", i, OLD, i, f"{i:064x}") for i in range(5000)]
    c.put_many(rows, stat_time_ns=OLD + 10**10)
    got = c.get_many([r[0] for r in rows] + ["/missing"])
    assert len(got) == 5000 and got["/x/42"] == (42, OLD, 42, f"{42:064x}")
    c.close()
    db.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    c2 = StatCache(db)
    assert c2.get_many(["/x/1"]) == {}
    assert list(tmp_path.glob("c.db.corrupt-*"))
    c2.close()
    sqlite3.connect(db).close()


def test_file_changing_during_hash_is_rehashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "d"
    root.mkdir()
    f = root / "data.csv"
    f.write_text("v1\n")
    real = hashing.hash_file
    calls = {"n": 0}

    def modifying(p: str, **kw: object) -> str:
        digest = real(p, **kw)  # type: ignore[arg-type]
        calls["n"] += 1
        if calls["n"] == 1:  # between the before-stat and the after-stat
            f.write_text("version two\n")
        return digest

    monkeypatch.setattr(hashing, "hash_file", modifying)
    res = build_manifest(root)
    assert calls["n"] == 2
    assert res.rehashed == ["data.csv"]
    assert res.entries[0].hash == blake3.blake3(b"version two\n").hexdigest()
    assert res.entries[0].size == len(b"version two\n")


def test_file_that_keeps_changing_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "d" / "live.log"
    f.parent.mkdir()
    f.write_text("0")
    real = hashing.hash_file

    def growing(p: str, **kw: object) -> str:
        digest = real(p, **kw)  # type: ignore[arg-type]
        with open(f, "a") as fh:
            fh.write("more")
        return digest

    monkeypatch.setattr(hashing, "hash_file", growing)
    res = build_manifest(f.parent)
    assert res.entries == []
    assert res.skipped == ["live.log kept changing while it was being hashed (3 tries); skipped"]


def test_unreadable_file_skipped_via_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(tmp_path / "d")
    real_open = builtins.open

    def guarded(file: object, *a: object, **kw: object) -> object:
        if str(file).endswith("a.csv"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", guarded)
    res = build_manifest(root)
    assert "a.csv" not in [e.path for e in res.entries]
    assert res.skipped == ["cannot read a.csv: permission denied"]
    assert len(res.entries) == 3


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files with mode 000")
def test_unreadable_file_and_folder_skipped_via_chmod(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "d")
    (root / "a.csv").chmod(0)
    (root / "sub" / "deep").chmod(0)
    try:
        res = build_manifest(root)
    finally:
        (root / "a.csv").chmod(0o644)
        (root / "sub" / "deep").chmod(0o755)
    assert [e.path for e in res.entries] == ["empty", "sub/b.bin"]
    assert "cannot read a.csv: permission denied" in res.skipped
    assert "cannot read sub/deep: permission denied" in res.skipped


def test_symlinks(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "d")
    outside = tmp_path / "secret.txt"
    outside.write_text("s")
    (root / "loop1").symlink_to(root / "loop2")
    (root / "loop2").symlink_to(root / "loop1")
    (root / "out").symlink_to(outside)
    (root / "inside").symlink_to(root / "a.csv")
    (root / "dirlink").symlink_to(root / "sub")
    (root / "dangling").symlink_to(root / "nothing")
    scan = scan_tree(root)
    rels = [f.rel for f in scan.files]
    assert "inside" in rels and "out" not in rels and "dirlink" not in rels
    text = "\n".join(scan.skipped)
    assert "out is a link to outside the folder" in text
    assert "dirlink is a link to a folder" in text
    assert "dangling is a dangling link" in text
    # loops resolve to a path inside the root that cannot be stat'ed
    assert "loop1" in text and "loop2" in text
    res = build_manifest(root)
    inside = next(e for e in res.entries if e.path == "inside")
    assert inside.hash == next(e for e in res.entries if e.path == "a.csv").hash


def test_non_utf8_file_names(tmp_path: Path, cache: StatCache) -> None:
    root = tmp_path / "d"
    root.mkdir()
    raw = os.fsencode(str(root)) + b"/caf\xe9.csv"
    with open(raw, "wb") as fh:
        fh.write(b"1,2\n")
    os.utime(raw, ns=(OLD, OLD))
    res = build_manifest(root, cache=cache)
    assert len(res.entries) == 1
    name = res.entries[0].path
    assert os.fsencode(name) == b"caf\xe9.csv"
    fp = fingerprint(res.entries)
    again = build_manifest(root, cache=cache)
    assert again.hashed_bytes == 0 and fingerprint(again.entries) == fp
    assert quick_change_check(root, res.entries, cache) is None


def test_cancel_mid_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "d"
    root.mkdir()
    for i in range(20):
        (root / f"f{i}").write_bytes(os.urandom(2 << 20))
    started: list[str] = []
    real = hashing.hash_file

    def counting(p: str, **kw: object) -> str:
        started.append(p)
        return real(p, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(hashing, "hash_file", counting)
    with pytest.raises(OperationCancelled, match="nothing was recorded"):
        build_manifest(root, cancelled=lambda: bool(started), threads=2)
    assert 1 <= len(started) < 20


def test_progress_reaches_total(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "d")
    calls: list[tuple[int, int, str]] = []
    res = build_manifest(root, progress=lambda d, t, c: calls.append((d, t, c)))
    assert calls[-1][:2] == (res.total_bytes, res.total_bytes)
    assert all(d <= t for d, t, _ in calls)


def test_quick_change_check(tmp_path: Path, cache: StatCache) -> None:
    root = make_tree(tmp_path / "d")
    age(root)
    entries = build_manifest(root, cache=cache).entries
    assert quick_change_check(root, entries, cache) is None
    (root / "new.txt").write_text("n")
    assert quick_change_check(root, entries, cache) == "1 file added"
    (root / "empty").unlink()
    assert quick_change_check(root, entries, cache) == "1 file added, 1 removed"
    (root / "a.csv").write_text("x,y\n1,3\n")  # same size, new mtime
    (root / "sub" / "deep" / "c.txt").write_text("hello world")  # new size
    assert quick_change_check(root, entries, cache) == "2 files changed, 1 added, 1 removed"
    assert quick_change_check(tmp_path / "gone", entries, cache) == "4 files removed"
