"""What a pipeline's folder holds, looked at before and after each stage, cheaply when little
changed (for the check that a stage wrote nothing it does not declare).

A plain walk stats every file: seconds for a folder holding 100,000 data files, at every stage.
:class:`FolderWatch` remembers each folder's modification time; a large folder (more than
:data:`RESTAT_AT_MOST` files) whose modification time did not change since the last look had no
file created, deleted or renamed in it, so the files seen then are kept without a stat each. A
file rewritten in place inside such a large, otherwise unchanged folder is not noticed (the
fingerprints of the stages that read it still are). Smaller folders, such as the one holding the
scripts and params, are looked at file by file every time.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from mlops_desktop.pipelines.outs import IGNORED_NAMES

RESTAT_AT_MOST = 256  # files a folder may hold and still be looked at file by file every time
TRUST_AFTER_NS = 50_000_000  # a folder modified this recently may change within its mtime tick

FileKey = tuple[int, int]  # (size, mtime_ns), as pipelines.outs.tree_snapshot gives them


@dataclass
class _Seen:
    mtime_ns: int
    files: dict[str, FileKey]  # name -> key
    folders: list[str]  # names of the folders in it


class FolderWatch:
    """Snapshots of one folder tree: ``{relpath: (size, mtime_ns)}`` of every file, leaving
    out dotfiles, ``.git``, ``.dvc``, ``__pycache__``, ``.venv`` and ``*.pyc`` (as
    :func:`~mlops_desktop.pipelines.outs.tree_snapshot`)."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self._seen: dict[str, _Seen] = {}  # relative folder ("" for the root) -> what it held

    def snapshot(self) -> dict[str, FileKey]:
        """Every file under the root now (see the module docstring for what is trusted)."""
        now = time.time_ns()
        seen: dict[str, _Seen] = {}
        found: dict[str, FileKey] = {}
        stack = [""]
        while stack:
            rel = stack.pop()
            folder = os.path.join(self.root, rel) if rel else self.root
            try:
                mtime = os.stat(folder).st_mtime_ns
            except OSError:
                continue
            before = self._seen.get(rel)
            unchanged = (
                before is not None
                and before.mtime_ns == mtime
                and now - mtime > TRUST_AFTER_NS
                and len(before.files) > RESTAT_AT_MOST
            )
            current = before if unchanged and before is not None else _look(folder, mtime)
            seen[rel] = current
            prefix = rel + "/" if rel else ""
            for name, key in current.files.items():
                found[prefix + name] = key
            stack.extend(prefix + name for name in current.folders)
        self._seen = seen
        return found


def _ignored(name: str) -> bool:
    return name.startswith(".") or any(fnmatch.fnmatchcase(name, p) for p in IGNORED_NAMES)


def _look(folder: str, mtime: int) -> _Seen:
    files: dict[str, FileKey] = {}
    folders: list[str] = []
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:
        return _Seen(mtime, files, folders)
    for entry in entries:
        if _ignored(entry.name):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.name)
                continue
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
            files[entry.name] = (st.st_size, st.st_mtime_ns)
    return _Seen(mtime, files, folders)
