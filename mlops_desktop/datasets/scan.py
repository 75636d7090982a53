"""Walk a file or folder and list its files with their stat data (no hashing).

Fast on large trees: one ``os.scandir`` pass, no ``Path`` objects per file. Symlinks to files
are followed only when they resolve inside the root; links to folders, links out of the tree,
dangling links and symlink loops are skipped with a sentence. Unreadable files and folders are
skipped with a sentence, never fatal (a folder here; a file when it is opened for hashing:
calling ``access`` on every file would cost a fifth of a re-check of 100,000 files).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from mlops_desktop.core.errors import DatasetError


@dataclass(init=False)
class ScannedFile:
    """One regular file found under the root.

    Attributes:
        abs_path: absolute path as found (a symlink's own path, not its target); built on
            access from ``path`` (the same as a ``str``), which is what hot loops should use:
            making 100,000 ``Path`` objects costs more than stat'ing the files.
        rel: POSIX path relative to the root (the file's name when the root is a file).
        size, mtime_ns, inode: from ``os.stat`` (following a symlink inside the tree).
    """

    path: str
    rel: str
    size: int
    mtime_ns: int
    inode: int

    def __init__(
        self, abs_path: Path | str, rel: str, size: int, mtime_ns: int, inode: int
    ) -> None:
        self.path = os.fspath(abs_path)
        self.rel = rel
        self.size = size
        self.mtime_ns = mtime_ns
        self.inode = inode

    @property
    def abs_path(self) -> Path:
        return Path(self.path)


@dataclass
class ScanResult:
    """Files sorted by ``rel`` and one sentence per entry that was skipped."""

    files: list[ScannedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return (exc.strerror or str(exc)).lower()


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def scan_tree(root: Path) -> ScanResult:
    """List the regular files of ``root`` (a file or a folder), sorted by relative path.

    Raises:
        DatasetError: ``root`` does not exist or is neither a file nor a folder.
    """
    root = Path(os.path.abspath(root))
    try:
        st = os.stat(root)
    except FileNotFoundError:
        raise DatasetError(f"{root} does not exist.") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {root}: {_reason(exc)}") from None
    result = ScanResult()
    if stat.S_ISREG(st.st_mode):
        if not os.access(root, os.R_OK):
            result.skipped.append(f"cannot read {root.name}: permission denied")
        else:
            result.files.append(ScannedFile(root, root.name, st.st_size, st.st_mtime_ns, st.st_ino))
        return result
    if not stat.S_ISDIR(st.st_mode):
        raise DatasetError(f"{root} is neither a file nor a folder.")
    _walk(str(root), result)
    result.files.sort(key=lambda f: f.rel)
    return result


def _walk(root: str, result: ScanResult) -> None:
    """Add the regular files under the folder ``root`` to ``result`` (unsorted), and a
    sentence for each entry skipped."""
    real_root = os.path.realpath(root)
    files = result.files
    skipped = result.skipped
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            skipped.append(f"cannot read {prefix.rstrip('/') or '.'}: {_reason(exc)}")
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                if entry.is_symlink():
                    est = _follow_link(entry, rel, real_root, skipped)
                    if est is None:
                        continue
                elif entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel + "/"))
                    continue
                else:
                    est = entry.stat(follow_symlinks=False)
            except OSError as exc:
                skipped.append(_unreadable(entry, rel, exc))
                continue
            if not stat.S_ISREG(est.st_mode):
                skipped.append(f"{rel} is not a regular file; skipped")
                continue
            files.append(ScannedFile(entry.path, rel, est.st_size, est.st_mtime_ns, est.st_ino))


def _follow_link(
    entry: os.DirEntry[str], rel: str, real_root: str, skipped: list[str]
) -> os.stat_result | None:
    """The stat of a symlink's target inside the tree; None (and a sentence in ``skipped``)
    for a link out of the tree or to a folder. Raises OSError for a dangling link or a loop."""
    if not _inside(os.path.realpath(entry.path), real_root):
        skipped.append(f"{rel} is a link to outside the folder; not followed")
        return None
    est = os.stat(entry.path)
    if stat.S_ISDIR(est.st_mode):
        skipped.append(f"{rel} is a link to a folder; not followed")
        return None
    return est


def _unreadable(entry: os.DirEntry[str], rel: str, exc: OSError) -> str:
    """Why the entry ``rel`` is skipped after ``exc`` (a dangling link, a loop, no access)."""
    if exc.errno in (errno.ENOENT, errno.ELOOP) and entry.is_symlink():
        what = "symlink loop" if exc.errno == errno.ELOOP else "dangling link"
        return f"{rel} is a {what}; skipped"
    return f"cannot read {rel}: {_reason(exc)}"
