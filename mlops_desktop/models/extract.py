"""Streaming the members of a model archive (tar or zip) into a folder, never with
``extractall``: each member is checked by :mod:`mlops_desktop.models.members` before its bytes
are read, and every byte copied is counted against the :class:`~.members.Budget`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import tarfile
import zipfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO, Any

from mlops_desktop.core.errors import ArchiveError
from mlops_desktop.models import members
from mlops_desktop.models.members import JSON_FILES, Budget, Member

CHUNK = 1 << 20
MAX_JSON_BYTES = 64 << 20

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
    with tarfile.open(file, mode="r:*") as tar:
        for info in tar:
            member = members.from_tar(info)
            budget.admit(member)
            yield member, functools.partial(tar.extractfile, info)


def _zip_members(file: Path, budget: Budget) -> Members:
    with zipfile.ZipFile(file) as zf:
        infos = zf.infolist()
        if len(infos) > budget.max_members:
            raise ArchiveError(
                f"The archive has {len(infos):,} members, more than the limit of "
                f"{budget.max_members:,}; it was not imported."
            )
        checked = [members.from_zip(i) for i in infos]
        for member in checked:
            budget.admit(member)
        for member, info in zip(checked, infos, strict=True):
            yield member, functools.partial(zf.open, info)


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
    buf = io.BytesIO()
    copy_member(src, buf, member, budget)
    if buf.tell() > MAX_JSON_BYTES:
        raise ArchiveError(f"{member.name} is larger than {MAX_JSON_BYTES >> 20} MiB.")
    try:
        value = json.loads(buf.getvalue().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{member.name} in the archive is not valid JSON ({exc}).") from None
    if not isinstance(value, dict):
        raise ArchiveError(f"{member.name} in the archive must hold a JSON object.")
    return value


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
                continue
            target = tmp.joinpath(*member.rel.split("/"))
            if not target.resolve().is_relative_to(tmp.resolve()):  # belt and braces
                raise ArchiveError(f"The member {member.name!r} would be written outside.")
            target.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
                found[member.rel] = copy_member(src, out, member, budget)
    return docs, found
