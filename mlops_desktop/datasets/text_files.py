"""Checks of text table files (CSV, TSV, JSON Lines) before pyarrow reads them, and the
wording of what pyarrow says about them.

Choices worth knowing:

* A file starting with a UTF-16 or UTF-32 byte-order mark is read in that encoding; any other
  file holding a NUL byte in its first 64 KiB is refused as "not a text file".
* A CSV's first line is read on its own, at most :data:`HEADER_LIMIT` bytes: a file whose first
  line is longer is refused before anything else is read (a huge one-line file never gets
  read whole).
* pyarrow's blocks grow (to at most :data:`LINE_LIMIT` bytes) until each line fits in two of
  them; a line that does not is refused with a sentence, so memory stays bounded. Lines up to
  16 MiB are always read; every refused line is longer than that.
* pyarrow's messages are cut to their first line and :data:`REASON_CHARS` characters, control
  characters and non-ASCII shown escaped, so no raw bytes of a file reach a message.

The limits are module attributes, read at each call, so tests can lower them.
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import DatasetError

HEADER_LIMIT = 4 << 20  # bytes a CSV's first line may take
LINE_LIMIT = 16 << 20  # biggest read block: a line spanning three such blocks is refused
SNIFF_BYTES = 64 << 10  # bytes looked at for NULs and a byte-order mark
REASON_CHARS = 120  # characters of a library's message kept in ours

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def mib(n: int) -> str:
    """``n`` bytes as whole MiB for messages ("4 MiB")."""
    return f"{max(1, round(n / (1 << 20)))} MiB"


def text_encoding(path: Path, rel: str, csv_header: bool = True) -> str:
    """The encoding to read a text table with: "utf8" (the default), "utf-16" or "utf-32".

    Raises:
        DatasetError: the file holds a NUL byte (binary data), or its first line is longer than
            :data:`HEADER_LIMIT` bytes (``csv_header``: a CSV's header) or :data:`LINE_LIMIT`
            bytes (else: a JSON Lines record), so a one-line file is never read whole.
    """
    limit = HEADER_LIMIT if csv_header else LINE_LIMIT
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
        encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), "utf8")
        if encoding == "utf8" and (nul := head.find(b"\0")) >= 0:
            raise DatasetError(
                f"{rel} is not a text file (it holds a NUL byte at byte {nul}); "
                "is it really a table file of this kind?"
            )
        read, chunk = len(head), head
        while b"\n" not in chunk and chunk and read <= limit:
            chunk = f.read(min(SNIFF_BYTES, limit + 1 - read))
            read += len(chunk)
        if read > limit and b"\n" not in chunk:
            if not csv_header:
                raise line_too_long(rel, limit)
            raise DatasetError(
                f"{rel} cannot be read: its first line is longer than {mib(limit)}; "
                "is it a CSV file?"
            )
    return encoding


def no_header_line(rel: str) -> str:
    """Why pyarrow found no header in a file that is not empty (nor binary, nor one long line)."""
    return f"{rel} holds no complete line: a CSV file needs a header line ending in a newline."


def line_too_long(rel: str, limit: int | None = None) -> DatasetError:
    """The refusal of a file with a line longer than :data:`LINE_LIMIT`."""
    return DatasetError(
        f"{rel} cannot be read: it has a line longer than {mib(limit or LINE_LIMIT)}; "
        "split that record or check that the file is a table."
    )


def reason(e: BaseException) -> str:
    """A library's message, short and printable: first line, escaped, cut, no final dot."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    if len(text) > REASON_CHARS:
        return text[: REASON_CHARS - 3].rstrip(" .") + "..."
    return text.rstrip(".")


def bounded_lines(path: Path, rel: str, limit: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(1-based number, bytes) of each line, never holding more than ``limit`` bytes of one.

    Raises:
        DatasetError: a line is longer than ``limit`` (default :data:`LINE_LIMIT`).
    """
    limit = limit or LINE_LIMIT
    with open(path, "rb") as f:
        number = 0
        while raw := f.readline(limit + 1):
            number += 1
            if len(raw) > limit:
                raise line_too_long(rel, limit)
            yield number, raw


def parse_json_line(raw: bytes) -> tuple[Any, str | None]:
    """A JSON value and None, or None and why it is not valid JSON (nesting too deep too)."""
    try:
        return json.loads(raw), None
    except RecursionError:
        return None, "it nests arrays or objects too deeply"
    except ValueError as err:
        return None, reason(err)


# pyarrow hands an invalid CSV row to a Python handler only after decoding it as UTF-8; when it
# is not UTF-8 that decoding fails inside pyarrow and Python prints "Exception ignored ..." on
# stderr. The hook below notes it on the handler's owner instead, so the read can restart as
# Latin-1, and leaves every other unraisable exception to the hook it wraps.
_previous_hook = sys.unraisablehook


def _note_undecodable_row(unraisable: Any) -> None:
    owner = getattr(unraisable.object, "__self__", None)
    note = getattr(owner, "note_undecodable_row", None)
    if note is not None and isinstance(unraisable.exc_value, UnicodeDecodeError):
        note()
        return
    _previous_hook(unraisable)


def watch_undecodable_rows() -> None:
    """Install the hook (again, when someone replaced it since; it wraps the current one)."""
    global _previous_hook
    if sys.unraisablehook is not _note_undecodable_row:
        _previous_hook = sys.unraisablehook
        sys.unraisablehook = _note_undecodable_row
