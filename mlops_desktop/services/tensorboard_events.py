"""Scalars and hparams out of TensorBoard ``Event`` records, decoded from the protobuf wire
format by hand (no TensorFlow, no protobuf package).

What is read: ``Event.wall_time`` (1, double), ``Event.step`` (2, int64), ``Event.summary``
(5) whose ``Summary.Value`` (1) carries ``tag`` (1) and either ``simple_value`` (2, float; TF1
and PyTorch's ``SummaryWriter``) or ``tensor`` (8, ``TensorProto``; TF2 ``tf.summary.scalar``)
holding one float or double: ``float_val`` (5), ``double_val`` (6) or ``tensor_content`` (4)
with dtype (1) ``DT_FLOAT`` or ``DT_DOUBLE`` and a shape (2) without dimensions. The hparams
plugin's ``_hparams_/session_start_info`` value gives the run's hyperparameters. Anything else
(images, histograms, text, graphs) is passed over.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

HPARAMS_TAG = "_hparams_/session_start_info"
_DT_FLOAT, _DT_DOUBLE = 1, 2
_double = struct.Struct("<d").unpack_from
_float = struct.Struct("<f").unpack_from


@dataclass
class DecodedEvents:
    """Scalars of some records by tag, as (step, wall time, value) columns, and hparams."""

    scalars: dict[str, tuple[list[int], list[float], list[float]]] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)
    count: int = 0
    first_wall_time: float | None = None
    last_wall_time: float | None = None


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    byte = buf[pos]
    if byte < 0x80:
        return byte, pos + 1
    result, shift = byte & 0x7F, 7
    pos += 1
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _skip(buf: bytes, pos: int, wire_type: int) -> int:
    """The position after a field of ``wire_type`` whose value starts at ``pos``."""
    if wire_type == 0:
        return _varint(buf, pos)[1]
    if wire_type == 1:
        return pos + 8
    if wire_type == 2:
        length, pos = _varint(buf, pos)
        return pos + length
    if wire_type == 5:
        return pos + 4
    raise ValueError(f"unsupported wire type {wire_type}")


def _fields(buf: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(key, value start, value end) of each field in ``buf[start:end]`` (varints: the value)."""
    out = []
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        wire_type = key & 7
        if wire_type == 2:
            length, pos = _varint(buf, pos)
            out.append((key, pos, pos + length))
            pos += length
        else:
            after = _skip(buf, pos, wire_type)
            out.append((key, pos, after))
            pos = after
    if pos != end:
        raise ValueError("a field runs past its message")
    return out


def _tensor_scalar(buf: bytes, start: int, end: int) -> tuple[float, int, int] | None:
    """The one float or double of a scalar ``TensorProto`` and where its bytes are, else None."""
    dtype, values, has_dims = 0, [], False
    for key, a, b in _fields(buf, start, end):
        if key == 0x08:  # dtype
            dtype = _varint(buf, a)[0]
        elif key == 0x12:  # tensor_shape
            has_dims = any(k == 0x12 for k, _, _ in _fields(buf, a, b))
        elif key == 0x22:  # tensor_content
            values.append(("c", a, b))
        elif key == 0x2A:  # float_val, packed
            values.extend(("f", p, p + 4) for p in range(a, b, 4))
        elif key == 0x2D:  # float_val, one unpacked
            values.append(("f", a, b))
        elif key == 0x32:  # double_val, packed
            values.extend(("d", p, p + 8) for p in range(a, b, 8))
        elif key == 0x31:  # double_val, one unpacked
            values.append(("d", a, b))
    if has_dims or len(values) != 1:
        return None
    kind, a, b = values[0]
    if kind == "c":
        if dtype == _DT_FLOAT and b - a == 4:
            kind = "f"
        elif dtype == _DT_DOUBLE and b - a == 8:
            kind = "d"
        else:
            return None
    if kind == "f" and dtype in (0, _DT_FLOAT) and b - a == 4:
        return float(_float(buf, a)[0]), a, b
    if kind == "d" and dtype in (0, _DT_DOUBLE) and b - a == 8:
        return float(_double(buf, a)[0]), a, b
    return None


