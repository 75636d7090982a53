"""Compact, exact encoding of a metric chunk's columns (steps, timestamps, values).

A column of ``n`` little-endian 8-byte numbers is stored raw (``8 * n`` bytes, how catalogs
before this encoding stored every chunk) or, when that is smaller, as zlib over the byte-planes
of the differences between consecutive 64-bit patterns. Differences are taken on the integer
view of the bits with wrap-around, so any float (NaN payloads and signed zeros included) and
any int64 comes back bit for bit. Steps that count up by one shrink to almost nothing,
timestamps a few milliseconds apart to two or three bytes; values compress as far as they are
regular. A blob is raw exactly when its length is ``8 * n``: an encoded blob is always shorter.
"""

from __future__ import annotations

import zlib

import numpy as np

_LEVEL = 6


def encode_column(raw: bytes, n: int, level: int = _LEVEL) -> bytes:
    """``raw`` (``n`` 8-byte numbers) in its smaller form: encoded, or raw as given.

    ``level`` is zlib's (1 is fastest; any level decodes alike).
    """
    if n < 4 or len(raw) != 8 * n:
        return raw
    bits = np.frombuffer(raw, dtype="<i8")
    with np.errstate(over="ignore"):
        deltas = np.diff(bits, prepend=np.int64(0))
    planes = deltas.astype("<i8", copy=False).view(np.uint8).reshape(n, 8).T.tobytes()
    packed = zlib.compress(planes, level)
    return packed if len(packed) < len(raw) else raw


def decode_column(blob: bytes, n: int) -> bytes:
    """The raw ``8 * n`` bytes of a column stored by :func:`encode_column` (or stored raw)."""
    if len(blob) == 8 * n:
        return bytes(blob)
    planes = np.frombuffer(zlib.decompress(blob), dtype=np.uint8)
    if planes.size != 8 * n:
        raise ValueError(f"a metric chunk holds {planes.size} bytes where {8 * n} were expected")
    deltas = np.ascontiguousarray(planes.reshape(8, n).T).view("<i8").reshape(n)
    with np.errstate(over="ignore"):
        bits = np.cumsum(deltas, dtype=np.int64)
    return bits.astype("<i8", copy=False).tobytes()
