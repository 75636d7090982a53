"""A machine-local stat cache: (path, size, mtime_ns, inode) -> BLAKE3 hash of the file.

It is only a cache: a corrupt file is moved aside and recreated. SQLite (stdlib) in WAL mode
with a busy timeout, so several processes can share it. Paths are stored as bytes
(``os.fsencode``) so that names that are not valid UTF-8 work.

Racy entries: a file modified twice within one tick of the filesystem clock keeps its mtime.
A row whose ``mtime_ns`` is within :data:`RACY_NS` of the moment the file was stat'ed is
therefore not trusted (``get_many`` leaves it out), as git does for its index.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

RACY_NS = 20_000_000  # 20 ms: above the coarse clock tick of ext4/xfs/btrfs (1-10 ms)
_CHUNK = 900

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat (
    path BLOB PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    hash TEXT NOT NULL,
    stat_ns INTEGER NOT NULL
) WITHOUT ROWID
"""


class StatCache:
    """Cache of file hashes keyed by absolute path; safe to share between processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError:
            self._move_aside()
            self._conn = self._open()

    @classmethod
    def for_home(cls, home: Path) -> StatCache:
        """The cache at ``HOME/cache/stat-cache.db``."""
        return cls(Path(home) / "cache" / "stat-cache.db")

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            conn.execute("SELECT count(*) FROM stat LIMIT 1").fetchone()
            conn.commit()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _move_aside(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                with contextlib.suppress(OSError):
                    os.replace(src, Path(f"{self.path}.corrupt-{stamp}{suffix}"))

    def get_many(self, paths: list[str]) -> dict[str, tuple[int, int, int, str]]:
        """Cached ``(size, mtime_ns, inode, hash)`` of each path that has a trusted row."""
        out: dict[str, tuple[int, int, int, str]] = {}
        keys = {os.fsencode(p): p for p in paths}
        blobs = list(keys)
        try:
            for i in range(0, len(blobs), _CHUNK):
                chunk = blobs[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    "SELECT path, size, mtime_ns, inode, hash, stat_ns FROM stat "
                    f"WHERE path IN ({marks})",
                    chunk,
                ).fetchall()
                for path, size, mtime_ns, inode, digest, stat_ns in rows:
                    if mtime_ns + RACY_NS >= stat_ns:
                        continue  # racy: may have changed within the same clock tick
                    out[keys[bytes(path)]] = (size, mtime_ns, inode, digest)
        except sqlite3.DatabaseError:
            return out  # a cache that cannot be read is a cache miss
        return out

    def put_many(
        self, rows: list[tuple[str, int, int, int, str]], stat_time_ns: int | None = None
    ) -> None:
        """Store ``(path, size, mtime_ns, inode, hash)`` rows.

        Args:
            rows: one per file.
            stat_time_ns: when the files were stat'ed (before hashing); defaults to now.
        """
        when = time.time_ns() if stat_time_ns is None else stat_time_ns
        data = [(os.fsencode(p), s, m, i, h, when) for p, s, m, i, h in rows]
        try:
            with self._conn:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO stat (path, size, mtime_ns, inode, hash, stat_ns) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    data,
                )
        except sqlite3.OperationalError:
            pass  # locked for too long or disk full: the cache is only an optimisation

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> StatCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
