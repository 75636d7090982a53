"""A stage's outs: hashed and kept in the content-addressed store after it ran, copied back
from there when they were deleted, and the check that a stage wrote nothing it did not declare.

:class:`FolderBlobStore` is a plain folder store (``<root>/<hash[:2]>/<hash>``, the layout of
``datasets.store.SnapshotStore``, which it reuses) for when no lab store is set.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import stat
import uuid
from collections.abc import Collection, Mapping
from pathlib import Path

from mlops_desktop.core.errors import PipelineError, UserFacingError
from mlops_desktop.core.pipelines import Pipeline, Stage
from mlops_desktop.datasets import hashing
from mlops_desktop.datasets.store import SnapshotStore
from mlops_desktop.pipelines.fingerprint import PathHasher
from mlops_desktop.pipelines.records import BlobStore, OutRecord

IGNORED_NAMES = (".git", ".dvc", "__pycache__", ".venv", "*.pyc")


class FolderBlobStore(SnapshotStore):
    """A BlobStore in a local folder (the snapshot store's layout and atomic, verified puts)."""

    @classmethod
    def for_home(cls, home: Path) -> FolderBlobStore:
        """The store at ``HOME/datasets/blobs`` (shared with dataset snapshots)."""
        return cls(Path(home) / "datasets" / "blobs")


def home_blob_store(home: Path) -> BlobStore:
    """The folder store of the app's home as a BlobStore (for a home with no lab store)."""
    return FolderBlobStore.for_home(home)


def record_outs(
    pipeline: Pipeline, stage: Stage, hasher: PathHasher, blobs: BlobStore | None
) -> dict[str, OutRecord]:
    """Hash every out of ``stage`` as it is now and put the files of cached outs into
    ``blobs``.

    Raises:
        PipelineError: a declared out is missing, or a file changed while it was stored.
    """
    records: dict[str, OutRecord] = {}
    for out in stage.outs:
        path = pipeline.root / out.path
        hasher.forget(path)
        hashed = hasher.hash(path)
        if hashed is None:
            raise PipelineError(
                f"stage {stage.name} did not write {out.path}, which it declares in outs; "
                "fix its command or its outs."
            )
        rec = OutRecord(out.path, hashed.kind, hashed.digest, hashed.size, hashed.files, out.cache)
        if out.cache and blobs is not None:
            try:
                if rec.kind == "file":
                    if not blobs.has(rec.digest):
                        blobs.put(path, rec.digest)
                else:
                    for rel, digest, _size in rec.files:
                        if not blobs.has(digest):
                            blobs.put(path / rel, digest)
            except PipelineError:
                raise
            except UserFacingError as exc:  # the store's own sentence (a dataset or lab store)
                raise PipelineError(f"stage {stage.name}: {exc}") from None
        records[out.path] = rec
    return records


def _same(dest: Path, digest: str, size: int) -> bool:
    """Whether ``dest`` already holds these bytes (read only when the size matches)."""
    try:
        return dest.is_file() and dest.stat().st_size == size and hashing.hash_file(dest) == digest
    except OSError:
        return False


def _copy_in(blobs: BlobStore, digest: str, size: int, dest: Path) -> None:
    """Write the blob ``digest`` to ``dest`` (temp file, verified, renamed; writable)."""
    if _same(dest, digest, size):
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex}.restore"
    try:
        shutil.copyfile(blobs.path_of(digest), tmp)
        if hashing.hash_file(tmp) != digest:
            raise PipelineError(
                f"the stored copy of {dest.name} is damaged ({digest[:12]}); run the stage again."
            )
        os.chmod(tmp, 0o644)
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def restore_outs(pipeline: Pipeline, records: Mapping[str, OutRecord], blobs: BlobStore) -> None:
    """Write every cached out of ``records`` back under the pipeline's folder from ``blobs``.

    A folder is made to hold exactly its recorded files (files it did not have are removed).

    Raises:
        PipelineError: an out is not cached, a blob is missing or damaged.
    """
    for path, rec in records.items():
        if not rec.cache:
            raise PipelineError(f"the out {path} is not kept in the store (cache: false).")
        missing = [d for d in rec.blob_digests() if not blobs.has(d)]
        if missing:
            raise PipelineError(
                f"the store has lost {len(missing)} file(s) of the out {path}; run its stage."
            )
        dest = pipeline.root / path
        if rec.kind == "file":
            _copy_in(blobs, rec.digest, rec.size, dest)
            continue
        if dest.exists() and not dest.is_dir():
            dest.unlink()
        wanted = {rel for rel, _, _ in rec.files}
        if dest.is_dir():
            for rel in _files_under(dest):
                if rel not in wanted:
                    (dest / rel).unlink()
        dest.mkdir(parents=True, exist_ok=True)
        for rel, digest, size in rec.files:
            _copy_in(blobs, digest, size, dest / rel)


def _files_under(folder: Path) -> list[str]:
    return [
        Path(os.path.relpath(os.path.join(dirpath, f), folder)).as_posix()
        for dirpath, _dirs, files in os.walk(folder)
        for f in files
    ]


def _ignored(name: str, extra: Collection[str]) -> bool:
    if name.startswith("."):
        return True
    return any(fnmatch.fnmatchcase(name, pat) for pat in (*IGNORED_NAMES, *extra))


def tree_snapshot(root: Path, ignore: Collection[str] = ()) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file under ``root`` by relative path, leaving out dotfiles,
    .git, .dvc, __pycache__, .venv, *.pyc and names matching a pattern of ``ignore``."""
    found: dict[str, tuple[int, int]] = {}
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            if _ignored(entry.name, ignore):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, prefix + entry.name + "/"))
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                found[prefix + entry.name] = (st.st_size, st.st_mtime_ns)
    return found


def undeclared_writes(
    before: Mapping[str, tuple[int, int]],
    after: Mapping[str, tuple[int, int]],
    declared: Collection[str],
) -> list[str]:
    """Files created or changed between two snapshots that are not one of ``declared`` (outs,
    relative paths) or inside one of them, sorted."""
    prefixes = tuple(d.rstrip("/") + "/" for d in declared)
    exact = {d.rstrip("/") for d in declared}
    return sorted(
        rel
        for rel, key in after.items()
        if before.get(rel) != key and rel not in exact and not rel.startswith(prefixes)
    )
