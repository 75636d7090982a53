"""Restore a snapshotted version from the store into a folder, byte for byte, verified.

Everything is written into a temp folder next to ``dest`` and renamed into place only after
every file's BLAKE3 and the version's fingerprint check out: a failure or a cancel leaves
``dest`` as it was (absent or empty).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import blake3

from mlops_desktop.core.datasets import ManifestEntry
from mlops_desktop.core.errors import DatasetError, OperationCancelled
from mlops_desktop.datasets.manifest import fingerprint
from mlops_desktop.datasets.store import SnapshotStore

CANCELLED_MESSAGE = "Checkout was cancelled; nothing was written."
_CHUNK = 1 << 20


def _safe_parts(rel: str) -> tuple[str, ...]:
    """The path's parts; DatasetError when absolute, or with ``..``, ``.`` or empty parts."""
    parts = tuple(rel.split("/"))
    if (
        not rel
        or PurePosixPath(rel).is_absolute()
        or "\x00" in rel
        or any(p in ("..", ".", "") for p in parts)
    ):
        raise DatasetError(_unsafe(rel))
    return parts


def _unsafe(rel: str) -> str:
    return f"Refusing to restore {rel!r}: the path is not inside the folder."


def checkout(
    entries: list[ManifestEntry],
    store: SnapshotStore,
    dest: Path,
    expected_fingerprint: str,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Write the version's files into ``dest`` (created; must not exist or be empty).

    For a single-file version (one entry named after the file) ``dest`` is the folder that
    receives the file.

    Returns:
        ``dest`` as an absolute path.

    Raises:
        DatasetError: ``dest`` is not empty, a path is unsafe, a blob is missing or damaged,
            or the fingerprint does not match.
        OperationCancelled: ``cancelled()`` became true (nothing is left behind).
    """
    dest = Path(os.path.abspath(dest))
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DatasetError(f"{dest} already exists and is not empty; choose a new folder.")
    if fingerprint(entries) != expected_fingerprint:
        raise DatasetError("The version's manifest does not match its fingerprint; not restored.")
    seen: set[tuple[str, ...]] = set()
    for e in entries:
        parts = _safe_parts(e.path)
        if parts in seen:
            raise DatasetError(f"{e.path} appears twice in the manifest; not restored.")
        seen.add(parts)
        store.path_of(e.hash)  # validates the hash
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.checkout-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        _write_all(entries, store, tmp, progress, cancelled)
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _write_all(
    entries: list[ManifestEntry],
    store: SnapshotStore,
    tmp: Path,
    progress: Callable[[int, int, str], None] | None,
    cancelled: Callable[[], bool] | None,
) -> None:
    total = sum(e.size for e in entries)
    done = 0
    real_tmp = os.path.realpath(tmp)
    for e in entries:
        if cancelled and cancelled():
            raise OperationCancelled(CANCELLED_MESSAGE)
        target = tmp.joinpath(*_safe_parts(e.path))
        if not os.path.realpath(target).startswith(real_tmp + os.sep):
            raise DatasetError(
                f"Refusing to restore {e.path!r}: the path is not inside the folder."
            )
        blob = store.path_of(e.hash)
        if progress:
            progress(done, total, e.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        hasher = blake3.blake3()
        size = 0
        try:
            with open(blob, "rb") as src, open(target, "xb") as dst:
                while chunk := src.read(_CHUNK):
                    hasher.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                    if cancelled and cancelled():
                        raise OperationCancelled(CANCELLED_MESSAGE)
        except FileNotFoundError:
            raise DatasetError(
                f"{e.path} is missing from the snapshot store: this version was not snapshotted "
                "completely and cannot be restored."
            ) from None
        except FileExistsError:
            raise DatasetError(f"{e.path} clashes with another file of the version.") from None
        if size != e.size or hasher.hexdigest() != e.hash:
            raise DatasetError(
                f"The stored copy of {e.path} is damaged (its content no longer matches its hash); "
                "the version cannot be restored."
            )
        done += size
    if progress:
        progress(total, total, "")
