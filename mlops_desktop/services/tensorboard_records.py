"""TFRecord framing of TensorBoard event files, every record's CRC32C checked, without TensorFlow.

A record is ``uint64 length | masked CRC32C of those 8 bytes | data | masked CRC32C of data``
(little endian). The checksums are computed with numpy over many records at once (records of
one length in one vectorised pass, byte column by byte column), which keeps the check well
ahead of the decoding. A record whose data CRC is wrong is reported and skipped; a length whose
CRC is wrong loses the framing, so the reader looks for the next place where a length and its
CRC agree and goes on from there. An incomplete last record (a file still being written) is left
for the next read, silently.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

HEADER = 12  # length (8) + its masked CRC (4)
FOOTER = 4
BLOCK_BYTES = 4 << 20  # read this much of a file at a time (progress and stops between reads)
_CRC_BATCH = 1 << 15  # records per vectorised CRC pass (bounds the index arrays)
_CRC_BATCH_BYTES = 1 << 22  # bytes per vectorised CRC pass of long records
_MASK_DELTA = 0xA282EAD8
_unpack_length = struct.Struct("<QI").unpack_from
_unpack_crc = struct.Struct("<I").unpack_from
_unpack_length_only = struct.Struct("<Q").unpack_from


def _crc32c_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table[byte] = crc
    return table


_TABLE = _crc32c_table()
_TABLE_LIST = [int(v) for v in _TABLE]


def crc32c(data: bytes) -> int:
    """CRC32C (Castagnoli) of ``data``, one byte at a time (for the odd long record)."""
    crc, table = 0xFFFFFFFF, _TABLE_LIST
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    """The masked form TFRecord stores."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def _masked_crcs(buf: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Masked CRC32C of ``buf[s:s+length]`` for every start ``s`` (same length for all)."""
    crc = np.full(len(starts), 0xFFFFFFFF, dtype=np.uint32)
    if length:
        columns = np.ascontiguousarray(buf[starts[None, :] + np.arange(length)[:, None]])
        table = _TABLE
        for column in columns:  # byte j of every record at once
            crc = table[(crc ^ column) & 0xFF] ^ (crc >> 8)
    crc ^= np.uint32(0xFFFFFFFF)
    rotated = (crc >> np.uint32(15)) | (crc << np.uint32(17))
    return rotated + np.uint32(_MASK_DELTA)  # uint32 wraps around


def _stored_crcs(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The little-endian uint32 at each offset of ``at``."""
    return buf[at[:, None] + np.arange(4)].view("<u4").ravel()


@dataclass
class RecordBlock:
    """The records of one read: data slices with their file offsets, and what was wrong."""

    records: list[tuple[int, bytes]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    end_offset: int = 0  # just after the last complete record: where the next read starts


def _frame(data: bytes, start: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Record starts and data lengths from ``start`` until data runs out or a torn record."""
    starts: list[int] = []
    lengths: list[int] = []
    add_start, add_length = starts.append, lengths.append
    unpack, pos, size = _unpack_length_only, start, len(data)
    while pos + HEADER <= size:
        (length,) = unpack(data, pos)
        after = pos + HEADER + length + FOOTER
        if after > size:
            break
        add_start(pos)
        add_length(length)
        pos = after
    return np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64), pos


def _resync(data: bytes, start: int) -> int:
    """The first offset after ``start`` where a length and its CRC agree (or the end)."""
    for pos in range(start + 1, len(data) - HEADER + 1):
        length, stored = _unpack_length(data, pos)
        if masked(crc32c(data[pos : pos + 8])) == stored and length < (1 << 40):
            return pos
    return len(data)


def _torn_length_damaged(data: bytes, end: int) -> bool:
    """Whether the unfinished record at ``end`` has a whole length whose CRC is wrong: a
    damaged length that points past the end, not a record still being written."""
    if end + HEADER > len(data):
        return False
    _length, stored = _unpack_length(data, end)
    return masked(crc32c(data[end : end + 8])) != stored


