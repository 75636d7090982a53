"""Streaming the members of a model archive (tar or zip) into a folder, never with
``extractall``: each member is checked by :mod:`mlops_desktop.models.members` before its bytes
are read, and every byte copied is counted against the :class:`~.members.Budget`.

``manifest.json`` comes first (the first file of a tar; read first from a zip, whose central
directory names every member up front), so each model file is checked against the list, the
size and the member cap the manifest gives *before* it is written: a member the manifest does
not list is refused at its header, and one cannot write more than its listed size.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO, Any

from mlops_desktop.core.errors import ArchiveError
from mlops_desktop.models import members
from mlops_desktop.models.archive_manifest import check_manifest, parse_json
from mlops_desktop.models.members import JSON_FILES, Budget, Member

CHUNK = 1 << 20

Opener = Callable[[], IO[bytes] | None]
Members = Generator[tuple[Member, Opener], None, None]
Docs = dict[str, dict[str, Any]]  # JSON file name -> its object
Extracted = dict[str, tuple[int, str]]  # path under model/ -> (size, "sha256:<hex>")


def extract(file: Path, tmp: Path, budget: Budget) -> tuple[Docs, Extracted]:
    """Write the model files of the archive ``file`` under ``tmp`` and parse its JSON files.

    Raises:
        ArchiveError: a member is refused or exceeds the budget.
        tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, gzip.BadGzipFile,
        NotImplementedError: the archive is damaged or uses an unsupported feature.
    """
    source = _zip_members(file, budget) if _is_zip(file) else _tar_members(file, budget)
    with contextlib.closing(source):
        return _consume(source, tmp, budget)


def _is_zip(file: Path) -> bool:
    with open(file, "rb") as fh:
        return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")


def _tar_members(file: Path, budget: Budget) -> Members:
    """Yield (Member, opener) for each tar member, checking each header before the next."""
    with tarfile.open(file, mode="r:*", tarinfo=members.CheckedTarInfo) as tar:
        for info in tar:
            member = members.from_tar(info)
            budget.admit(member)
            yield member, functools.partial(tar.extractfile, info)


def _zip_entries(file: Path) -> int | None:
    """The member count in the end record of a zip, read before its directory is parsed."""
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:  # pragma: no cover - every CPython since 2.6 has it
        return None
    with open(file, "rb") as fh:
        found = end_record(fh)
    return int(found[4]) if found else None  # _ECD_ENTRIES_TOTAL


def _zip_members(file: Path, budget: Budget) -> Members:
    """Yield manifest.json first, then (its list known) check every other member, then yield
    them: a zip's central directory names and sizes everything before a byte is read."""
    entries = _zip_entries(file)
    if entries is not None and entries > budget.max_members:
        raise _too_many(entries, budget.max_members)
    with zipfile.ZipFile(file) as zf:
        infos = zf.infolist()
        if len(infos) > budget.max_members:
            raise _too_many(len(infos), budget.max_members)
        checked = [(members.from_zip(i), i) for i in infos]
        first = next((c for c in checked if c[0].name == "manifest.json"), None)
        if first is None:
            raise ArchiveError(f"{file.name} is not a complete model archive (no manifest.json).")
        budget.admit(first[0])
        yield first[0], functools.partial(zf.open, first[1])
        rest = [c for c in checked if c is not first]
        for member, _info in rest:
            budget.admit(member)
        for member, info in rest:
            yield member, functools.partial(zf.open, info)


def _too_many(n: int, limit: int) -> ArchiveError:
    return ArchiveError(
        f"The archive has {n:,} members, more than the limit of {limit:,}; it was not imported."
    )


def copy_member(src: IO[bytes], out: IO[bytes], member: Member, budget: Budget) -> tuple[int, str]:
    """Copy a member's bytes to ``out`` counting them against the budget: (size, digest)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := src.read(CHUNK):
        size += len(chunk)
        budget.extracted(member, len(chunk), size)
        digest.update(chunk)
        out.write(chunk)
    return size, "sha256:" + digest.hexdigest()


def _read_json(src: IO[bytes], member: Member, budget: Budget) -> dict[str, Any]:
    """Parse a JSON member; its size was checked at its header, the read is bounded by it."""
    buf = io.BytesIO()
    copy_member(src, buf, member, budget)
    return parse_json(buf.getvalue(), member.name)


def _consume(
    source: Iterator[tuple[Member, Opener]], tmp: Path, budget: Budget
) -> tuple[Docs, Extracted]:
    docs: Docs = {}
    found: Extracted = {}
    for member, opener in source:
        if member.is_dir:
            continue
        src = opener()
        if src is None:
            raise ArchiveError(f"The member {member.name!r} has no data.")
        with src:
            if member.name in JSON_FILES:
                docs[member.name] = _read_json(src, member, budget)
                if member.name == "manifest.json":
                    budget.expect(
                        check_manifest(docs[member.name], budget.max_members, budget.max_bytes)
                    )
                continue
            target = tmp.joinpath(*member.rel.split("/"))
            if not target.resolve().is_relative_to(tmp.resolve()):  # belt and braces
                raise ArchiveError(f"The member {member.name!r} would be written outside.")
            target.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
                found[member.rel] = copy_member(src, out, member, budget)
    return docs, found
