"""What one streaming read of a table file knows, shared by the readers of each format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

BLOCK_SIZE = 8 << 20  # bytes per CSV / JSON block

Progress = Callable[[int, int, str], None]


@dataclass
class ReadState:
    """What one read learned: notes for the person, progress and CSV retry options."""

    path: Path
    rel: str
    fmt: str
    size: int = 0
    done: int = 0  # bytes (text formats) or rows (others) read so far
    total: int = 0
    problems: list[str] = field(default_factory=list)
    encoding: str = "utf8"
    block_size: int = BLOCK_SIZE
    threads: bool = True
    column_types: dict[str, pa.DataType] = field(default_factory=dict)
    bad_rows: int = 0
    first_bad_line: int | None = None
    sniffed: bool = False  # the encoding was chosen and the head of the file checked
    undecodable_row: bool = False  # an invalid row was not UTF-8 (see text_files)
    delimiter: str | None = None  # CSV: given by the caller, else detected (csv_dialect)
    decimal_point: str = "."  # CSV: "," for numbers written "7,4" (detected)

    def on_invalid_row(self, row: pacsv.InvalidRow) -> str:
        self.bad_rows += 1
        if self.first_bad_line is None and row.number is not None:
            self.first_bad_line = row.number
        return "skip"

    def note_undecodable_row(self) -> None:
        self.undecodable_row = True


class RestartRead(Exception):
    """The read must start again with changed options (already stored in the state)."""


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A batch with the schema's columns and no rows."""
    return pa.RecordBatch.from_arrays([pa.array([], type=t) for t in schema.types], schema=schema)
