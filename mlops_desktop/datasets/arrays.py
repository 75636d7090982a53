"""NumPy ``.npy`` and ``.npz`` files as streams of table batches. Never unpickles anything.

Columns: a 1-D ``.npy`` is one column ``value``; a 2-D one has a column per index of the last axis
(``0``, ``1``, ...); higher dimensions are flattened to 2-D over the leading axes; a structured
dtype gives one column per field. In a ``.npz`` every array is a group of columns named after it
(``x`` or ``x[0]``, ``x[1]``, ...). A ``.npy`` is memory-mapped and read in slices; each array
of a ``.npz`` is read whole, one at a time (zip members cannot be memory-mapped).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from mlops_desktop.core.errors import DatasetError

CHUNK_BYTES = 8 << 20


def _objects_refused(rel: str) -> DatasetError:
    return DatasetError(
        f"{rel} contains Python objects, which are never unpickled; save it with a numeric "
        "or string dtype instead."
    )


def load_npy(path: Path, rel: str) -> np.ndarray:
    """Memory-map a ``.npy`` file without unpickling."""
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as e:
        if "object" in str(e).lower() or "pickle" in str(e).lower():
            raise _objects_refused(rel) from None
        raise DatasetError(f"{rel} is not a valid NumPy .npy file: {e}") from None
    except (EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError | PermissionError):
            raise
        raise DatasetError(
            f"{rel} is not a complete NumPy .npy file (it may have been cut short)."
        ) from None
    if not isinstance(arr, np.ndarray):
        raise DatasetError(f"{rel} is not a NumPy .npy array file.")
    if arr.dtype.hasobject:
        raise _objects_refused(rel)
    return arr


def _as_2d(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 0:
        return arr.reshape(1, 1) if arr.dtype.names is None else arr.reshape(1)
    if arr.ndim > 2 and arr.dtype.names is None:
        return arr.reshape(arr.shape[0] * int(np.prod(arr.shape[1:-1])), arr.shape[-1])
    return arr


def _column(values: np.ndarray) -> pa.Array:
    values = np.ascontiguousarray(values)
    try:
        return pa.array(values)
    except (pa.ArrowException, TypeError, ValueError):
        return pa.array(values.astype(str))


def array_columns(arr: np.ndarray, prefix: str | None) -> dict[str, pa.Array]:
    """The columns of one slice of an array (``prefix`` names the npz member)."""
    out: dict[str, pa.Array] = {}
    if arr.dtype.names:
        for name in arr.dtype.names:
            sub = arr[name]
            label = f"{prefix}.{name}" if prefix else name
            if sub.ndim == 1:
                out[label] = _column(sub)
            else:
                flat = sub.reshape(sub.shape[0], -1)
                for j in range(flat.shape[1]):
                    out[f"{label}[{j}]"] = _column(flat[:, j])
        return out
    if arr.ndim == 1:
        out[prefix or "value"] = _column(arr)
        return out
    for j in range(arr.shape[1]):
        out[f"{prefix}[{j}]" if prefix else str(j)] = _column(arr[:, j])
    return out


def _slices(
    arr: np.ndarray, prefix: str | None, state: Any, limit: int | None
) -> Iterator[pa.RecordBatch]:
    arr = _as_2d(arr)
    rows = arr.shape[0]
    if limit is not None:
        rows = min(rows, limit)
    row_bytes = max(1, arr.itemsize * (arr.shape[1] if arr.ndim == 2 else 1))
    step = max(1, CHUNK_BYTES // row_bytes)
    if rows == 0:
        yield pa.RecordBatch.from_pydict(array_columns(arr[:0], prefix))
    for start in range(0, rows, step):
        chunk = arr[start : min(rows, start + step)]
        batch = pa.RecordBatch.from_pydict(array_columns(chunk, prefix))
        if state is not None:
            state.done += batch.num_rows
        yield batch


def npy_batches(
    path: Path, rel: str, state: Any, limit: int | None = None
) -> Iterator[pa.RecordBatch]:
    """Batches of a ``.npy`` file, read from a memory map (``limit``: at most that many rows)."""
    arr = load_npy(path, rel)
    if state is not None:
        state.total = _as_2d(arr).shape[0]
    yield from _slices(arr, None, state, limit)


def npz_members(path: Path, rel: str) -> Iterator[tuple[str, np.ndarray]]:
    """Each array of a ``.npz`` file in turn, loaded without unpickling."""
    try:
        npz = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, ValueError) as e:
        raise DatasetError(
            f"{rel} is not a complete NumPy .npz file (it may have been cut short): {e}"
        ) from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DatasetError(f"{rel} is not a NumPy .npz archive.")
    with npz:
        for name in npz.files:
            try:
                arr = npz[name]
            except ValueError as e:
                if "object" in str(e).lower() or "pickle" in str(e).lower():
                    raise _objects_refused(rel) from None
                raise DatasetError(f"{rel}: array {name!r} cannot be read: {e}") from None
            except (zipfile.BadZipFile, EOFError, OSError) as e:
                raise DatasetError(f"{rel}: array {name!r} is damaged or cut short: {e}") from None
            yield name, arr


def npz_batches(
    path: Path, rel: str, state: Any, limit: int | None = None
) -> Iterator[pa.RecordBatch]:
    """Batches of every array of a ``.npz`` file, one array (column group) after another."""
    for name, arr in npz_members(path, rel):
        if state is not None:
            state.total += _as_2d(arr).shape[0]
        yield from _slices(arr, name, state, limit)


def npz_rows(path: Path, rel: str) -> int:
    """Rows of a ``.npz`` table: the longest first axis among its arrays."""
    return max((_as_2d(a).shape[0] for _, a in npz_members(path, rel)), default=0)