def _hparams(buf: bytes, start: int, end: int) -> dict[str, Any]:
    """The hparams of a ``_hparams_/session_start_info`` value's plugin content."""
    out: dict[str, Any] = {}
    for key, a, b in _fields(buf, start, end):
        if key != 0x4A:  # metadata
            continue
        for k1, a1, b1 in _fields(buf, a, b):
            if k1 != 0x0A:  # plugin_data
                continue
            for k2, a2, b2 in _fields(buf, a1, b1):
                if k2 != 0x12:  # content: HParamsPluginData
                    continue
                for k3, a3, b3 in _fields(buf, a2, b2):
                    if k3 == 0x1A:  # session_start_info
                        for k4, a4, b4 in _fields(buf, a3, b3):
                            if k4 == 0x0A:  # hparams map entry
                                name, value = _map_entry(buf, a4, b4)
                                if name is not None:
                                    out[name] = value
    return out


def _map_entry(buf: bytes, start: int, end: int) -> tuple[str | None, Any]:
    """(key, value) of a ``map<string, google.protobuf.Value>`` entry."""
    name: str | None = None
    value: Any = None
    for key, a, b in _fields(buf, start, end):
        if key == 0x0A:
            name = buf[a:b].decode("utf-8", "replace")
        elif key == 0x12:
            for k, va, vb in _fields(buf, a, b):
                if k == 0x11:
                    value = _double(buf, va)[0]
                elif k == 0x1A:
                    value = buf[va:vb].decode("utf-8", "replace")
                elif k == 0x20:
                    value = bool(_varint(buf, va)[0])
    return name, value


def decode_event(buf: bytes, into: DecodedEvents) -> list[tuple[str, int, int]]:
    """Add the scalars (and hparams) of one ``Event`` record to ``into``.

    Returns:
        (tag, start, end) of each scalar added: where its value's bytes are in ``buf``.

    Raises:
        ValueError, IndexError, struct.error: the record is not a well-formed Event.
    """
    wall_time, step, summary = 0.0, 0, None
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        if key == 0x09:
            wall_time = _double(buf, pos)[0]
            pos += 8
        elif key == 0x10:
            step, pos = _varint(buf, pos)
            if step >= 1 << 63:
                step -= 1 << 64
        elif key == 0x2A:
            length, pos = _varint(buf, pos)
            summary = (pos, pos + length)
            pos += length
        else:
            pos = _skip(buf, pos, key & 7)
    if pos != end:
        raise ValueError("a field runs past the record")
    added: list[tuple[str, int, int]] = []
    if summary is None:
        return added
    for key, a, b in _fields(buf, *summary):
        if key != 0x0A:
            continue
        tag, found, tensor = None, None, None
        for k, va, vb in _fields(buf, a, b):
            if k == 0x0A:
                tag = buf[va:vb].decode("utf-8", "replace")
            elif k == 0x15:
                found = (float(_float(buf, va)[0]), va, vb)
            elif k == 0x42:
                tensor = (va, vb)
        if tag is None:
            continue
        if tag == HPARAMS_TAG:
            into.hparams.update(_hparams(buf, a, b))
            continue
        if found is None and tensor is not None:
            found = _tensor_scalar(buf, *tensor)
        if found is None:
            continue
        value, va, vb = found
        column = into.scalars.get(tag)
        if column is None:
            column = into.scalars[tag] = ([], [], [])
        column[0].append(step)
        column[1].append(wall_time)
        column[2].append(value)
        added.append((tag, va, vb))
        into.count += 1
        if into.first_wall_time is None or wall_time < into.first_wall_time:
            into.first_wall_time = wall_time
        if into.last_wall_time is None or wall_time > into.last_wall_time:
            into.last_wall_time = wall_time
    return added
