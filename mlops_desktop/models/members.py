"""Checks on each member of a model archive, before a single byte of it is written.

A member is refused, with a sentence naming it, when its name is absolute, climbs with
``..``, holds a backslash or control character, is not UTF-8, is longer than 1,024 bytes (a
component longer than 255) or more than 64 folders deep, lies outside ``model/`` (other than the
three JSON files), repeats another name (also when only the case differs), or when it is a
link, device, FIFO or anything else that is not a plain file or folder. :class:`Budget`
enforces the member count, the declared and extracted byte limits and, once manifest.json is
read, that each file is listed there with its size.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from mlops_desktop.core.errors import ArchiveError

JSON_FILES = frozenset({"manifest.json", "card.json", "lineage.json"})
MAX_NAME_BYTES = 255  # one component of a member's path, in UTF-8
MAX_PATH_BYTES = 1024  # a member's whole path
MAX_DEPTH = 64  # folders in a member's path
MAX_HEADER_BYTES = 64 << 10  # a tar extended header (a long name, PAX records)
MAX_JSON_BYTES = 16 << 20  # manifest.json, card.json, lineage.json, each
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
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise ArchiveError(f"The archive member {shown!r} has a name that is not UTF-8.") from None
    if size > MAX_PATH_BYTES:
        raise ArchiveError(
            f"The archive member {shown[:60]!r}... has a name of {size:,} bytes, more than "
            f"{MAX_PATH_BYTES:,}; it was refused."
        )
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    long = next((p for p in parts if len(p.encode("utf-8")) > MAX_NAME_BYTES), None)
    if long is not None:
        raise ArchiveError(
            f"The archive member {shown[:60]!r}... has a file or folder name longer than "
            f"{MAX_NAME_BYTES} bytes; it was refused."
        )
    if len(parts) - 1 > MAX_DEPTH:
        raise ArchiveError(
            f"The archive member {shown[:60]!r}... lies {len(parts) - 1} folders deep, more than "
            f"{MAX_DEPTH}; it was refused."
        )
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


_EXTENDED = frozenset(
    {
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    }
)


class CheckedTarInfo(tarfile.TarInfo):
    """A tar header that refuses an extended header (long name, PAX records) over 64 KiB
    before :mod:`tarfile` reads it into memory."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> CheckedTarInfo:
        info = super().frombuf(buf, encoding, errors)
        if info.type in _EXTENDED and info.size > MAX_HEADER_BYTES:
            raise ArchiveError(
                f"The archive has an extended tar header of {info.size:,} bytes, more than "
                f"{MAX_HEADER_BYTES >> 10} KiB; it was not imported."
            )
        return info


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


Expected = dict[str, tuple[int, str]]  # path under model/ -> (size, "sha256:<hex>")


@dataclass
class Budget:
    """Running limits over one archive: members, declared bytes, extracted bytes, names.

    Until :meth:`expect` is given the files ``manifest.json`` lists, only folders and
    ``manifest.json`` itself are admitted; after it, a file must be listed there with the same
    size, and the member count is capped by what the manifest implies.
    """

    max_bytes: int
    max_members: int
    members: int = 0
    declared: int = 0
    actual: int = 0
    expected: Expected | None = None
    names: dict[str, bool] = field(default_factory=dict)  # casefolded name -> is_dir
    parents: set[str] = field(default_factory=set)  # casefolded folders implied by names

    def expect(self, expected: Expected) -> None:
        """The files manifest.json lists: every later file member is checked against them."""
        self.expected = expected
        folders = {"model"}
        for rel in expected:
            parts = rel.split("/")
            folders.update("/".join(["model", *parts[:i]]) for i in range(1, len(parts)))
        self.max_members = min(self.max_members, len(JSON_FILES) + len(expected) + len(folders))

    def admit(self, member: Member) -> None:
        """Count a member and check it against the limits, the manifest and the other names.

        Raises:
            ArchiveError: too many members, too many declared bytes, a member the manifest
                does not list (or with another size), or a clash of names.
        """
        self.members += 1
        if self.members > self.max_members:
            raise ArchiveError(
                f"The archive has more than {self.max_members:,} members; it was not imported."
            )
        self._check_name(member)
        self._check_against_manifest(member)
        self.declared += member.size
        if self.declared > self.max_bytes:
            raise ArchiveError(
                f"The archive would expand to more than {human_size(self.max_bytes)} (at member "
                f"{member.name!r}); it was not imported."
            )

    def _check_against_manifest(self, member: Member) -> None:
        if member.is_dir:
            return
        if member.name in JSON_FILES:
            if member.size > MAX_JSON_BYTES:
                raise ArchiveError(
                    f"{member.name} in the archive has {member.size:,} bytes, more than "
                    f"{MAX_JSON_BYTES >> 20} MiB; it was not imported."
                )
            if self.expected is None and member.name != "manifest.json":
                raise _not_first(member)
            return
        if self.expected is None:
            raise _not_first(member)
        if member.rel not in self.expected:
            raise ArchiveError(
                f"{member.name} is in the archive but not listed in manifest.json; it was "
                "not imported."
            )
        size = self.expected[member.rel][0]
        if member.size != size:
            raise ArchiveError(
                f"{member.name} has {member.size:,} bytes but manifest.json says {size:,}; the "
                "archive is damaged or was altered."
            )

    def _check_name(self, member: Member) -> None:
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
                f"The archive expands to more than {human_size(self.max_bytes)}; it was not "
                "imported."
            )


def _not_first(member: Member) -> ArchiveError:
    return ArchiveError(
        f"The archive has {member.name!r} before manifest.json, which a model archive has "
        "first; it was not imported."
    )


def human_size(n: int) -> str:
    """``n`` bytes for a sentence: "512 bytes", "1.5 MiB"."""
    if n < 1024:
        return f"{n:,} bytes"
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n:,} bytes"
