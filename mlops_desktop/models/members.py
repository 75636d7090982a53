"""Checks on each member of a model archive, before a single byte of it is written.

A member is refused, with a sentence naming it, when its name is absolute, climbs with
``..``, holds a backslash or control character, lies outside ``model/`` (other than the
three JSON files), repeats another name (also when only the case differs), or when it is a
link, device, FIFO or anything else that is not a plain file or folder. :class:`Budget`
enforces the member count and the declared and extracted byte limits.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from mlops_desktop.core.errors import ArchiveError

JSON_FILES = frozenset({"manifest.json", "card.json", "lineage.json"})
_LINK = "a model archive has no reason to contain links, so it was refused"


@dataclass(frozen=True, slots=True)
class Member:
    """One checked member: its normalised name, the path under ``model/`` and its kind."""

    name: str  # normalised archive name, e.g. "model/a/b.pkl" or "card.json"
    rel: str  # path under model/ ("" for the JSON files and the model/ folder itself)
    is_dir: bool
    size: int


def clean_rel(rel: str) -> str:
    """A relative model path in normal POSIX form.

    Raises:
        ArchiveError: the path is empty, absolute, climbs out or holds odd characters.
    """
    return _clean(rel, rel)


def _clean(name: str, shown: str) -> str:
    if not isinstance(name, str) or not name:
        raise ArchiveError(f"The archive member {shown!r} has an empty name.")
    if "\\" in name:
        raise ArchiveError(
            f"The archive member {shown!r} contains a backslash, which could name a path "
            "outside the destination on Windows; it was refused."
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ArchiveError(f"The archive member {shown!r} contains control characters.")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"The archive member {shown!r} is an absolute path; it was refused.")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(
            f"The archive member {shown!r} contains '..' and could write outside the "
            "destination; it was refused."
        )
    if not parts:
        raise ArchiveError(f"The archive member {shown!r} names no file.")
    return "/".join(parts)


def _place(raw: str, is_dir: bool, size: int) -> Member:
    name = _clean(raw, raw)
    if name in JSON_FILES and not is_dir:
        return Member(name=name, rel="", is_dir=False, size=size)
    if name == "model" and is_dir:
        return Member(name=name, rel="", is_dir=True, size=0)
    if not name.startswith("model/"):
        raise ArchiveError(
            f"The archive member {raw!r} is outside model/ and is not manifest.json, card.json "
            "or lineage.json; it was refused."
        )
    return Member(name=name, rel=name[len("model/") :], is_dir=is_dir, size=size)


def from_tar(info: tarfile.TarInfo) -> Member:
    """Check one tar member header.

    Raises:
        ArchiveError: the member is unsafe (the message names it and says why).
    """
    raw = info.name
    if info.issym() or info.islnk():
        kind = "symbolic link" if info.issym() else "hard link"
        raise ArchiveError(f"The archive member {raw!r} is a {kind} to {info.linkname!r}; {_LINK}.")
    if info.ischr() or info.isblk():
        raise ArchiveError(f"The archive member {raw!r} is a device file; it was refused.")
    if info.isfifo():
        raise ArchiveError(f"The archive member {raw!r} is a FIFO (named pipe); it was refused.")
    if info.issparse():
        raise ArchiveError(f"The archive member {raw!r} is a sparse file; it was refused.")
    if not (info.isreg() or info.isdir()):
        raise ArchiveError(
            f"The archive member {raw!r} is not a regular file or folder; it was refused."
        )
    if info.size < 0:
        raise ArchiveError(f"The archive member {raw!r} declares a negative size.")
    return _place(raw, info.isdir(), info.size if info.isreg() else 0)


def from_zip(info: zipfile.ZipInfo) -> Member:
    """Check one zip member: name, Unix type bits in ``external_attr``, encryption.

    Raises:
        ArchiveError: the member is unsafe (the message names it and says why).
    """
    raw = info.filename
    mode = stat.S_IFMT(info.external_attr >> 16)  # 0 when no Unix type was recorded
    if mode and stat.S_ISLNK(mode):
        raise ArchiveError(f"The archive member {raw!r} is a symbolic link; {_LINK}.")
    if mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)):
        raise ArchiveError(f"The archive member {raw!r} is a device file; it was refused.")
    if mode and stat.S_ISFIFO(mode):
        raise ArchiveError(f"The archive member {raw!r} is a FIFO (named pipe); it was refused.")
    is_dir = info.is_dir()
    if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise ArchiveError(
            f"The archive member {raw!r} is not a regular file or folder; it was refused."
        )
    if mode and stat.S_ISDIR(mode) != is_dir:
        raise ArchiveError(f"The archive member {raw!r} has an inconsistent file type.")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"The archive member {raw!r} is encrypted; it was refused.")
    return _place(raw, is_dir, 0 if is_dir else info.file_size)


@dataclass
class Budget:
    """Running limits over one archive: members, declared bytes, extracted bytes, names."""

    max_bytes: int
    max_members: int
    members: int = 0
    declared: int = 0
    actual: int = 0
    names: dict[str, bool] = field(default_factory=dict)  # casefolded name -> is_dir
    parents: set[str] = field(default_factory=set)  # casefolded folders implied by names

    def admit(self, member: Member) -> None:
        """Count a member and check its name against the others.

        Raises:
            ArchiveError: too many members, too many declared bytes, or a clash of names.
        """
        self.members += 1
        if self.members > self.max_members:
            raise ArchiveError(
                f"The archive has more than {self.max_members:,} members; it was not imported."
            )
        self.declared += member.size
        if self.declared > self.max_bytes:
            raise ArchiveError(
                f"The archive would expand to more than {_size(self.max_bytes)} (at member "
                f"{member.name!r}); it was not imported."
            )
        key = member.name.casefold()
        if key in self.names:
            if member.is_dir and self.names[key]:
                return  # a folder listed twice is harmless
            raise ArchiveError(
                f"The archive member {member.name!r} appears twice (names that differ only in "
                "case count as the same); it was refused."
            )
        if not member.is_dir and key in self.parents:
            raise ArchiveError(f"The archive member {member.name!r} is also used as a folder.")
        parts = key.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if self.names.get(prefix) is False:
                raise ArchiveError(
                    f"The archive member {member.name!r} lies under a file of the same name."
                )
            self.parents.add(prefix)
        self.names[key] = member.is_dir

    def extracted(self, member: Member, n: int, so_far: int) -> None:
        """Count ``n`` more bytes copied of ``member`` (``so_far`` in all of it).

        Raises:
            ArchiveError: the member gave more bytes than its header declared, or the whole
                archive more than ``max_bytes``.
        """
        self.actual += n
        if so_far > member.size:
            raise ArchiveError(
                f"The archive member {member.name!r} holds more data than its header declares "
                f"({member.size:,} bytes); it was refused."
            )
        if self.actual > self.max_bytes:
            raise ArchiveError(
                f"The archive expands to more than {_size(self.max_bytes)}; it was not imported."
            )


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n:,} bytes"
