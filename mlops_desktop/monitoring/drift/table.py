"""Tables for drift checks: CSV (delimiter sniffed), Parquet and JSON Lines files, or folders
of them, read whole with pyarrow's multithreaded readers.

A :class:`Table` keeps the arrow table and hands out columns as NumPy arrays when asked:
numeric columns (integers, floats, decimals) as float64 with NaN for missing values,
the others (text, booleans, dates) as object arrays of text with None for missing values.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from mlops_desktop.core.errors import DriftError

TABLE_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_DELIMITERS = ",;\t|"
Source = str | Path | Sequence[str | Path]


def _is_numeric_type(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_null(t)
    )


class Table:
    """Columns of one table (or of several files read one after the other).

    Attributes:
        arrow: the data as read.
        rows: the number of rows.
        names: the column names in file order.
        numeric: the names of the numeric columns.
    """

    def __init__(self, arrow: pa.Table) -> None:
        self.arrow = arrow
        self.rows = arrow.num_rows
        self.names: tuple[str, ...] = tuple(arrow.column_names)
        self.numeric = frozenset(
            n
            for n, t in zip(arrow.column_names, arrow.schema.types, strict=True)
            if _is_numeric_type(t)
        )
        self._cache: dict[str, np.ndarray] = {}

    @classmethod
    def from_columns(cls, columns: Mapping[str, Sequence[Any] | np.ndarray]) -> Table:
        """A table of in-memory columns (lists or arrays); their types are inferred."""
        arrays = {}
        for name, values in columns.items():
            try:
                arrays[name] = pa.array(values, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays[name] = pa.array(
                    [None if v is None else str(v) for v in values], type=pa.string()
                )
        return cls(pa.table(arrays))

    def is_numeric(self, name: str) -> bool:
        return name in self.numeric

    def values(self, name: str) -> np.ndarray:
        """The column as float64 (NaN missing) if numeric, else an object array (None missing)."""
        found = self._cache.get(name)
        if found is not None:
            return found
        column = self.arrow.column(name)
        if name in self.numeric:
            out = column.cast(pa.float64()).to_numpy()
        else:
            out = np.asarray(text_column(column).to_pylist(), dtype=object)
        self._cache[name] = out
        return out

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return {n: self.values(n) for n in self.names}

    def slice(self, offset: int, length: int | None = None) -> Table:
        return Table(self.arrow.slice(offset, length))

    @staticmethod
    def concat(tables: Sequence[Table]) -> Table:
        """The rows of ``tables`` one after the other (columns matched by name)."""
        return Table(_concat([t.arrow for t in tables], "the tables"))


def text_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A non-numeric column as text (booleans as "true"/"false", dates ISO)."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_dictionary(column.type):
        return column.cast(pa.string())
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.chunked_array(
            [pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())]
        )


def read_table(source: Source) -> Table:
    """Read a CSV/TSV, Parquet or JSON Lines file, a folder of them, or a list of such paths.

    Raises:
        DriftError: a path does not exist, is no table, cannot be read, or holds no rows.
    """
    paths = _table_paths(source)
    tables = [_read_file(p) for p in paths]
    table = tables[0] if len(tables) == 1 else _concat(tables, _name(source))
    if table.num_rows == 0:
        raise DriftError(f"{_name(source)} holds no rows: give a table with data.")
    return Table(table)


def _name(source: Source) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return f"{len(source)} files"


def _table_paths(source: Source) -> list[Path]:
    items = [source] if isinstance(source, str | Path) else list(source)
    if not items:
        raise DriftError("No table files were given.")
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in TABLE_SUFFIXES
            )
            if not found:
                raise DriftError(f"{p} holds no CSV, Parquet or JSON Lines files.")
            paths.extend(found)
        elif p.exists():
            paths.append(p)
        else:
            raise DriftError(f"{p} does not exist: check the path.")
    return paths


def _read_file(path: Path) -> pa.Table:
    fmt = TABLE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DriftError(f"{path} is not a CSV, Parquet or JSON Lines file.")
    try:
        if path.stat().st_size == 0:
            raise DriftError(f"{path} is empty (0 bytes): give a table with data.")
        if fmt == "parquet":
            return pq.read_table(path, use_threads=True)
        if fmt == "jsonl":
            return pajson.read_json(path, read_options=pajson.ReadOptions(use_threads=True))
        return _read_csv(path, "\t" if fmt == "tsv" else None)
    except DriftError:
        raise
    except PermissionError:
        raise DriftError(f"{path} cannot be read: permission denied.") from None
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DriftError(
            f"{path} could not be read as {fmt.upper()}: {first.rstrip('.')}."
        ) from None


def sniff_delimiter(head: str) -> str:
    """The most likely delimiter of a CSV from its first lines (",", ";", tab or "|")."""
    try:
        return csv.Sniffer().sniff(head, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = head.splitlines()[0] if head else ""
        return max(_DELIMITERS, key=first.count) if first else ","


def _read_csv(path: Path, delimiter: str | None) -> pa.Table:
    if delimiter is None:
        with open(path, "rb") as f:
            head = f.read(64 * 1024).decode("utf-8", errors="replace")
        lines = head.splitlines()
        delimiter = sniff_delimiter("\n".join(lines[:20] if len(lines) > 1 else lines))
    read = pacsv.ReadOptions(use_threads=True, block_size=16 << 20)
    parse = pacsv.ParseOptions(delimiter=delimiter)
    try:
        return pacsv.read_csv(path, read_options=read, parse_options=parse)
    except pa.ArrowInvalid as e:
        if "Empty CSV file" in str(e):
            raise DriftError(f"{path} has no header line: it looks empty.") from None
        if "invalid UTF8" not in str(e):
            raise
    read = pacsv.ReadOptions(use_threads=True, block_size=16 << 20, encoding="latin-1")
    return pacsv.read_csv(path, read_options=read, parse_options=parse)


def _concat(tables: list[pa.Table], name: str) -> pa.Table:
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # a column is numbers in one file and text in another: read it as text everywhere
    kinds: dict[str, set[bool]] = {}
    for t in tables:
        for n, ty in zip(t.column_names, t.schema.types, strict=True):
            kinds.setdefault(n, set()).add(_is_numeric_type(ty))
    mixed = {n for n, k in kinds.items() if len(k) > 1}
    fixed = []
    for t in tables:
        for n in mixed & set(t.column_names):
            i = t.column_names.index(n)
            t = t.set_column(i, n, text_column(t.column(n)))
        fixed.append(t)
    try:
        return pa.concat_tables(fixed, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise DriftError(f"The files of {name} do not fit together: {e}.") from None
