"""The JSON documents of a model archive: parsed within a size and a depth limit, and
``manifest.json`` checked field by field before any model file is written.

Every refusal is one sentence naming the document or the field (``manifest.json's
"files[3].size" must be a whole number of bytes, not a string``).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeGuard

from mlops_desktop.core.errors import ArchiveError
from mlops_desktop.models import members
from mlops_desktop.models.members import MAX_JSON_BYTES

FORMAT = "mlops-desktop-model"
FORMAT_VERSION = 1
MAX_JSON_DEPTH = 64  # nesting of arrays and objects
_NOT_IMPORTED = "the archive was not imported"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# a JSON string (escapes included) or one bracket; brackets inside strings are skipped
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_OPENERS = frozenset(b"[{")

Expected = dict[str, tuple[int, str]]  # path under model/ -> (size, "sha256:<hex>")


def parse_json(data: bytes, name: str) -> dict[str, Any]:
    """Parse one JSON member: an object, nested at most :data:`MAX_JSON_DEPTH` deep.

    Raises:
        ArchiveError: too large, too deep, not JSON or not an object.
    """
    if len(data) > MAX_JSON_BYTES:
        raise ArchiveError(f"{name} in the archive is larger than {MAX_JSON_BYTES >> 20} MiB.")
    depth = 0
    for match in _TOKENS.finditer(data):
        c = data[match.start()]
        if c in _OPENERS:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ArchiveError(
                    f"{name} in the archive nests deeper than {MAX_JSON_DEPTH} levels; "
                    f"{_NOT_IMPORTED}."
                )
        elif c != 0x22:  # a closing bracket (0x22 is the quote that starts a string)
            depth -= 1
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:  # belt and braces: the scan above already bounds the depth
        raise ArchiveError(
            f"{name} in the archive nests deeper than {MAX_JSON_DEPTH} levels; {_NOT_IMPORTED}."
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(f"{name} in the archive is not valid JSON ({exc}).") from None
    if not isinstance(value, dict):
        raise ArchiveError(f"{name} in the archive must hold a JSON object, not {_kind(value)}.")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _wrong(field: str, wanted: str, value: Any) -> ArchiveError:
    return ArchiveError(
        f'manifest.json\'s "{field}" must be {wanted}, not {_kind(value)}; {_NOT_IMPORTED}.'
    )


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# meta field -> (check, what it must be); absent fields are fine
_META: dict[str, tuple[Any, str]] = {
    "name": (lambda v: isinstance(v, str), "a string"),
    "version": (_is_count, "a whole number"),
    "fingerprint": (lambda v: v is None or isinstance(v, str), "a string"),
    "run": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "source": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "description": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "exported_at": (
        lambda v: v is None or (isinstance(v, int | float) and not isinstance(v, bool)),
        "a number",
    ),
    "app_version": (lambda v: v is None or isinstance(v, str), "a string"),
}


def check_meta(meta: Any) -> dict[str, Any]:
    """The ``meta`` object of a manifest, each known field of the expected type.

    Raises:
        ArchiveError: a field has the wrong type (the sentence names it).
    """
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise _wrong("meta", "a JSON object", meta)
    for key, (ok, wanted) in _META.items():
        if key in meta and not ok(meta[key]):
            raise _wrong(f"meta.{key}", wanted, meta[key])
    tags = meta.get("tags")
    if tags is not None:
        if not isinstance(tags, dict):
            raise _wrong("meta.tags", "a JSON object", tags)
        for key, value in tags.items():
            if not isinstance(value, str):
                raise _wrong(f"meta.tags[{key!r}]", "a string", value)
    return meta


def check_manifest(doc: dict[str, Any], max_files: int, max_bytes: int) -> Expected:
    """Check every field of ``manifest.json``; the files it lists, with size and digest.

    Raises:
        ArchiveError: not a model archive, a newer format, a field of the wrong type, a bad
            or repeated path, too many files or too many bytes.
    """
    if doc.get("format") != FORMAT:
        raise ArchiveError("manifest.json does not describe an MLOps Desktop model archive.")
    version = doc.get("format_version")
    if not _is_count(version) or version < 1:
        raise _wrong("format_version", "a whole number", version)
    if version > FORMAT_VERSION:
        raise ArchiveError(
            f"The archive has format version {version!r}; this MLOps Desktop reads version "
            f"{FORMAT_VERSION}. Update the app to import it."
        )
    check_meta(doc.get("meta"))
    listed = doc.get("files")
    if not isinstance(listed, list):
        raise _wrong("files", "a list", listed)
    if not listed:
        raise ArchiveError("manifest.json lists no model files.")
    if len(listed) > max_files:
        raise ArchiveError(
            f"manifest.json lists {len(listed):,} files, more than the limit of "
            f"{max_files:,}; {_NOT_IMPORTED}."
        )
    expected: Expected = {}
    total = 0
    for i, entry in enumerate(listed):
        where = f"files[{i}]"
        if not isinstance(entry, dict):
            raise _wrong(where, "a JSON object", entry)
        path, size, digest = entry.get("path"), entry.get("size"), entry.get("digest")
        if not isinstance(path, str):
            raise _wrong(f"{where}.path", "a string", path)
        if not _is_count(size):
            raise _wrong(f"{where}.size", "a whole number of bytes", size)
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise _wrong(f"{where}.digest", 'a string "sha256:" and 64 hex digits', digest)
        rel = members.clean_rel(path)
        if rel in expected:
            raise ArchiveError(f"manifest.json lists {rel!r} twice; {_NOT_IMPORTED}.")
        expected[rel] = (size, digest)
        total += size
        if total > max_bytes:
            raise ArchiveError(
                f"The archive would expand to more than {members.human_size(max_bytes)} "
                f"(manifest.json, at {rel!r}); {_NOT_IMPORTED}."
            )
    return expected
