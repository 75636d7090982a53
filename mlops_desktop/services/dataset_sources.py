"""Where the bytes of a version's file can be read now: the snapshot store or the source.

A version references its files in place unless it was snapshotted. An old version's file may
have changed at the source since; it is read there only while it still has the recorded hash.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mlops_desktop.core.datasets import DatasetVersion, ManifestEntry

NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def check_name(name: str) -> str:
    """``name`` when it is a valid dataset name.

    Raises:
        DatasetError: it is empty, longer than 100 characters or has other characters than
            letters, digits, ``-``, ``_`` and ``.``.
    """
    from mlops_desktop.core.errors import DatasetError

    if not isinstance(name, str) or not NAME_RE.match(name) or name in (".", ".."):
        raise DatasetError(
            f"{name!r} is not a dataset name: use 1 to 100 letters, digits, '-', '_' or '.'."
        )
    return name


def source_file(source_path: str, rel: str) -> Path:
    """The file ``rel`` of a version registered from ``source_path`` (a file or a folder)."""
    root = Path(source_path)
    if root.name == rel and not root.is_dir():
        return root
    return root.joinpath(*rel.split("/"))


def file_hash(path: Path) -> str | None:
    """BLAKE3 hex of a file, or None when it cannot be read."""
    import blake3

    try:
        hasher: Any = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(os.fspath(path))
        return str(hasher.hexdigest())
    except (OSError, ValueError):
        return None


class FileLocator:
    """Finds a readable copy of a version's file, checking hashes of source files once."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._checked: dict[tuple[str, str], bool] = {}

    def readable(self, version: DatasetVersion, entry: ManifestEntry) -> Path | None:
        """A path with the bytes of ``entry`` of ``version``, or None when none is left."""
        if version.snapshot and self.store is not None and self.store.has(entry.hash):
            return Path(self.store.path_of(entry.hash))  # readers take the format from rel
        path = source_file(version.source_path, entry.path)
        try:
            if path.stat().st_size != entry.size:
                return None
        except OSError:
            return None
        key = (str(path), entry.hash)
        if key not in self._checked:
            self._checked[key] = file_hash(path) == entry.hash
        return path if self._checked[key] else None

    def problem(self, version: DatasetVersion, entry: ManifestEntry, what: str) -> str:
        """The sentence saying why ``entry`` of ``version`` cannot be read for ``what``."""
        if version.snapshot:
            return (
                f"{version.version} of {entry.path} is missing from the snapshot store; "
                f"{what} cannot be computed"
            )
        return (
            f"{version.version} of {entry.path} is not snapshotted and has changed since; "
            f"{what} cannot be computed"
        )


def modified_since(root: Path, entries: list[ManifestEntry], created_at: float) -> str | None:
    """``"N files changed"`` for files written after the version was registered (stat only).

    Catches what the stat cache cannot: a file rewritten in place with its size kept, whose
    stat was too recent to be cached when it was hashed.
    """
    from mlops_desktop.core.errors import DatasetError
    from mlops_desktop.datasets.manifest import change_sentence
    from mlops_desktop.datasets.scan import scan_tree

    try:
        files = scan_tree(root).files
    except DatasetError:
        return None
    known = {e.path for e in entries}
    limit = int(created_at * 1e9)
    return change_sentence(sum(1 for f in files if f.rel in known and f.mtime_ns > limit), 0, 0)
