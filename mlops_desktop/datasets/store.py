"""Content-addressed store of snapshotted files: ``<root>/<hash[:2]>/<hash>``.

Each file is stored once per BLAKE3 hash, read-only (0o444). ``put`` tries a reflink
(``FICLONE``: a copy-on-write clone on btrfs, XFS, bcachefs...) and falls back to a copy; both
go to a temp file in the store that is verified against the hash and then renamed into place,
so a blob is either complete and correct or absent.

Hard links are not used by default: a hard link shares the user's inode, so an in-place edit
of the original file (most editors and ``open(..., "r+")`` do this) would silently change the
snapshot too, and the version could no longer be restored. ``link="hardlink"`` opts in for
people who know their files are only ever replaced, never edited in place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Literal

from mlops_desktop.core.errors import DatasetError
from mlops_desktop.datasets import hashing

FICLONE = 0x40049409
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NO_REFLINK = {errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL, errno.ENOSYS}

LinkMode = Literal["auto", "copy", "hardlink"]


class SnapshotStore:
    """The blob store; safe to share between threads and processes (writes are atomic renames)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def for_home(cls, home: Path) -> SnapshotStore:
        """The store at ``HOME/datasets/blobs``."""
        return cls(Path(home) / "datasets" / "blobs")

    def path_of(self, file_hash: str) -> Path:
        """Where the blob of ``file_hash`` lives.

        Raises:
            DatasetError: ``file_hash`` is not 64 lowercase hex digits (so no path can escape).
        """
        if not isinstance(file_hash, str) or not _HEX64.fullmatch(file_hash):
            raise DatasetError(f"{file_hash!r} is not a valid file hash (64 lowercase hex digits).")
        return self.root / file_hash[:2] / file_hash

    def has(self, file_hash: str) -> bool:
        """Whether a blob for ``file_hash`` is stored."""
        return self.path_of(file_hash).is_file()

    def verify(self, file_hash: str) -> bool:
        """Whether the stored blob exists and its bytes still hash to ``file_hash``."""
        path = self.path_of(file_hash)
        try:
            return hashing.hash_file(path) == file_hash
        except OSError:
            return False

    def put(self, source: Path, file_hash: str, link: LinkMode = "auto") -> str:
        """Store ``source`` under ``file_hash``.

        Args:
            source: the user's file.
            file_hash: its expected BLAKE3 hex (from the manifest).
            link: "auto" (reflink, else copy), "copy", or "hardlink" (opt-in, see module doc).

        Returns:
            "present" (already stored), "reflink", "copy" or "hardlink".

        Raises:
            DatasetError: the file cannot be read, or its bytes no longer hash to
                ``file_hash`` (it changed while it was being snapshotted).
        """
        dst = self.path_of(file_hash)
        if dst.is_file():
            with contextlib.suppress(OSError):
                os.utime(dst)  # fresh again: GC's grace period covers a version being added
            return "present"
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.parent / f".{file_hash}.{uuid.uuid4().hex}.tmp"
        try:
            how = self._write(Path(source), tmp, link)
            if hashing.hash_file(tmp) != file_hash:
                raise DatasetError(
                    f"{source} changed while it was being snapshotted; add the dataset again."
                )
            if how != "hardlink":
                os.chmod(tmp, 0o444)
            os.replace(tmp, dst)
            return how
        except PermissionError:
            raise DatasetError(f"cannot read {source}: permission denied") from None
        except FileNotFoundError:
            raise DatasetError(f"{source} disappeared before it could be snapshotted.") from None
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise DatasetError("The disk is full; the snapshot could not be stored.") from None
            raise DatasetError(f"cannot snapshot {source}: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    @staticmethod
    def _write(source: Path, tmp: Path, link: LinkMode) -> str:
        if link == "hardlink":
            try:
                os.link(source, tmp)
                return "hardlink"
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP):
                    raise
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            if link == "auto":
                try:
                    fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
                    return "reflink"
                except OSError as exc:
                    if exc.errno not in _NO_REFLINK:
                        raise
            shutil.copyfileobj(src, dst, 1 << 20)
        return "copy"
