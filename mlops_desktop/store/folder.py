"""A lab store in a folder: a shared filesystem (NFS, SMB, any mounted path) or the home itself.

Every upload goes to a temp file next to its final place, is hashed again there and only then
renamed into place, so a blob is complete and correct or absent, and two desktops uploading
the same blob at once both succeed with one correct copy.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from pathlib import Path

from mlops_desktop.core.errors import StoreError, StoreUnreachable
from mlops_desktop.store.blobs import PREFIXES, BlobKey, hash_of, walk_blobs
from mlops_desktop.store.progress import FetchProgress

CHUNK = 1 << 20
FETCH_CHUNK = 4 << 20


class FolderStore:
    """Blobs under ``root`` in the home's layout; safe to share between processes."""

    def __init__(self, root: Path, label: str | None = None) -> None:
        self.root = Path(root)
        self.label = label or str(root)

    def check(self) -> None:
        """Raise StoreUnreachable unless the folder is there (mounted) and a folder."""
        if not self.root.is_dir():
            raise StoreUnreachable(
                f"The lab store {self.label} cannot be reached (the folder is not there: is the "
                "share mounted?); blobs already in this home or its cache still work."
            )

    def prepare(self) -> None:
        """Create the store's folders (for ``store set``).

        Raises:
            StoreError: the folder cannot be created or written.
        """
        if not self.root.is_dir():  # a typo, or a share not mounted: never a local folder
            raise StoreError(
                f"The folder {self.label} does not exist: create it, or mount the shared "
                "folder there, then set the lab store again."
            )
        try:
            for prefix in PREFIXES.values():
                (self.root / prefix).mkdir(parents=True, exist_ok=True)
            probe = self.root / f".probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StoreError(
                f"The folder {self.label} cannot be used as the lab store: {exc.strerror or exc}."
            ) from None

    def listing(self) -> dict[BlobKey, int]:
        """Every blob of the store with its size."""
        self.check()
        return dict(walk_blobs(self.root))

    def has(self, key: BlobKey) -> bool:
        return (self.root / key.rel).is_file()

    def put(self, source: Path, key: BlobKey) -> bool:
        """Upload ``source`` as ``key``; False when the store has it already.

        Raises:
            StoreError: the copy does not hash to ``key`` (nothing is left), or the store's
                disk refused it.
        """
        dst = self.root / key.rel
        if dst.is_file():
            return False
        tmp = dst.parent / f".{key.hex}.{uuid.uuid4().hex}.tmp"
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            with open(source, "rb") as src, open(tmp, "xb") as out:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            if hash_of(key.kind, tmp) != key.hex:
                raise StoreError(
                    f"The copy of {source.name} in the lab store {self.label} does not match its "
                    "hash; it was not kept. Run `mlops-desktop store sync` again."
                )
            os.chmod(tmp, 0o444)
            os.replace(tmp, dst)  # a concurrent upload of the same blob lands the same bytes
            return True
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StoreError(f"The lab store {self.label} is full.") from None
            self.check()
            raise StoreError(
                f"{source.name} could not be uploaded to the lab store {self.label}: "
                f"{exc.strerror or exc}."
            ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def fetch(self, key: BlobKey, dest: Path, progress: FetchProgress | None = None) -> bool:
        """Copy the blob into the new file ``dest``; False when the store lacks it.
        ``progress`` hears (bytes done, bytes in all) after each chunk of 4 MiB."""
        self.check()
        try:
            with open(self.root / key.rel, "rb") as src, open(dest, "wb") as out:
                total, done = os.fstat(src.fileno()).st_size, 0
                while chunk := src.read(FETCH_CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, max(total, done))
                if progress is not None and done == 0:
                    progress(0, 0)
        except FileNotFoundError:
            return False
        return True
