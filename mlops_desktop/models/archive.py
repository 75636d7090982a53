"""Model archives: export a version as one ``.zip`` or ``.tar.gz`` and import one safely.

Export writes a zip when the file name ends in ``.zip``, a gzip-compressed tar otherwise;
import tells them apart by their first bytes, never by the name. Layout (manifest.json first)::

    manifest.json   {"format": "mlops-desktop-model", "format_version": 1, "meta": {...},
                     "files": [{"path": rel, "size": n, "digest": "sha256:<hex>"}, ...]}
    card.json       the model card
    lineage.json    datasets -> run -> version
    model/<rel>     the model's files

Import never calls ``extractall``: every member is checked (name, type, size, listed in the
manifest) by :mod:`mlops_desktop.models.members` before it is written, and copied by hand with
a byte counter (:mod:`mlops_desktop.models.extract`) into a fresh temp folder next to the
destination, which is removed on any error, so a refused archive leaves nothing behind. The
JSON documents are parsed within a size and a depth limit and the manifest is checked field by
field (:mod:`mlops_desktop.models.archive_manifest`).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mlops_desktop.core.errors import ArchiveError
from mlops_desktop.models import members
from mlops_desktop.models.archive_manifest import FORMAT, FORMAT_VERSION
from mlops_desktop.models.extract import CHUNK, extract
from mlops_desktop.models.members import MAX_JSON_BYTES, Budget
from mlops_desktop.tracking.artifacts import sha256_file
from mlops_desktop.tracking.atomic import temp_file_in

MAX_MEMBERS = 10_000
MAX_BYTES = 20 * 2**30
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can record


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


def _json_bytes(name: str, value: Any) -> bytes:
    data = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"
    if len(data) > MAX_JSON_BYTES:
        raise ArchiveError(
            f"The {name} of this version is larger than {MAX_JSON_BYTES >> 20} MiB, more than "
            "an import accepts; shorten its description or tags."
        )
    return data


def archive_format(file: Path | str) -> str:
    """The format :func:`write_archive` writes to ``file``: "zip" or "tar.gz"."""
    return "zip" if str(file).lower().endswith(".zip") else "tar.gz"


def _write_tar(
    raw: IO[bytes],
    docs: list[tuple[str, bytes]],
    listed: list[dict[str, Any]],
    entries: dict[str, Path],
) -> None:
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, data in docs:
            tar.addfile(_info(name, len(data)), io.BytesIO(data))
        for entry in listed:
            rel = str(entry["path"])
            with open(entries[rel], "rb") as fh:
                tar.addfile(_info(f"model/{rel}", int(entry["size"])), fh)


def _zip_info(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the type bits below are read back
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.file_size = size  # lets zipfile choose ZIP64 up front for a big file
    return info


def _write_zip(
    raw: IO[bytes],
    docs: list[tuple[str, bytes]],
    listed: list[dict[str, Any]],
    entries: dict[str, Path],
) -> None:
    with zipfile.ZipFile(raw, mode="w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in docs:
            zf.writestr(_zip_info(name, len(data)), data)
        for entry in listed:
            rel = str(entry["path"])
            info = _zip_info(f"model/{rel}", int(entry["size"]))
            with open(entries[rel], "rb") as fh, zf.open(info, "w") as out:
                shutil.copyfileobj(fh, out, CHUNK)


def write_archive(
    file: Path,
    files: list[tuple[str, Path]],
    card: dict[str, Any],
    lineage: dict[str, Any],
    meta: dict[str, Any],
) -> Path:
    """Write a model archive: a temp file next to ``file``, renamed into place when complete.

    A zip when ``file`` ends in ``.zip`` (:func:`archive_format`), a ``.tar.gz`` otherwise.
    Members are sorted and carry a fixed time, uid/gid 0 and mode 0644 (the gzip header has
    mtime 0 too), so the same inputs give the same bytes.

    Args:
        file: the archive to write (``.zip``, ``.tar.gz``, ``.tgz``, ...).
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
    docs = [
        ("manifest.json", _json_bytes("manifest", manifest)),
        ("card.json", _json_bytes("card", card)),
        ("lineage.json", _json_bytes("lineage", lineage)),
    ]
    write = _write_zip if archive_format(file) == "zip" else _write_tar
    file.parent.mkdir(parents=True, exist_ok=True)
    with temp_file_in(file.parent, prefix=f".{file.name}.", suffix=".tmp") as (fd, tmp):
        with os.fdopen(fd, "wb") as raw:
            write(raw, docs, listed, entries)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, file)
    return file


# --------------------------------------------------------------------------- reading


def _verify(expected: dict[str, tuple[int, str]], found: dict[str, tuple[int, str]]) -> None:
    """Every listed file was extracted with its size and digest (each was checked against the
    manifest at its header, and could not grow past its listed size)."""
    missing = sorted(expected.keys() - found.keys())
    if missing:
        raise ArchiveError(
            f"model/{missing[0]} is listed in manifest.json but is not in the archive."
        )
    for rel, (size, digest) in expected.items():
        got_size, got_digest = found[rel]
        if got_size != size:
            raise ArchiveError(
                f"model/{rel} has {got_size:,} bytes but manifest.json says {size:,}; the "
                "archive is damaged or was altered."
            )
        if got_digest != digest:
            raise ArchiveError(
                f"model/{rel} does not match its SHA-256 in manifest.json; the archive is "
                "damaged or was altered."
            )


def read_archive(
    file: Path, dest: Path, max_bytes: int = MAX_BYTES, max_members: int = MAX_MEMBERS
) -> ArchiveContents:
    """Check and extract a model archive; the model files land in ``dest/<rel>``.

    Args:
        file: a zip or a (gzip-compressed) tar archive, told apart by its first bytes.
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
        except OSError as exc:
            raise ArchiveError(
                f"{file.name} could not be unpacked into {tmp.parent} "
                f"({exc.strerror or exc}); nothing was imported."
            ) from None
        if budget.expected is None:
            raise ArchiveError(f"{file.name} is not a complete model archive (no manifest.json).")
        _verify(budget.expected, found)
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
