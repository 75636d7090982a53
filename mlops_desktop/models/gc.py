"""Garbage collection of unreferenced blobs in the artifact and dataset stores.

Only two places are ever touched: ``HOME/artifacts/sha256/<2 hex>/<64 hex>`` and
``HOME/datasets/blobs/<2 hex>/<64 hex>``. Nothing is followed through a symlink (a linked
store, shard or blob is skipped), names that are not a digest in the right shard (temp files
and strays) are ignored, and blobs modified within the grace period are kept because a
script may have stored an artifact whose run event is not ingested yet. Files are never
chmod'ed (a dataset blob may be a hard link to the user's own file); only a store's shard
folder is made writable when an unlink needs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from mlops_desktop.core.models import GcReport

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX2 = re.compile(r"[0-9a-f]{2}")


def _real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _blobs(root: Path) -> Iterator[tuple[Path, str, os.stat_result]]:
    """(path, hex, lstat) of each regular blob file under a store root, without following links."""
    if not _real_dir(root):
        return
    with os.scandir(root) as shards:
        shard_entries = sorted(
            (e for e in shards if _HEX2.fullmatch(e.name) and e.is_dir(follow_symlinks=False)),
            key=lambda e: e.name,
        )
    for shard in shard_entries:
        try:
            with os.scandir(shard.path) as files:
                entries = sorted(files, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if not _HEX64.fullmatch(entry.name) or not entry.name.startswith(shard.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                yield Path(entry.path), entry.name, st


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except PermissionError:
        folder = path.parent
        mode = os.lstat(folder).st_mode
        os.chmod(folder, stat.S_IMODE(mode) | stat.S_IWUSR | stat.S_IXUSR)
        os.unlink(path)


def collect(
    home: Path,
    referenced_artifacts: set[str],
    referenced_blobs: set[str],
    dry_run: bool = True,
    grace_s: float = 24 * 3600,
) -> GcReport:
    """Find (and unless ``dry_run``, delete) blobs that nothing references.

    Args:
        home: the app home.
        referenced_artifacts: artifact digests in use, as ``"sha256:<hex>"``.
        referenced_blobs: dataset blob hashes in use, as plain BLAKE3 hex.
        dry_run: only report what would be freed.
        grace_s: blobs modified less than this many seconds ago are kept.

    Returns:
        A :class:`GcReport`: collected blob count, bytes, paths relative to ``home`` (POSIX
        form), and ``kept`` = referenced blobs plus young unreferenced ones.
    """
    home = Path(home)
    now = time.time()
    stores = [
        (home / "artifacts" / "sha256", {d.removeprefix("sha256:") for d in referenced_artifacts}),
        (home / "datasets" / "blobs", set(referenced_blobs)),
    ]
    paths: list[str] = []
    total = 0
    kept = 0
    touched: set[Path] = set()
    for root, referenced in stores:
        if not (_real_dir(root.parent) and _real_dir(root)):
            continue
        for path, hex_digest, st in _blobs(root):
            if hex_digest in referenced or now - st.st_mtime < grace_s:
                kept += 1
                continue
            if not dry_run:
                try:
                    _unlink(path)
                except FileNotFoundError:
                    continue  # gone meanwhile
                touched.add(path.parent)
            paths.append(path.relative_to(home).as_posix())
            total += st.st_size
    for shard in sorted(touched):
        with contextlib.suppress(OSError):
            shard.rmdir()  # only when empty
    return GcReport(dry_run=dry_run, blobs=len(paths), bytes=total, paths=paths, kept=kept)
