"""Benchmark: dataset fingerprinting against a plain read and MD5; stat-cache re-checks.

Usage::

    python tests/benchmarks/bench_fingerprint.py [--gb 2] [--files 200] [--small-files 100000]

(1) ``--gb`` GB in ``--files`` files, page cache warm: plain sequential read (readinto a
1 MiB buffer), MD5 (hashlib, what DVC uses) and ``build_manifest`` with an empty stat cache.
Targets: manifest >= 0.8x the read speed and >= 4x MD5.
(2) A tree of ``--small-files`` small files: first build (cold cache), re-check of the
unchanged tree with the stat cache (target < 3 s), and ``quick_change_check``.
Everything is written to a temp dir that is removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from mlops_desktop.datasets.manifest import build_manifest, fingerprint, quick_change_check
from mlops_desktop.datasets.statcache import StatCache

OLD = 1_600_000_000_000_000_000


def plain_read(paths: list[Path]) -> None:
    buf = memoryview(bytearray(1 << 20))
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass


def md5_all(paths: list[Path]) -> None:
    buf = memoryview(bytearray(1 << 20))
    for p in paths:
        h = hashlib.md5()
        with open(p, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                h.update(buf[:n])


def best_of(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def big_files(tmp: Path, gb: float, files: int, runs: int) -> None:
    root = tmp / "big"
    root.mkdir()
    size = int(gb * (1 << 30)) // files
    block = os.urandom(1 << 20)
    paths = []
    for i in range(files):
        p = root / f"part-{i:04d}.bin"
        with open(p, "wb") as f:
            left = size
            while left > 0:
                f.write(block[: min(left, len(block))])
                left -= len(block)
            f.write(i.to_bytes(8, "little"))
        paths.append(p)
    total = sum(p.stat().st_size for p in paths) / 1e9
    plain_read(paths)  # warm the page cache
    t_read = best_of(lambda: plain_read(paths), runs)
    t_md5 = best_of(lambda: md5_all(paths), 1)

    def manifest() -> None:
        with StatCache(tmp / f"cache-{time.time_ns()}.db") as cache:  # empty every run
            build_manifest(root, cache=cache)

    t_man = best_of(manifest, runs)
    print(f"(1) {total:.2f} GB in {files} files, page cache warm, best of {runs}")
    print(f"    plain read      {total / t_read:6.2f} GB/s  ({t_read:.2f} s)")
    print(f"    MD5 (hashlib)   {total / t_md5:6.2f} GB/s  ({t_md5:.2f} s)")
    print(f"    build_manifest  {total / t_man:6.2f} GB/s  ({t_man:.2f} s)")
    print(f"    manifest / read = {t_read / t_man:.2f}x (target >= 0.8)")
    print(f"    manifest / MD5  = {t_md5 / t_man:.2f}x (target >= 4)")
    shutil.rmtree(root)


def small_files(tmp: Path, count: int) -> None:
    root = tmp / "small"
    per_dir = 1000
    t = time.perf_counter()
    for i in range(count):
        d = root / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir(parents=True)
        p = d / f"f{i:06d}.txt"
        p.write_bytes(b"row %d\n" % i * (1 + i % 50))
    print(f"(2) {count} small files (created in {time.perf_counter() - t:.1f} s)")
    with StatCache(tmp / "small-cache.db") as cache:
        t = time.perf_counter()
        first = build_manifest(root, cache=cache)
        t_first = time.perf_counter() - t
        time.sleep(0.05)  # past the stat cache's racy window
        t = time.perf_counter()
        second = build_manifest(root, cache=cache)
        t_second = time.perf_counter() - t
        assert fingerprint(second.entries) == fingerprint(first.entries)
        t = time.perf_counter()
        sentence = quick_change_check(root, second.entries, cache)
        t_quick = time.perf_counter() - t
    print(f"    first build (cold cache)  {t_first:6.2f} s  ({first.hashed_bytes / 1e6:.1f} MB)")
    print(
        f"    re-check, unchanged       {t_second:6.2f} s  (target < 3 s; "
        f"{second.hashed_bytes} bytes re-read)"
    )
    print(f"    quick_change_check        {t_quick:6.2f} s  (says: {sentence})")
    shutil.rmtree(root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--small-files", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"CPUs: {os.cpu_count()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-fingerprint-"))
    try:
        if args.gb > 0:
            big_files(tmp, args.gb, args.files, args.runs)
        if args.small_files > 0:
            small_files(tmp, args.small_files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
