"""A home's cache of blobs fetched from the lab store: by hash, with a size limit; the least
recently used go first.

Each read sets the blob's modification time to now (in nanoseconds: the file system's own
clock ticks too coarsely to order reads a moment apart), so the oldest times are the least recently
used. The limit lives in the cache folder (``limit``), one per home.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
import uuid
from pathlib import Path

from mlops_desktop.core.errors import StoreError
from mlops_desktop.store.blobs import BlobKey, walk_blobs

DEFAULT_LIMIT = 20 * 2**30
LIMIT_FILE = "limit"
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?", re.IGNORECASE)
_SHIFT = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}


def parse_size(text: str) -> int:
    """``"500M"``, ``"2G"``, ``"1.5GiB"`` or a number of bytes, as bytes.

    Raises:
        StoreError: not a size.
    """
    m = _SIZE.fullmatch(text.strip())
    if m is None:
        raise StoreError(f"{text!r} is not a size: write bytes, or a number with K, M, G or T.")
    return int(float(m.group(1)) * (1 << _SHIFT[m.group(2).lower()]))


class BlobCache:
    """Blobs under ``root`` in the home's layout (``HOME/cache/store``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def limit(self) -> int:
        """The most bytes the cache keeps (default 20 GiB)."""
        try:
            value = int((self.root / LIMIT_FILE).read_text().strip())
        except (OSError, ValueError):
            return DEFAULT_LIMIT
        return value if value >= 0 else DEFAULT_LIMIT

    def set_limit(self, limit: int) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / LIMIT_FILE).write_text(f"{int(limit)}\n")
        self.evict()

    def get(self, key: BlobKey) -> Path | None:
        """The cached blob (now the most recently used), or None."""
        path = self.root / key.rel
        try:
            _touch(path)
        except OSError:
            return None
        return path

    def temp_path(self, key: BlobKey) -> Path:
        """A fresh temp file name next to where ``key`` goes."""
        folder = (self.root / key.rel).parent
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f".{key.hex}.{uuid.uuid4().hex}.tmp"

    def admit(self, tmp: Path, key: BlobKey) -> Path:
        """Move a verified temp file into the cache, then evict down to the limit (never the
        blob just admitted)."""
        path = self.root / key.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
        _touch(path)
        self.evict(keep=key)
        return path

    def usage(self) -> tuple[int, int]:
        """(blobs, bytes) in the cache."""
        sizes = [size for _, size in walk_blobs(self.root)]
        return len(sizes), sum(sizes)

    def evict(self, keep: BlobKey | None = None) -> int:
        """Remove the least recently used blobs until the cache fits its limit; bytes freed."""
        limit = self.limit
        found = []
        for key, size in walk_blobs(self.root):
            with contextlib.suppress(OSError):
                found.append(((self.root / key.rel).stat().st_mtime_ns, size, key))
        total = sum(size for _, size, _ in found)
        freed = 0
        for _mtime, size, key in sorted(found, key=lambda t: t[0]):
            if total <= limit:
                break
            if key == keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                (self.root / key.rel).unlink()
                total -= size
                freed += size
        return freed

    def clear(self) -> int:
        """Remove every cached blob; bytes freed (the limit stays)."""
        _, size = self.usage()
        for prefix in ("artifacts", "datasets"):
            shutil.rmtree(self.root / prefix, ignore_errors=True)
        return size


def _touch(path: Path) -> None:
    now = time.time_ns()
    os.utime(path, ns=(now, now))
