"""Vectorised 64-bit hashes of column values and of whole table rows (NumPy, no Python loops).

Numbers hash by their bits (floats normalised so that 0.0 == -0.0 and every NaN is one value)
through the splitmix64 finaliser, a bijection on 64-bit integers. Strings are dictionary-encoded
per batch and only the distinct values are hashed (Python's 64-bit ``hash``, which is salted per
process: these hashes compare only within one process, which is how diffs use them).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
NULL_HASH = np.uint64(0x5BD1E9955BD1E995)
_NAN_BITS = np.array([np.nan], dtype=np.float64).view(np.uint64)[0]


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array (a new array)."""
    x = x ^ (x >> np.uint64(30))
    x *= _C1
    x ^= x >> np.uint64(27)
    x *= _C2
    x ^= x >> np.uint64(31)
    return x


def numeric_bits(values: np.ndarray) -> np.ndarray:
    """A uint64 array with each value's identity: integer bits, or normalised float64 bits."""
    if values.dtype.kind == "f":
        f = values.astype(np.float64) + 0.0  # turns -0.0 into 0.0
        bits = f.view(np.uint64)
        nan = np.isnan(f)
        if nan.any():
            bits = np.where(nan, _NAN_BITS, bits)
        return bits
    if values.dtype.kind == "u":
        return values.astype(np.uint64, copy=False)
    return values.astype(np.int64, copy=False).view(np.uint64)


def string_hashes(values: pa.Array) -> np.ndarray:
    """uint64 hashes of a (small: distinct) array of strings or bytes; nulls get NULL_HASH."""
    return np.fromiter(
        (NULL_HASH if v is None else hash(v) & 0xFFFFFFFFFFFFFFFF for v in values.to_pylist()),
        dtype=np.uint64,
        count=len(values),
    )


def column_hashes(arr: pa.Array | pa.ChunkedArray, mode: str) -> np.ndarray:
    """One uint64 per value of a column; ``mode`` is "native", "float" or "text".

    "float" casts numbers to float64 (used when a column is int in one version and float in
    the other); "text" casts to strings (any other type change).
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    t = arr.type
    if mode == "float":
        try:
            arr, t = arr.cast(pa.float64()), pa.float64()
        except pa.ArrowException:
            mode = "text"
    if mode == "text" and not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        try:
            arr, t = arr.cast(pa.string()), pa.string()
        except pa.ArrowException:
            arr, t = (
                pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string()),
                pa.string(),
            )
    nulls = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        filled = arr.fill_null(False if pa.types.is_boolean(t) else 0) if nulls is not None else arr
        values = filled.to_numpy(zero_copy_only=False)
        h = mix64(numeric_bits(values.astype(np.uint8) if values.dtype == bool else values))
        if values.dtype.kind == "f":  # NaN is missing, like null (CSV reads "nan" as null)
            nan = np.isnan(values)
            if nan.any():
                nulls = nan if nulls is None else (nulls | nan)
    elif pa.types.is_temporal(t) and t.bit_width in (32, 64):
        ints = arr.view(pa.int64() if t.bit_width == 64 else pa.int32()).fill_null(0)
        h = mix64(ints.to_numpy(zero_copy_only=False).astype(np.int64).view(np.uint64))
    elif pa.types.is_decimal(t):
        return column_hashes(arr.cast(pa.float64()), "native")
    elif (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    ):
        encoded = pc.dictionary_encode(arr)
        table = mix64(string_hashes(encoded.dictionary))
        idx = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)
        h = table[idx] if len(table) else np.zeros(len(arr), dtype=np.uint64)
    else:
        h = mix64(
            string_hashes(pa.array([None if v is None else repr(v) for v in arr.to_pylist()]))
        )
    if nulls is not None:
        h = np.where(nulls, NULL_HASH, h)
    return h


def row_hashes(batch: pa.RecordBatch, columns: list[str], modes: dict[str, str]) -> np.ndarray:
    """One uint64 per row over ``columns`` (in that order); a missing column hashes as nulls."""
    h = np.full(batch.num_rows, _GOLDEN, dtype=np.uint64)
    names = set(batch.schema.names)
    for i, name in enumerate(columns):
        if name in names:
            col = column_hashes(batch.column(name), modes.get(name, "native"))
        else:
            col = np.full(batch.num_rows, NULL_HASH, dtype=np.uint64)
        salt = np.uint64(((i + 1) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        h = mix64(h ^ (col + salt))
    return h
