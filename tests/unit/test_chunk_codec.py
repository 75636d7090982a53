"""Metric chunks are stored compactly and come back bit for bit."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from mlops_desktop.catalog.chunk_codec import decode_column, encode_column


def _f8(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}d", *values)


def test_counting_steps_and_close_timestamps_shrink_and_round_trip() -> None:
    n = 10_000
    steps = struct.pack(f"<{n}q", *range(n))
    times = _f8([1.7e9 + 0.0137 * i for i in range(n)])
    for raw, most in ((steps, 0.05), (times, 0.5)):
        blob = encode_column(raw, n)
        assert len(blob) < most * len(raw)
        assert decode_column(blob, n) == raw


@pytest.mark.parametrize(
    "values",
    [
        [math.nan, -0.0, 0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308] * 5,
        [(-1) ** i * 2.0**i for i in range(64)],
    ],
)
def test_any_float_comes_back_bit_for_bit(values: list[float]) -> None:
    raw = _f8(values)
    assert decode_column(encode_column(raw, len(values)), len(values)) == raw


def test_extreme_int64_steps_wrap_exactly() -> None:
    steps = [-(2**63), 2**63 - 1, 0, -1, 2**63 - 1, -(2**63)] * 4
    raw = struct.pack(f"<{len(steps)}q", *steps)
    assert decode_column(encode_column(raw, len(steps)), len(steps)) == raw


def test_random_values_stay_raw_and_raw_blobs_still_read() -> None:
    raw = np.random.default_rng(1).integers(-(2**63), 2**63 - 1, 1000, dtype="<i8").tobytes()
    assert encode_column(raw, 1000) == raw  # noise does not compress: stored as before
    floats = np.random.default_rng(2).random(1000).astype("<f8").tobytes()
    assert decode_column(encode_column(floats, 1000), 1000) == floats
    assert decode_column(raw, 1000) == raw


def test_a_damaged_blob_is_refused() -> None:
    raw = struct.pack("<100q", *range(100))
    blob = encode_column(raw, 100)
    with pytest.raises(ValueError, match="expected"):
        decode_column(blob, 99)