def _check_lengths(buf: np.ndarray, starts: np.ndarray) -> int:
    """Index of the first record whose length CRC is wrong (``len(starts)`` when none is)."""
    for first in range(0, len(starts), _CRC_BATCH):
        batch = starts[first : first + _CRC_BATCH]
        bad = np.flatnonzero(_masked_crcs(buf, batch, 8) != _stored_crcs(buf, batch + 8))
        if len(bad):
            return first + int(bad[0])
    return len(starts)


def _check_data(data: bytes, buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> set[int]:
    """Indexes of the records whose data CRC is wrong, records of one length at a time."""
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    edges = np.flatnonzero(np.diff(sorted_lengths)) + 1
    bad: set[int] = set()
    for group in np.split(order, edges) if len(order) else []:
        length = int(lengths[group[0]])
        if len(group) < 4 and length > 256:  # a few long records: byte by byte is cheaper
            for i in group.tolist():
                pos = int(starts[i]) + HEADER
                stored = _unpack_crc(data, pos + length)[0]
                if masked(crc32c(data[pos : pos + length])) != stored:
                    bad.add(i)
            continue
        batch_size = max(1, min(_CRC_BATCH, _CRC_BATCH_BYTES // max(length, 1)))
        for first in range(0, len(group), batch_size):
            batch = group[first : first + batch_size]
            at = starts[batch] + HEADER
            wrong = np.flatnonzero(_masked_crcs(buf, at, length) != _stored_crcs(buf, at + length))
            bad.update(batch[wrong].tolist())
    return bad


def split_records(data: bytes, base_offset: int, name: str) -> RecordBlock:
    """The checked records of ``data`` (bytes of file ``name`` from ``base_offset``)."""
    block = RecordBlock()
    buf = np.frombuffer(data, dtype=np.uint8)
    pos = 0
    while True:
        starts, lengths, end = _frame(data, pos)
        first_bad = _check_lengths(buf, starts)
        good_starts, good_lengths = starts[:first_bad], lengths[:first_bad]
        bad_data = _check_data(data, buf, good_starts, good_lengths)
        pairs = zip(good_starts.tolist(), good_lengths.tolist())
        if not bad_data:
            base = base_offset
            block.records += [(base + p, data[p + HEADER : p + HEADER + n]) for p, n in pairs]
        for i, (start, length) in enumerate(pairs if bad_data else ()):
            if i in bad_data:
                block.problems.append(
                    f"{name}: the record at byte {base_offset + start} is damaged (its checksum"
                    " does not match) and was skipped."
                )
            else:
                at = start + HEADER
                block.records.append((base_offset + start, data[at : at + length]))
        if first_bad == len(starts):
            if not _torn_length_damaged(data, end):
                block.end_offset = base_offset + end
                return block
            bad_at = end
        else:
            bad_at = int(starts[first_bad])
        pos = _resync(data, bad_at)
        block.problems.append(
            f"{name}: the record at byte {base_offset + bad_at} has a damaged length; bytes"
            f" {base_offset + bad_at} to {base_offset + pos} were skipped."
        )
        if pos + HEADER > len(data):  # nothing more to frame in this read
            block.end_offset = base_offset + pos
            return block


def read_record_blocks(path: str, offset: int, name: str) -> Iterator[RecordBlock]:
    """The checked records of the file ``path`` from ``offset``, one block per read."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        want = BLOCK_BYTES
        while True:
            data = fh.read(want)
            if not data:
                return
            block = split_records(data, offset, name)
            if block.end_offset == offset:  # one record longer than a read, or a torn one
                if len(data) < want:
                    return
                fh.seek(offset)
                want *= 2
                continue
            yield block
            if len(data) < want:  # the end of the file: what is left is a torn record
                return
            offset = block.end_offset
            fh.seek(offset)
            want = BLOCK_BYTES
