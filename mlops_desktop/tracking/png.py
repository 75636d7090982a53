"""Images as PNG bytes without PIL: numpy arrays encoded with zlib and struct.

numpy is reached through :mod:`importlib` at call time (the script that hands us an array
has it); this package never imports it at start.
"""

from __future__ import annotations

import importlib
import struct
import zlib
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)


def to_uint8(array: Any) -> Any:
    """``array`` as a C-contiguous uint8 array of shape H x W x C (C in 1-4), as MLflow
    accepts it: integers in 0-255, floats in 0-1 (scaled by 255), booleans as 0/255.

    Raises:
        ValueError: a shape or a value range an image cannot have.
    """
    np = importlib.import_module("numpy")
    x = np.asarray(array)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or x.shape[2] not in _COLOR_TYPES or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(
            f"An image must be H x W, H x W x 1, H x W x 3 or H x W x 4, got shape {x.shape}."
        )
    if x.dtype == np.bool_:
        x = x.astype(np.uint8) * 255
    elif np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise ValueError("Integer pixel values must lie in 0-255 (MLflow's rule).")
        x = x.astype(np.uint8)
    elif np.issubdtype(x.dtype, np.floating):
        if x.size and not (np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0):
            raise ValueError("Float pixel values must lie in 0.0-1.0 (MLflow's rule).")
        x = np.rint(x * 255.0).astype(np.uint8)
    else:
        raise ValueError(f"An image's pixels must be numbers, got dtype {x.dtype}.")
    return np.ascontiguousarray(x)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(array: Any, level: int = 6) -> bytes:
    """A PNG file (8 bits per channel, no filter) of an image array (see :func:`to_uint8`)."""
    np = importlib.import_module("numpy")
    x = to_uint8(array)
    height, width, channels = x.shape
    rows = np.zeros((height, width * channels + 1), dtype=np.uint8)  # filter byte 0 per row
    rows[:, 1:] = x.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )
