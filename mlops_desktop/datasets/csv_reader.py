"""CSV and TSV files as streams of table batches (pyarrow), restarted with new options when
the file needs them.

Choices worth knowing:

* CSV text that is not valid UTF-8 is read again as Latin-1 (every byte is a character), with a
  problem note naming the first bad line, rather than refused. A file with a UTF-16/32 byte-order
  mark is read in that encoding; binary data (NUL bytes), a first line longer than 4 MiB and any
  line longer than 16 MiB may be refused (see :mod:`~mlops_desktop.datasets.text_files`).
* The delimiter (",", ";", tab or "|") and a decimal comma are detected from the head of a CSV
  file (see :mod:`~mlops_desktop.datasets.csv_dialect`); a TSV file is always tab-separated.
* CSV rows with the wrong number of fields are skipped and counted in a problem note.
* When a later CSV block does not fit the type guessed from the first block, the column is read
  again as float64 (numbers) or as text, with a problem note.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from mlops_desktop.core.errors import DatasetError
from mlops_desktop.datasets import text_files
from mlops_desktop.datasets.csv_dialect import detect_dialect
from mlops_desktop.datasets.read_state import ReadState, RestartRead, empty_batch

_CONVERSION = re.compile(
    r"In CSV column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'"
)


def open_csv(state: ReadState, f: pa.NativeFile) -> pacsv.CSVStreamingReader:
    read = pacsv.ReadOptions(
        block_size=state.block_size, use_threads=state.threads, encoding=state.encoding
    )
    delimiter = state.delimiter or ("\t" if state.fmt == "tsv" else ",")
    parse = pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=state.on_invalid_row)
    convert = pacsv.ConvertOptions(
        column_types=state.column_types,
        strings_can_be_null=False,
        decimal_point=state.decimal_point,
    )
    return pacsv.open_csv(f, read_options=read, parse_options=parse, convert_options=convert)


def csv_batches(state: ReadState) -> Iterator[pa.RecordBatch]:
    """The batches of a CSV or TSV file; raises RestartRead when the options must change."""
    state.total = state.size
    if not state.sniffed:
        state.encoding = text_files.text_encoding(state.path, state.rel)
        state.block_size = min(state.block_size, text_files.LINE_LIMIT)
        dialect = detect_dialect(state.path, state.encoding, state.fmt, state.delimiter)
        state.delimiter, state.decimal_point = dialect.delimiter, dialect.decimal_point
        state.sniffed = True
    text_files.watch_undecodable_rows()
    with pa.OSFile(str(state.path)) as f:
        try:
            reader = open_csv(state, f)
            if state.encoding == "utf8" and any(pa.types.is_binary(t) for t in reader.schema.types):
                _fall_back_to_latin1(state)
            empty = True
            for batch in reader:
                state.done = min(f.tell(), state.size)
                empty = False
                yield batch
            if empty:
                yield empty_batch(reader.schema)
        except pa.ArrowInvalid as e:
            _handle_csv_error(state, e, reader.schema if "reader" in locals() else None)


def _handle_csv_error(state: ReadState, e: pa.ArrowInvalid, schema: pa.Schema | None) -> None:
    msg = str(e)
    if ("invalid UTF8" in msg or state.undecodable_row) and state.encoding == "utf8":
        _fall_back_to_latin1(state)
    if "straddling" in msg:
        grow_block(state)
    m = _CONVERSION.search(msg)
    if m and schema is not None:
        name = schema.names[int(m.group(1))]
        value = m.group(3)
        new_type = pa.float64() if _is_number(value) else pa.string()
        if state.column_types.get(name) != new_type:
            state.column_types[name] = new_type
            kind = "numbers (float64)" if new_type == pa.float64() else "text"
            state.problems.append(
                f"{state.rel}: column {name!r} was read as {kind} because a later row "
                f"holds {value!r}."
            )
            raise RestartRead
    if "Empty CSV file" in msg:
        raise DatasetError(text_files.no_header_line(state.rel))
    raise DatasetError(
        f"{state.rel} could not be read as {state.fmt.upper()}: {text_files.reason(e)}."
    )


def grow_block(state: ReadState) -> None:
    """Read again with bigger blocks after a line did not fit in one; refuse past the limit."""
    if state.block_size >= text_files.LINE_LIMIT:
        raise text_files.line_too_long(state.rel)
    state.block_size = min(state.block_size * 4, text_files.LINE_LIMIT)
    raise RestartRead


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fall_back_to_latin1(state: ReadState) -> None:
    line = first_non_utf8_line(state.path)
    where = f" (first at line {line})" if line else ""
    state.problems.append(
        f"{state.rel} is not valid UTF-8 text{where}; it was read as Latin-1, so some characters "
        "may look wrong. Save it as UTF-8 to fix this."
    )
    state.encoding = "latin-1"
    state.undecodable_row = False
    raise RestartRead


def first_non_utf8_line(path: Path, chunk: int = 8 << 20) -> int | None:
    """The 1-based line of the first byte that is not valid UTF-8, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with open(path, "rb") as f:
        while data := f.read(chunk):
            try:
                decoder.decode(data)
            except UnicodeDecodeError as e:
                return lines + data.count(b"\n", 0, max(e.start, 0))
            lines += data.count(b"\n")
    return None
