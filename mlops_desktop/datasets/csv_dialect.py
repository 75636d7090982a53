"""The delimiter and decimal mark of a CSV file, detected from its head.

One detection for every reader of CSV files (profile, preview, diff, model signatures,
artifact previews, drift): the first :data:`SNIFF_BYTES` are decoded and split into records
with each candidate delimiter (",", ";", tab, "|"), honouring quoted fields. The delimiter that
splits every record of the sample into the same number (> 1) of fields wins; when several do,
the one giving more columns, then the earlier in :data:`DELIMITERS`. When none is consistent
(a few bad rows), the one that matches the header's field count on most records; a file with a
single column is read with ",".

Numbers written with a decimal comma ("7,4") are read as numbers when the delimiter is not a
comma, some fields of the sample look like that and none is written with a decimal point. A
comma followed by exactly three digits everywhere ("1,234") is taken for a thousands separator,
not a decimal mark, and left as text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = ",\t;|"  # candidates, most likely first (ties go to the earlier)
SNIFF_BYTES = 64 << 10  # bytes of the head looked at
SNIFF_RECORDS = 200  # records of the head looked at

_DECIMAL_COMMA = re.compile(r"[+-]?\d+,(\d+)(?:[eE][+-]?\d+)?")
_DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file separates its fields and writes its decimal numbers."""

    delimiter: str = ","
    decimal_point: str = "."


def detect_dialect(
    path: Path, encoding: str = "utf8", fmt: str = "csv", delimiter: str | None = None
) -> CsvDialect:
    """The dialect of a CSV (or TSV: always tab-separated) file from its first 64 KiB.

    Args:
        path: the file.
        encoding: the encoding it is read in ("utf8", "utf-16", "utf-32", "latin-1").
        fmt: "tsv" keeps the tab as delimiter and only looks for decimal commas.
        delimiter: a delimiter the person gave, which wins over detection.
    """
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES + 1)
    truncated = len(head) > SNIFF_BYTES
    codec = "utf-8-sig" if encoding in ("utf8", "utf-8") else encoding
    text = head[:SNIFF_BYTES].decode(codec, errors="replace")
    known = delimiter or ("\t" if fmt == "tsv" else None)
    return dialect_of_text(text, truncated=truncated, delimiter=known)


def dialect_of_text(text: str, truncated: bool = False, delimiter: str | None = None) -> CsvDialect:
    """The dialect of a CSV sample (the head of a file).

    Args:
        text: the sample, decoded.
        truncated: the file goes on after the sample, so its last record may be cut.
        delimiter: a delimiter already known (given by the person, or tab for TSV); only the
            decimal mark is detected then.
    """
    text = text.removeprefix("\ufeff")
    if delimiter is None:
        delimiter = _best_delimiter(text, truncated)
    records = _records(text, delimiter, truncated)
    return CsvDialect(delimiter, _decimal_point(records[1:], delimiter))


def _records(text: str, delimiter: str, truncated: bool) -> list[list[str]]:
    """The sample's first non-empty records split with ``delimiter`` (a cut last one dropped)."""
    out: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            if record and record != [""]:
                out.append(record)
            if len(out) > SNIFF_RECORDS:
                break
    except csv.Error:  # a NUL or a field over the csv module's limit: judge what was read
        pass
    if truncated and len(out) > 1 and len(out) <= SNIFF_RECORDS:
        out.pop()
    return out[:SNIFF_RECORDS]


def _best_delimiter(text: str, truncated: bool) -> str:
    consistent: list[tuple[int, int, str]] = []  # (columns, -preference, delimiter)
    partial: list[tuple[float, int, int, str]] = []  # (share, columns, -preference, delimiter)
    for rank, delimiter in enumerate(DELIMITERS):
        if delimiter not in text:
            continue
        counts = [len(r) for r in _records(text, delimiter, truncated)]
        if not counts or counts[0] < 2:
            continue
        if all(c == counts[0] for c in counts):
            consistent.append((counts[0], -rank, delimiter))
        else:
            share = sum(c == counts[0] for c in counts) / len(counts)
            partial.append((share, counts[0], -rank, delimiter))
    if consistent:
        return max(consistent)[2]
    if partial:
        best = max(partial)
        if best[0] >= 0.5:
            return best[3]
    return ","


def _decimal_point(rows: list[list[str]], delimiter: str) -> str:
    """A comma when the data writes decimals with a comma (never with a point), else a point."""
    if delimiter == ",":
        return "."
    comma_decimals = 0
    thousands_like = 0
    for row in rows:
        for field in row:
            field = field.strip()
            if _DECIMAL_POINT.fullmatch(field):
                return "."
            m = _DECIMAL_COMMA.fullmatch(field)
            if m:
                comma_decimals += 1
                thousands_like += len(m.group(1)) == 3
    if comma_decimals and thousands_like < comma_decimals:
        return ","
    return "."
