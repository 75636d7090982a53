"""Model archives: export a version as one ``.tar.gz`` and import one safely.

Layout (``.tar.gz``, or ``.zip`` on import)::

    manifest.json   {"format": "mlops-desktop-model", "format_version": 1, "meta": {...},
                     "files": [{"path": rel, "size": n, "digest": "sha256:<hex>"}, ...]}
    card.json       the model card
    lineage.json    datasets -> run -> version
    model/<rel>     the model's files

Import never calls ``extractall``: every member is checked (name, type, size) by
:mod:`mlops_desktop.models.members` and copied by hand with a byte counter
(:mod:`mlops_desktop.models.extract`) into a fresh temp folder next to the destination, which is
removed on any error, so a refused archive leaves nothing behind.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mlops_desktop.core.errors import ArchiveError
from mlops_desktop.models import members
from mlops_desktop.models.extract import extract
from mlops_desktop.models.members import Budget
from mlops_desktop.tracking.artifacts import sha256_file
from mlops_desktop.tracking.atomic import temp_file_in

FORMAT = "mlops-desktop-model"
FORMAT_VERSION = 1


@dataclass
class ArchiveContents:
    """What :func:`read_archive` extracted and verified.

    Attributes:
        manifest: the parsed ``manifest.json``.
        card: the parsed ``card.json`` ({} when absent).
        lineage: the parsed ``lineage.json`` ({} when absent).
        files: (relative path under ``model/``, extracted path, size, "sha256:<hex>").
    """

    manifest: dict[str, Any]
    card: dict[str, Any]
    lineage: dict[str, Any]
    files: list[tuple[str, Path, int, str]]


# --------------------------------------------------------------------------- writing


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def _write_tar(
    raw: IO[bytes],
    docs: list[dict[str, Any]],
    listed: list[dict[str, Any]],
    entries: dict[str, Path],
) -> None:
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, value in zip(("manifest.json", "card.json", "lineage.json"), docs, strict=True):
            data = _json_bytes(value)
            tar.addfile(_info(name, len(data)), io.BytesIO(data))
        for entry in listed:
            rel = str(entry["path"])
            with open(entries[rel], "rb") as fh:
                tar.addfile(_info(f"model/{rel}", int(entry["size"])), fh)


def write_archive(
    file: Path,
    files: list[tuple[str, Path]],
    card: dict[str, Any],
    lineage: dict[str, Any],
    meta: dict[str, Any],
) -> Path:
    """Write a model archive: a temp file next to ``file``, renamed into place when complete.

    Members are sorted and carry mtime 0, uid/gid 0 and mode 0644 (the gzip header has mtime
    0 too), so the same inputs give the same bytes.

    Args:
        file: the archive to write (``.tar.gz`` or ``.mlmodel.tar.gz``).
        files: (relative path under ``model/``, source file) pairs.
        card, lineage, meta: JSON-serialisable dicts.

    Returns:
        ``file``.

    Raises:
        ArchiveError: a bad or duplicate relative path, or no files.
        OSError: a source cannot be read or the archive cannot be written.
    """
    file = Path(file)
    entries: dict[str, Path] = {}
    for rel, src in files:
        clean = members.clean_rel(rel)
        if clean in entries:
            raise ArchiveError(f"The file {rel!r} is listed twice; an archive needs unique names.")
        entries[clean] = Path(src)
    if not entries:
        raise ArchiveError("A model archive needs at least one file.")
    listed: list[dict[str, Any]] = []
    for rel in sorted(entries):
        hex_digest, size = sha256_file(entries[rel])
        listed.append({"path": rel, "size": size, "digest": f"sha256:{hex_digest}"})
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "meta": meta, "files": listed}
    file.parent.mkdir(parents=True, exist_ok=True)
    with temp_file_in(file.parent, prefix=f".{file.name}.", suffix=".tmp") as (fd, tmp):
        with os.fdopen(fd, "wb") as raw:
            _write_tar(raw, [manifest, card, lineage], listed, entries)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, file)
    return file


# --------------------------------------------------------------------------- reading


def _verify(manifest: dict[str, Any], found: dict[str, tuple[int, str]]) -> None:
    if manifest.get("format") != FORMAT:
        raise ArchiveError("manifest.json does not describe an MLOps Desktop model archive.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ArchiveError(
            f"The archive has format version {version!r}; this MLOps Desktop reads version "
            f"{FORMAT_VERSION}. Update the app to import it."
        )
    listed = manifest.get("files")
    if not isinstance(listed, list) or not listed:
        raise ArchiveError("manifest.json lists no model files.")
    expected: dict[str, tuple[int, str]] = {}
    for entry in listed:
        if not isinstance(entry, dict) or not {"path", "size", "digest"} <= entry.keys():
            raise ArchiveError("manifest.json has a file entry without path, size and digest.")
        rel = members.clean_rel(str(entry["path"]))
        if rel in expected:
            raise ArchiveError(f"manifest.json lists {rel!r} twice.")
        expected[rel] = (entry["size"], str(entry["digest"]))
    missing = sorted(expected.keys() - found.keys())
    extra = sorted(found.keys() - expected.keys())
    if missing:
        raise ArchiveError(
            f"model/{missing[0]} is listed in manifest.json but is not in the archive."
        )
    if extra:
        raise ArchiveError(f"model/{extra[0]} is in the archive but not listed in manifest.json.")
    for rel, (size, digest) in expected.items():
        got_size, got_digest = found[rel]
        if got_size != size:
            raise ArchiveError(
                f"model/{rel} has {got_size:,} bytes but manifest.json says {size!r}; the "
                "archive is damaged or was altered."
            )
        if got_digest != digest:
            raise ArchiveError(
                f"model/{rel} does not match its SHA-256 in manifest.json; the archive is "
                "damaged or was altered."
            )


def read_archive(
    file: Path, dest: Path, max_bytes: int = 20 * 2**30, max_members: int = 100_000
) -> ArchiveContents:
    """Check and extract a model archive; the model files land in ``dest/<rel>``.

    Args:
        file: a ``.tar.gz`` (or other tar) or ``.zip`` archive.
        dest: the folder to create; it must not exist or be empty.
        max_bytes: limit on the declared and on the actually extracted bytes.
        max_members: limit on the number of members.

    Raises:
        ArchiveError: the archive is unsafe, damaged or not a model archive; nothing was
            written (the temp folder is removed).
    """
    file, dest = Path(file), Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest} already exists and is not empty; choose another folder.")
    if not file.is_file():
        raise ArchiveError(f"{file} does not exist or is not a file.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.import-", dir=dest.parent))
    budget = Budget(max_bytes=max_bytes, max_members=max_members)
    try:
        try:
            docs, found = extract(file, tmp, budget)
        except (
            tarfile.TarError,
            zipfile.BadZipFile,
            EOFError,
            zlib.error,
            gzip.BadGzipFile,
        ) as exc:
            raise ArchiveError(f"{file.name} is not a complete model archive ({exc}).") from None
        except NotImplementedError as exc:  # zip compression method or encryption
            raise ArchiveError(f"{file.name} uses an unsupported zip feature ({exc}).") from None
        if "manifest.json" not in docs:
            raise ArchiveError(f"{file.name} is not a complete model archive (no manifest.json).")
        _verify(docs["manifest.json"], found)
        if dest.exists():
            dest.rmdir()
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = [
        (rel, dest.joinpath(*rel.split("/")), size, digest)
        for rel, (size, digest) in sorted(found.items())
    ]
    return ArchiveContents(
        manifest=docs["manifest.json"],
        card=docs.get("card.json", {}),
        lineage=docs.get("lineage.json", {}),
        files=files,
    )
