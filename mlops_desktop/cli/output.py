"""What every command prints: strict JSON, times, numbers, sizes, text tables and progress.

JSON is strict: non-finite floats become the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"`` (as in the protobuf JSON mapping), so any JSON parser reads every document.
Times are ISO 8601 text in UTC (:func:`iso_time`, the app's one time format).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from mlops_desktop.core.run_documents import iso_time
from mlops_desktop.core.text import printable, printable_lines

__all__ = [
    "TerminalProgress",
    "dumps",
    "human_bytes",
    "iso_time",
    "json_number",
    "key_value_text",
    "printable",
    "printable_lines",
    "progress_on_terminal",
    "short_value",
    "text_table",
]


def json_number(x: float) -> float | str:
    """``x`` itself when finite, else ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def _strict(value: Any) -> Any:
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def dumps(doc: Any) -> str:
    """Strict JSON text of ``doc`` (one line; non-ASCII characters kept)."""
    return json.dumps(_strict(doc), allow_nan=False, ensure_ascii=False)


def short_value(value: Any) -> str:
    """A param or metric for a person: floats to four significant digits, the rest as text
    (control characters escaped)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return printable(str(value))


def human_bytes(n: int) -> str:
    """``1536`` -> ``"1.5 KB"`` (powers of 1024; whole bytes below 1 KB)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows (the first one the header) as left-aligned columns two spaces apart (control
    characters in cells escaped)."""
    cells = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def key_value_text(values: Mapping[str, Any]) -> str:
    """``  key: value`` lines (control characters escaped)."""
    return "\n".join(f"  {printable(str(k))}: {printable(str(v))}" for k, v in values.items())


class TerminalProgress:
    """``progress(done, total, message)`` printing a percentage line, about 5 times a second."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, _message: str) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and done < total:
            return
        self.last = now
        pct = 100.0 * done / total if total else 100.0
        print(f"\r{self.verb} {pct:5.1f}%", end="", file=sys.stderr, flush=True)
        self.shown = True

    def finish(self) -> None:
        """End the percentage line (when one was shown)."""
        if self.shown:
            print(file=sys.stderr)


@contextmanager
def progress_on_terminal(verb: str) -> Iterator[TerminalProgress | None]:
    """A :class:`TerminalProgress` while stderr is a terminal (else None), its line ended after."""
    progress = TerminalProgress(verb) if sys.stderr.isatty() else None
    try:
        yield progress
    finally:
        if progress is not None:
            progress.finish()
