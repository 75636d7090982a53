"""The first rows of a table file, reading only what they need."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from mlops_desktop.core.datasets import TablePreview
from mlops_desktop.core.errors import DatasetError
from mlops_desktop.datasets.arrays import load_npy, npy_batches, npz_batches, npz_rows
from mlops_desktop.datasets.read_state import ReadState, RestartRead
from mlops_desktop.datasets.readers import check_readable, iter_batches, open_parquet, table_format


def read_head(path: Path, rel: str, rows: int) -> tuple[pa.RecordBatch, int | None]:
    """Up to ``rows`` first rows as one batch, and the total row count when it is cheap."""
    fmt = table_format(rel) or table_format(path)
    if fmt is None:
        raise DatasetError(
            f"{rel} is not a table file (CSV, TSV, Parquet, JSON Lines, .npy, .npz)."
        )
    size = check_readable(path, rel)
    if size == 0:
        return pa.RecordBatch.from_pydict({}), 0
    if fmt == "parquet":
        pf = open_parquet(path, rel)
        total: int | None = pf.metadata.num_rows
        batches = pf.iter_batches(batch_size=max(1, rows))
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as e:
            raise DatasetError(f"{rel} is damaged and cannot be read as Parquet: {e}") from None
        return batch if batch is not None else pf.schema_arrow.empty_table().to_batches()[0], total
    if fmt == "npy":
        shape = load_npy(path, rel).shape
        return _first(npy_batches(path, rel, None, rows), rows), (shape[0] if shape else 1)
    if fmt == "npz":
        return _first(npz_batches(path, rel, None, rows), rows), npz_rows(path, rel)
    state = ReadState(path=path, rel=rel, fmt=fmt, size=size, block_size=1 << 20, threads=False)
    for _attempt in range(20):
        got: list[pa.RecordBatch] = []
        try:
            for batch in iter_batches(state):
                got.append(batch)
                if sum(b.num_rows for b in got) >= rows:
                    break
        except RestartRead:
            continue
        if not got:
            return pa.RecordBatch.from_pydict({}), 0
        table = pa.Table.from_batches(got).slice(0, rows).combine_chunks()
        return (table.to_batches()[0] if table.num_rows else got[0].slice(0, 0)), None
    raise DatasetError(f"{rel} could not be previewed.")


def _first(batches: Iterable[pa.RecordBatch], rows: int) -> pa.RecordBatch:
    """Join the first batches of each column group (npz) side by side, up to ``rows`` rows."""
    columns: dict[str, pa.Array] = {}
    for batch in batches:
        for name, col in zip(batch.schema.names, batch.columns, strict=True):
            if name not in columns:
                columns[name] = col.slice(0, rows)
    if not columns:
        return pa.RecordBatch.from_pydict({})
    length = max(len(c) for c in columns.values())
    padded = {
        n: pa.concat_arrays([c, pa.nulls(length - len(c), c.type)]) for n, c in columns.items()
    }
    return pa.RecordBatch.from_pydict(padded)


def _strings(arr: pa.Array) -> list[str]:
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type):
        return ["" if v is None else v.decode("latin-1") for v in arr.to_pylist()]
    if pa.types.is_floating(arr.type):
        return ["" if v is None or v != v else f"{v:.6g}" for v in arr.to_pylist()]
    try:
        cast = pc.cast(arr, pa.string())
        return ["" if v is None else v for v in cast.to_pylist()]
    except pa.ArrowException:
        return ["" if v is None else str(v) for v in arr.to_pylist()]


def preview_table(path: Path, rel: str, rows: int = 200) -> TablePreview:
    """The first ``rows`` rows as strings (missing values as ""), with column names and types."""
    batch, total = read_head(Path(path), rel, rows)
    columns = [_strings(col) for col in batch.columns]
    return TablePreview(
        path=rel,
        columns=list(batch.schema.names),
        types=[str(t) for t in batch.schema.types],
        rows=[list(r) for r in zip(*columns, strict=True)] if columns else [],
        total_rows=total,
    )
