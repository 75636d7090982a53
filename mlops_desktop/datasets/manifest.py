"""Build a version's manifest (path, size, BLAKE3 per file) and its fingerprint.

Fingerprint format (stable; changing it changes every version's identity)::

    "blake3:" + blake3_hex(b"".join(sorted(line(e) for e in entries)))
    line(e) = esc(e.path) + b"\\t" + str(e.size) + b"\\t" + e.hash + b"\\n"

where ``esc`` encodes the POSIX relative path as UTF-8 (``surrogateescape``, so names that are
not valid UTF-8 keep their raw bytes) after replacing ``\\`` by ``\\\\``, TAB by ``\\t`` and
newline by ``\\n``; the lines are sorted as bytes. Any change of a byte, a size or a name
changes the fingerprint; the order files were found in does not.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import blake3

from mlops_desktop.core.datasets import ManifestEntry
from mlops_desktop.core.errors import OperationCancelled
from mlops_desktop.datasets import hashing
from mlops_desktop.datasets.scan import ScannedFile, scan_tree
from mlops_desktop.datasets.statcache import StatCache

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]

CANCELLED_MESSAGE = "Hashing was cancelled; nothing was recorded."
TRIES = 3
_BATCH_BYTES = 8 << 20  # small files are handed to the pool in batches (less overhead)
_BATCH_FILES = 512
_PROGRESS_EVERY = 0.1  # seconds


@dataclass
class ManifestResult:
    """A manifest and how it was made.

    Attributes:
        entries: sorted by path.
        skipped: one sentence per file that could not be included.
        hashed_bytes: bytes actually read and hashed (the rest came from the stat cache).
        total_bytes: total size of ``entries``.
        rehashed: files hashed again because they changed while being hashed.
    """

    entries: list[ManifestEntry]
    skipped: list[str] = field(default_factory=list)
    hashed_bytes: int = 0
    total_bytes: int = 0
    rehashed: list[str] = field(default_factory=list)


def _line(entry: ManifestEntry) -> bytes:
    path = entry.path.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    raw = path.encode("utf-8", "surrogateescape")
    return raw + f"\t{entry.size}\t{entry.hash}\n".encode("ascii")


def fingerprint(entries: list[ManifestEntry]) -> str:
    """``blake3:<hex>`` over the canonical sorted manifest (format in the module docstring)."""
    hasher = blake3.blake3()
    for line in sorted(_line(e) for e in entries):
        hasher.update(line)
    return "blake3:" + hasher.hexdigest()


def _key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class _Hasher:
    """Hashes a list of files on a pool; collects entries, sentences and counters."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.current = ""
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.entries: list[ManifestEntry] = []
        self.cache_rows: list[tuple[str, int, int, int, str]] = []
        self.skipped: list[str] = []
        self.rehashed: list[str] = []
        self.hashed_bytes = 0

    def _add(self, n: int) -> None:
        self.done += n  # races only blur the progress figure (ints are not torn)

    def hash_batch(self, files: list[ScannedFile]) -> None:
        for f in files:
            if self.stop.is_set():
                raise OperationCancelled(CANCELLED_MESSAGE)
            self.current = f.rel
            self._hash_one(f)

    def _hash_one(self, f: ScannedFile) -> None:
        path = f.path
        read = 0
        for attempt in range(TRIES):
            try:
                before = os.stat(path)
                digest = hashing.hash_file(path, cancelled=self.stop.is_set, on_bytes=self._add)
                after = os.stat(path)
            except FileNotFoundError:
                self._skip(f"{f.rel} disappeared while it was being hashed; skipped")
                return
            except PermissionError:
                self._skip(f"cannot read {f.rel}: permission denied")
                return
            except OSError as exc:
                self._skip(f"cannot read {f.rel}: {(exc.strerror or str(exc)).lower()}")
                return
            read += after.st_size
            if _key(before) == _key(after):
                with self.lock:
                    self.hashed_bytes += read
                    self.done += after.st_size - before.st_size  # keep progress ≈ sizes
                    self.entries.append(ManifestEntry(f.rel, after.st_size, digest))
                    self.cache_rows.append((path, *_key(after), digest))
                    if attempt:
                        self.rehashed.append(f.rel)
                return
        self._skip(f"{f.rel} kept changing while it was being hashed ({TRIES} tries); skipped")
        with self.lock:
            self.hashed_bytes += read

    def _skip(self, sentence: str) -> None:
        with self.lock:
            self.skipped.append(sentence)


def _batches(files: list[ScannedFile]) -> list[list[ScannedFile]]:
    """Large files alone, small ones grouped, biggest first (keeps every thread busy)."""
    out: list[list[ScannedFile]] = []
    batch: list[ScannedFile] = []
    size = 0
    for f in sorted(files, key=lambda f: f.size, reverse=True):
        if f.size >= _BATCH_BYTES:
            out.append([f])
            continue
        batch.append(f)
        size += f.size
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            out.append(batch)
            batch, size = [], 0
    if batch:
        out.append(batch)
    return out


