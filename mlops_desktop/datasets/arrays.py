"""NumPy ``.npy`` and ``.npz`` files as streams of table batches. Never unpickles anything.

Columns: a 1-D ``.npy`` is one column ``value``; a 2-D one has a column per index of the last axis
(``0``, ``1``, ...); higher dimensions are flattened to 2-D over the leading axes; a structured
dtype gives one column per field. In a ``.npz`` every array is a group of columns named after it
(``x`` or ``x[0]``, ``x[1]``, ...). A ``.npy`` is memory-mapped and read in slices; each array
of a ``.npz`` is read whole, one at a time (zip members cannot be memory-mapped).

Each array's header is checked before NumPy reads it: one whose shape needs more bytes than
the file (or the zip member) holds, or that is no array at all (a pickle in a ``.npz``), is
refused with a sentence before NumPy sees it, so NumPy has nothing to warn about (its
"overflow encountered" warning came from such a header). ``warnings.catch_warnings`` is not
used: it changes process-wide state and is not safe while other threads read or warn.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from mlops_desktop.core.errors import DatasetError

CHUNK_BYTES = 8 << 20


def _objects_refused(rel: str) -> DatasetError:
    return DatasetError(
        f"{rel} contains Python objects, which are never unpickled; save it with a numeric "
        "or string dtype instead."
    )


def _not_npy(rel: str) -> DatasetError:
    return DatasetError(f"{rel} is not a valid NumPy .npy file: its header cannot be read.")


def check_npy_header(f: IO[bytes], data_bytes: int, rel: str) -> None:
    """Read a ``.npy`` header from ``f`` and check it against the ``data_bytes`` that follow
    the start of ``f``; a DatasetError (``rel`` names the array) when they do not fit."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _order, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):  # 3.0 differs only in the header's text encoding
            shape, _order, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise _not_npy(rel)
    except (ValueError, EOFError, OSError, SyntaxError, TypeError):
        raise _not_npy(rel) from None
    if dtype.hasobject:
        raise _objects_refused(rel)
    count = math.prod(int(n) for n in shape)
    needed = count * dtype.itemsize
    held = data_bytes - f.tell()
    if needed > held or count > np.iinfo(np.intp).max:
        raise DatasetError(
            f"{rel} is cut short or damaged: its header promises {needed:,} bytes of data "
            f"but it holds {max(held, 0):,}."
        )


def load_npy(path: Path, rel: str) -> np.ndarray:
    """Memory-map a ``.npy`` file without unpickling."""
    try:
        with open(path, "rb") as f:
            check_npy_header(f, path.stat().st_size, rel)
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as e:
        if "object" in str(e).lower() or "pickle" in str(e).lower():
            raise _objects_refused(rel) from None
        raise _not_npy(rel) from None
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
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as e:
        if isinstance(e, FileNotFoundError | PermissionError):
            raise
        raise DatasetError(
            f"{rel} is not a complete NumPy .npz file (it may have been cut short)."
        ) from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DatasetError(f"{rel} is not a NumPy .npz archive.")
    with npz:
        archive = npz.zip
        if archive is None:
            raise DatasetError(f"{rel} is not a NumPy .npz archive.")
        for name in npz.files:
            _check_member(archive, name, rel)
            try:
                arr = npz[name]
            except ValueError as e:
                if "object" in str(e).lower() or "pickle" in str(e).lower():
                    raise _objects_refused(rel) from None
                raise DatasetError(f"{rel}: array {name!r} cannot be read.") from None
            except (zipfile.BadZipFile, EOFError, OSError):
                raise DatasetError(f"{rel}: array {name!r} is damaged or cut short.") from None
            if not isinstance(arr, np.ndarray):
                raise _not_an_array(rel, name)
            yield name, arr


def _not_an_array(rel: str, name: str) -> DatasetError:
    return DatasetError(
        f"{rel}: member {name!r} is not a NumPy array (perhaps a pickle, which is never "
        "unpickled); a .npz may hold only arrays."
    )


def _check_member(archive: zipfile.ZipFile, name: str, rel: str) -> None:
    """Check a member's ``.npy`` header against its size before NumPy reads it."""
    names = set(archive.namelist())
    member = name + ".npy" if name + ".npy" in names else name
    try:
        info = archive.getinfo(member)
        with archive.open(info) as f:
            if f.read(6) != b"\x93NUMPY":
                raise _not_an_array(rel, name)
            f.seek(0)
            check_npy_header(f, info.file_size, f"{rel}: array {name!r}")
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, NotImplementedError):
        raise DatasetError(f"{rel}: array {name!r} is damaged or cut short.") from None


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
