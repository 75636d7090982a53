"""Reading a growing log from an offset as text, never split inside a UTF-8 character."""

from __future__ import annotations

from pathlib import Path


def read_log_text(path: Path, offset: int = 0, max_bytes: int = 1 << 20) -> tuple[str, int]:
    """Text of ``path`` from ``offset``; returns (text, next offset). Empty if the file is absent.

    The text ends at a line end when the read stops early, so a multibyte character is never
    split; a single line longer than ``max_bytes`` ends at a character boundary, and so does
    the end of a file whose writer is mid-character.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, offset))
            data = fh.read(max_bytes + 1)
    except (FileNotFoundError, NotADirectoryError):
        return "", offset
    if len(data) > max_bytes:
        data = data[:max_bytes]
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else utf8_prefix(data)
    else:
        data = utf8_prefix(data)
    return data.decode("utf-8", errors="replace"), offset + len(data)


def utf8_prefix(data: bytes) -> bytes:
    """``data`` without an incomplete UTF-8 sequence at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data  # ASCII: complete
        if byte >= 0xC0:  # lead byte: complete when the sequence fits
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data