def build_manifest(
    root: Path,
    cache: StatCache | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    threads: int | None = None,
) -> ManifestResult:
    """Hash every file under ``root`` (a file or folder), reusing the stat cache.

    A file whose (size, mtime_ns, inode) matches the cache keeps its cached hash and is not
    read. The others are hashed on a thread pool (blake3 releases the GIL), each stat'ed
    before and after and hashed again (up to 3 tries) if it changed meanwhile.

    Args:
        root: file or folder.
        cache: stat cache to read and update; None hashes everything.
        progress: ``progress(done_bytes, total_bytes, current_rel)``, at most ~10 times a
            second, from the calling thread.
        cancelled: polled often; when true, raises OperationCancelled and records nothing.
        threads: pool size (default: number of CPUs).

    Raises:
        DatasetError: ``root`` does not exist.
        OperationCancelled: ``cancelled()`` became true.
    """
    stat_time = time.time_ns()
    scan = scan_tree(root)
    files = scan.files
    total = sum(f.size for f in files)
    cached = cache.get_many([f.path for f in files]) if cache else {}
    entries: list[ManifestEntry] = []
    todo: list[ScannedFile] = []
    for f in files:
        hit = cached.get(f.path)
        if hit is not None and hit[:3] == (f.size, f.mtime_ns, f.inode):
            entries.append(ManifestEntry(f.rel, f.size, hit[3]))
        else:
            todo.append(f)
    job = _Hasher(total)
    job.done = total - sum(f.size for f in todo)
    if todo:
        _run(job, todo, progress, cancelled, threads or os.cpu_count() or 2)
    if cancelled and cancelled():
        raise OperationCancelled(CANCELLED_MESSAGE)
    if cache and job.cache_rows:
        cache.put_many(job.cache_rows, stat_time_ns=stat_time)
    entries.extend(job.entries)
    entries.sort(key=lambda e: e.path)
    if progress:
        progress(total, total, "")
    return ManifestResult(
        entries=entries,
        skipped=scan.skipped + sorted(job.skipped),
        hashed_bytes=job.hashed_bytes,
        total_bytes=sum(e.size for e in entries),
        rehashed=sorted(job.rehashed),
    )


def _run(
    job: _Hasher,
    todo: list[ScannedFile],
    progress: Progress | None,
    cancelled: Cancelled | None,
    threads: int,
) -> None:
    pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="blake3")
    pending: set[Future[None]] = set()
    try:
        pending = {pool.submit(job.hash_batch, batch) for batch in _batches(todo)}
        last = time.monotonic()
        while pending:
            finished, pending = wait(pending, timeout=_PROGRESS_EVERY, return_when=FIRST_COMPLETED)
            for fut in finished:
                fut.result()  # re-raise a bug from a worker
            if cancelled and cancelled():
                raise OperationCancelled(CANCELLED_MESSAGE)
            now = time.monotonic()
            if progress and now - last >= _PROGRESS_EVERY:
                last = now
                progress(min(job.done, job.total), job.total, job.current)
    finally:
        job.stop.set()
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True)


def quick_change_check(root: Path, entries: list[ManifestEntry], cache: StatCache) -> str | None:
    """Whether the tree at ``root`` differs from ``entries``, by stat only (nothing is read).

    A file counts as changed when its size differs, or when the stat cache knows it with the
    manifest's hash but a different (size, mtime_ns, inode), or knows it with another hash.
    A file the cache does not know is judged by its size alone.

    Returns:
        A short sentence such as ``"3 files changed, 1 added, 2 removed"``, or None when
        nothing changed (or ``root`` is gone: that is reported as all files removed).
    """
    try:
        scan = scan_tree(root)
    except Exception:  # a missing root means everything was removed
        scan = None
    now = {f.rel: f for f in scan.files} if scan else {}
    old = {e.path: e for e in entries}
    added = sum(1 for rel in now if rel not in old)
    removed = sum(1 for rel in old if rel not in now)
    common = [(now[rel], e) for rel, e in old.items() if rel in now]
    known = cache.get_many([f.path for f, _ in common])
    changed = 0
    for f, e in common:
        if f.size != e.size:
            changed += 1
            continue
        hit = known.get(f.path)
        if hit is not None and (hit[3] != e.hash or hit[:3] != (f.size, f.mtime_ns, f.inode)):
            changed += 1
    return change_sentence(changed, added, removed)


def change_sentence(changed: int, added: int, removed: int) -> str | None:
    """``"3 files changed, 1 added, 2 removed"`` (first part says "file(s)"), or None."""
    parts = [(changed, "changed"), (added, "added"), (removed, "removed")]
    words: list[str] = []
    for count, verb in parts:
        if not count:
            continue
        if not words:
            words.append(f"{count} file{'s' if count != 1 else ''} {verb}")
        else:
            words.append(f"{count} {verb}")
    return ", ".join(words) or None
