"""The content-addressed artifact store: ``ROOT/sha256/<first 2 hex>/<hex>``."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath

from mlops_desktop.tracking.atomic import temp_file_in

CHUNK = 1 << 20


def check_artifact_name(name: str) -> str:
    """The artifact name in POSIX form.

    Raises:
        ValueError: the name is empty, absolute or climbs out with ``..``.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"artifact name must be a non-empty string, got {name!r}")
    posix = name.replace("\\", "/")
    pure = PurePosixPath(posix)
    if pure.is_absolute() or (len(posix) > 1 and posix[1] == ":"):
        raise ValueError(f"artifact name {name!r} must be relative, not an absolute path")
    if ".." in pure.parts:
        raise ValueError(f"artifact name {name!r} must not contain '..'")
    parts = [p for p in pure.parts if p not in ("", ".")]
    if not parts:
        raise ValueError(f"artifact name {name!r} names no file")
    return "/".join(parts)


def blob_path(root: Path, hex_digest: str) -> Path:
    """Where the blob with this SHA-256 lives in the store."""
    return root / "sha256" / hex_digest[:2] / hex_digest


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file's content, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _touch(blob: Path) -> None:
    """Mark a reused blob as fresh: garbage collection spares blobs changed within its grace
    period, which covers a reference whose event is not ingested yet."""
    try:
        os.utime(blob)
    except OSError:
        pass


def store_file(src: str | os.PathLike[str], root: Path) -> tuple[str, int]:
    """Copy a file into the store (unless its content is there already).

    The copy goes to a temp file in the blob's folder, is fsync'd and then renamed, so a
    blob in the store is always whole. The digest is the one of the bytes copied.

    Returns:
        (hex SHA-256, size in bytes).
    """
    src = Path(src)
    hex_digest = sha256_file(src)[0]
    target = blob_path(root, hex_digest)
    if target.exists():
        _touch(target)
        return hex_digest, target.stat().st_size
    target.parent.mkdir(parents=True, exist_ok=True)
    with temp_file_in(target.parent, prefix=".tmp-") as (fd, tmp):
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        copied = digest.hexdigest()
        if copied != hex_digest:  # the file changed while we read it: file what we copied
            hex_digest = copied
            target = blob_path(root, copied)
            target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    _fsync_dir(target.parent)
    return hex_digest, size


def files_to_log(path: str | os.PathLike[str], name: str | None) -> list[tuple[Path, str]]:
    """The files behind ``log_artifact(path, name)`` with the artifact name of each.

    A directory gives every file under it (symlinked folders are not followed) named
    ``<name or folder name>/<relative path>``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: a bad ``name``.
    """
    src = Path(path)
    if not src.exists():
        raise FileNotFoundError(f"cannot log artifact {os.fspath(path)!r}: no such file or folder")
    base = check_artifact_name(name if name is not None else src.resolve().name)
    if not src.is_dir():
        return [(src, base)]
    found = []
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        for file in sorted(files):
            full = Path(folder) / file
            if not full.is_file():
                continue  # broken links, sockets, fifos
            rel = full.relative_to(src).as_posix()
            found.append((full, check_artifact_name(f"{base}/{rel}")))
    return found


def folder_files(local_dir: str | os.PathLike[str], folder: str | None) -> list[tuple[Path, str]]:
    """The files under ``local_dir`` named ``<folder>/<relative path>`` (or just the relative
    path), as MLflow's ``log_artifacts`` names them.

    Raises:
        FileNotFoundError: ``local_dir`` is not a folder.
        ValueError: a bad ``folder``.
    """
    src = Path(local_dir)
    if not src.is_dir():
        raise FileNotFoundError(
            f"cannot log artifacts from {os.fspath(local_dir)!r}: no such folder"
        )
    prefix = f"{check_artifact_name(folder)}/" if folder is not None else ""
    found = []
    for path, dirs, files in os.walk(src):
        dirs.sort()
        for file in sorted(files):
            full = Path(path) / file
            if full.is_file():
                found.append((full, check_artifact_name(prefix + full.relative_to(src).as_posix())))
    return found
