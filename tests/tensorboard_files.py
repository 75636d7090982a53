"""A small TensorBoard event-file writer for tests and benchmarks (the wire format by hand)."""

from __future__ import annotations

import struct
from pathlib import Path

from mlops_desktop.services.tensorboard_records import crc32c, masked


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def record(data: bytes) -> bytes:
    """One TFRecord: length, its masked CRC, data, the data's masked CRC."""
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked(crc32c(length)))
        + data
        + struct.pack("<I", masked(crc32c(data)))
    )


def event(step: int, wall_time: float, values: list[bytes]) -> bytes:
    """An Event with ``values`` (encoded Summary.Value messages) in its summary."""
    summary = b"".join(_field(1, v) for v in values)
    return b"\x09" + struct.pack("<d", wall_time) + b"\x10" + _varint(step) + _field(5, summary)


def simple_value(tag: str, value: float) -> bytes:
    """A TF1 / PyTorch ``simple_value`` scalar."""
    return _field(1, tag.encode()) + b"\x15" + struct.pack("<f", value)


def tensor_value(tag: str, value: float, *, double: bool = False, content: bool = False) -> bytes:
    """A TF2 ``tf.summary.scalar`` tensor (float_val / double_val, or tensor_content)."""
    dtype = 2 if double else 1
    raw = struct.pack("<d" if double else "<f", value)
    values = _field(4, raw) if content else _field(6 if double else 5, raw)
    tensor = b"\x08" + _varint(dtype) + _field(2, b"") + values
    return _field(1, tag.encode()) + _field(8, tensor)


def hparams_value(hparams: dict[str, float | str | bool]) -> bytes:
    """The hparams plugin's ``_hparams_/session_start_info`` value."""
    entries = b""
    for key, value in hparams.items():
        if isinstance(value, bool):
            encoded = b"\x20" + _varint(int(value))
        elif isinstance(value, str):
            encoded = _field(3, value.encode())
        else:
            encoded = b"\x11" + struct.pack("<d", value)
        entries += _field(1, _field(1, key.encode()) + _field(2, encoded))
    content = _field(3, entries)
    metadata = _field(1, _field(1, b"hparams") + _field(2, content))
    return _field(1, b"_hparams_/session_start_info") + _field(9, metadata)


def file_version() -> bytes:
    return record(b"\x09" + struct.pack("<d", 1.0) + _field(3, b"brain.Event:2"))


def write_scalars(path: Path, tags: dict[str, list[float]], start_step: int = 0) -> Path:
    """An event file of ``simple_value`` scalars: point i of each tag at step start_step + i."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [file_version()]
    for tag, values in tags.items():
        for i, value in enumerate(values):
            step = start_step + i
            parts.append(record(event(step, 1_700_000_000.0 + step, [simple_value(tag, value)])))
    path.write_bytes(b"".join(parts))
    return path
