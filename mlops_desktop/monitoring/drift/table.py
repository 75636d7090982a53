"""Tables for drift checks: CSV (delimiter detected), Parquet and JSON Lines files, or folders
of them, read whole with pyarrow's multithreaded readers.

Text files are checked first as the dataset readers check them (binary data, a first line over
4 MiB, lines over 16 MiB, UTF-16/32 byte-order marks: see
:mod:`mlops_desktop.datasets.text_files`); a CSV row with the wrong number of fields is
refused naming its line.

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

from mlops_desktop.core.errors import DatasetError, DriftError
from mlops_desktop.core.plural import count_noun
from mlops_desktop.datasets import text_files
from mlops_desktop.datasets.csv_dialect import detect_dialect
from mlops_desktop.datasets.readers import json_error_message, open_parquet
from mlops_desktop.datasets.text_files import reason

TABLE_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
FileItem = str | Path | tuple[Path, str]  # a path, or (a path, the name telling its format)
Source = str | Path | Sequence[FileItem]


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
    tables = [_read_file(p, name) for p, name in paths]
    table = tables[0] if len(tables) == 1 else _concat(tables, _name(source))
    if table.num_rows == 0:
        raise DriftError(f"{_name(source)} holds no rows: give a table with data.")
    return Table(table)


def _name(source: Source) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return count_noun(len(source), "file")


def _table_paths(source: Source) -> list[tuple[Path, str]]:
    items: list[FileItem] = [source] if isinstance(source, str | Path) else list(source)
    if not items:
        raise DriftError("No table files were given.")
    paths: list[tuple[Path, str]] = []
    for item in items:
        if isinstance(item, tuple):
            paths.append((Path(item[0]), item[1]))
            continue
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in TABLE_SUFFIXES
            )
            if not found:
                raise DriftError(f"{p} holds no CSV, Parquet or JSON Lines files.")
            paths.extend((f, str(f)) for f in found)
        elif p.exists():
            paths.append((p, str(p)))
        else:
            raise DriftError(f"{p} does not exist: check the path.")
    return paths


def _read_file(path: Path, name: str) -> pa.Table:
    fmt = TABLE_SUFFIXES.get(Path(name).suffix.lower())
    if fmt is None:
        raise DriftError(f"{name} is not a CSV, Parquet or JSON Lines file.")
    try:
        if path.stat().st_size == 0:
            raise DriftError(f"{name} is empty (0 bytes): give a table with data.")
        if fmt == "parquet":
            return open_parquet(path, name).read(use_threads=True)
        if fmt == "jsonl":
            return _read_jsonl(path, name)
        return _read_csv(path, name, fmt)
    except DriftError:
        raise
    except DatasetError as e:
        raise DriftError(str(e)) from None
    except PermissionError:
        raise DriftError(f"{name} cannot be read: permission denied.") from None
    except (pa.ArrowException, OSError, UnicodeDecodeError, ValueError) as e:
        raise DriftError(f"{name} could not be read as {fmt.upper()}: {reason(e)}.") from None


class _Rows:
    """What pyarrow told about bad rows of one read (see ``text_files`` for the hook)."""

    def __init__(self) -> None:
        self.fields: tuple[int, int] | None = None  # (expected, actual) of the first bad row
        self.undecodable_row = False

    def on_invalid_row(self, row: pacsv.InvalidRow) -> str:
        if self.fields is None:
            self.fields = (row.expected_columns, row.actual_columns)
        return "error"

    def note_undecodable_row(self) -> None:
        self.undecodable_row = True


def _first_block(limit: int) -> int:
    return min(16 << 20, limit)


def _read_jsonl(path: Path, name: str) -> pa.Table:
    if text_files.text_encoding(path, name, csv_header=False) != "utf8":
        raise DriftError(f"{name} is not UTF-8 text: save it as UTF-8 JSON Lines.")
    limit = text_files.LINE_LIMIT
    block = _first_block(limit)
    while True:
        read = pajson.ReadOptions(use_threads=True, block_size=block)
        try:
            return pajson.read_json(path, read_options=read)
        except pa.ArrowInvalid as e:
            if "straddling" not in str(e):
                raise DriftError(json_error_message(path, name, e)) from None
            if block >= limit:
                raise text_files.line_too_long(name) from None
            block = min(block * 4, limit)


def _read_csv(path: Path, name: str, fmt: str) -> pa.Table:
    encoding = text_files.text_encoding(path, name)
    dialect = detect_dialect(path, encoding, fmt)
    delimiter = dialect.delimiter
    convert = pacsv.ConvertOptions(decimal_point=dialect.decimal_point)
    text_files.watch_undecodable_rows()
    limit = text_files.LINE_LIMIT
    block = _first_block(limit)
    while True:
        rows = _Rows()
        read = pacsv.ReadOptions(use_threads=True, block_size=block, encoding=encoding)
        parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=rows.on_invalid_row)
        try:
            return pacsv.read_csv(
                path, read_options=read, parse_options=parse, convert_options=convert
            )
        except pa.ArrowInvalid as e:
            msg = str(e)
            if ("invalid UTF8" in msg or rows.undecodable_row) and encoding == "utf8":
                encoding = "latin-1"
            elif "straddling" in msg:
                if block >= limit:
                    raise text_files.line_too_long(name) from None
                block = min(block * 4, limit)
            elif "Empty CSV file" in msg:
                raise DriftError(text_files.no_header_line(name)) from None
            elif rows.fields is not None:
                raise DriftError(_bad_row(path, name, encoding, delimiter, *rows.fields)) from None
            else:
                raise


def _bad_row(
    path: Path, name: str, encoding: str, delimiter: str, expected: int, actual: int
) -> str:
    """The refusal of a row with the wrong number of fields, naming its line when found."""
    line = None
    try:
        with open(path, encoding=encoding.replace("utf8", "utf-8"), errors="replace") as f:
            reader = csv.reader(f, delimiter=delimiter)
            for row in reader:
                if row and len(row) == actual and reader.line_num > 1:
                    line = reader.line_num
                    break
    except csv.Error:
        pass
    where = f" line {line}" if line else " a row"
    return (
        f"{name}{where} has {actual} fields where the header has {expected}; "
        "fix or remove that row."
    )


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
