"""Decoding whole blocks of TensorBoard ``Event`` records fast, by the layouts already seen.

A writer logs the same scalar the same way every time: an ``Event`` is ``wall_time`` (field 1,
8 bytes), ``step`` (field 2, a varint), then a summary whose bytes are the same for every point
of a tag (lengths, tag, dtype, shape) but for the value, whose 4 or 8 bytes come last. So once
the full decoder (:func:`~mlops_desktop.services.tensorboard_events.decode_event`) has read one
record of a tag and found its value in the record's last bytes, the bytes between the step and
the value are a *layout*: any later record with the same layout bytes would decode the same,
with the value read from its last bytes. Such records take a dictionary look-up instead of a
protobuf walk; every other record (hparams, images, a new tag, an odd writer) goes through the
full decoder, which stays the reference.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from mlops_desktop.services.tensorboard_events import DecodedEvents, decode_event

_double = struct.Struct("<d").unpack_from
_float = struct.Struct("<f").unpack_from
_WALL_TIME, _STEP = 0x09, 0x10  # the keys of Event.wall_time and Event.step
_MAX_LAYOUTS = 4096  # a writer with ever new layouts is decoded in full, not learned


class EventDecoder:
    """Decodes blocks of ``Event`` records; keeps the layouts it learned across blocks."""

    def __init__(self) -> None:
        self._float_layouts: dict[bytes, str] = {}  # layout bytes -> tag; value: last 4 bytes
        self._double_layouts: dict[bytes, str] = {}  # value: last 8 bytes

    @property
    def known_layouts(self) -> int:
        """How many layouts the decoder reads by look-up."""
        return len(self._float_layouts) + len(self._double_layouts)

    def decode_block(self, records: Iterable[tuple[int, bytes]]) -> tuple[DecodedEvents, list[int]]:
        """The scalars and hparams of ``records`` ((file offset, record) pairs), and the offsets
        of the records that are not well-formed Events."""
        into = DecodedEvents()
        scalars = into.scalars
        floats, doubles = self._float_layouts, self._double_layouts
        unpack_double, unpack_float = _double, _float
        bad: list[int] = []
        fast = 0
        for at, buf in records:
            try:
                if buf[0] == _WALL_TIME and buf[9] == _STEP:
                    step = buf[10]
                    pos = 11
                    if step >= 0x80:  # steps of 128 to 16,383 take two bytes
                        high = buf[11]
                        if high < 0x80:
                            step, pos = (step & 0x7F) | (high << 7), 12
                        else:
                            step, pos = _varint(buf, 10)
                    tag = floats.get(buf[pos:-4])
                    if tag is not None:
                        value = unpack_float(buf, len(buf) - 4)[0]
                    else:
                        tag = doubles.get(buf[pos:-8])
                        if tag is not None:
                            value = unpack_double(buf, len(buf) - 8)[0]
                    if tag is not None:
                        column = scalars.get(tag)
                        if column is None:
                            column = scalars[tag] = ([], [], [])
                        column[0].append(step)
                        column[1].append(unpack_double(buf, 1)[0])
                        column[2].append(value)
                        fast += 1
                        continue
                self._decode_and_learn(buf, into)
            except (ValueError, IndexError, struct.error):
                bad.append(at)
        into.count += fast
        _wall_time_range(into)
        return into, bad

    def _decode_and_learn(self, buf: bytes, into: DecodedEvents) -> None:
        """The full decoder; a record of one scalar whose value ends it teaches its layout."""
        added = decode_event(buf, into)
        if len(added) != 1 or buf[0] != _WALL_TIME or buf[9] != _STEP:
            return
        tag, start, end = added[0]
        if end != len(buf):
            return
        pos = _varint(buf, 10)[1]
        layouts = self._float_layouts if end - start == 4 else self._double_layouts
        if end - start in (4, 8) and start >= pos and len(layouts) < _MAX_LAYOUTS:
            layouts[buf[pos:start]] = tag


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """A step's varint (two's complement for a negative step) and the position after it."""
    result, shift = 0, 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
    if result >= 1 << 63:
        result -= 1 << 64
    return result, pos


def _wall_time_range(into: DecodedEvents) -> None:
    """The first and last wall time of the block's scalars."""
    times = [column[1] for column in into.scalars.values() if column[1]]
    if times:
        into.first_wall_time = min(min(t) for t in times)
        into.last_wall_time = max(max(t) for t in times)
