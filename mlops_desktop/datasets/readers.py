"""Streaming readers of table files: CSV/TSV, Parquet, JSON Lines (pyarrow) and NumPy arrays.

Every reader turns a file into a stream of ``pyarrow.RecordBatch`` handed to a :class:`BatchSink`
and never holds the whole file in memory. Each bad input becomes a
:class:`~mlops_desktop.core.errors.DatasetError` whose message names the file and says what to
do; nothing here raises a bare pyarrow or NumPy error.

CSV and TSV are read by :mod:`~mlops_desktop.datasets.csv_reader`, NumPy arrays by
:mod:`~mlops_desktop.datasets.arrays`; Parquet and JSON Lines here.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from mlops_desktop.core.errors import DatasetError, OperationCancelled
from mlops_desktop.core.plural import count_noun
from mlops_desktop.datasets import text_files
from mlops_desktop.datasets.arrays import npy_batches, npz_batches
from mlops_desktop.datasets.csv_reader import csv_batches, grow_block
from mlops_desktop.datasets.read_state import Progress, ReadState, RestartRead, empty_batch
from mlops_desktop.datasets.text_files import reason

BATCH_ROWS = 65_536  # rows per Parquet batch

_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".npy": "npy",
    ".npz": "npz",
}


def table_format(path: str | Path) -> str | None:
    """The table format of a file by its suffix, or None when it is not a table."""
    return _FORMATS.get(Path(path).suffix.lower())


class BatchSink(Protocol):
    """Receives the batches of one read; ``reset`` starts over when the read restarts."""

    def reset(self) -> None: ...

    def add(self, batch: pa.RecordBatch) -> None: ...


def check_readable(path: Path, rel: str) -> int:
    """The file's size; a DatasetError when it is gone, a folder or not readable."""
    try:
        st = os.stat(path)
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise DatasetError(f"{rel} has disappeared: it was moved or deleted.") from None
    except PermissionError:
        raise DatasetError(
            f"{rel} cannot be read: permission denied (check its permissions)."
        ) from None
    except IsADirectoryError:
        raise DatasetError(f"{rel} is a folder, not a table file.") from None
    except OSError as e:
        raise DatasetError(f"{rel} cannot be read: {e.strerror or e}.") from None
    return st.st_size


def scan(
    state: ReadState,
    sink: BatchSink,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Stream every batch of ``state.path`` into ``sink`` (restarting it when a retry is needed)."""
    for _attempt in range(50):
        sink.reset()
        state.done, state.bad_rows, state.first_bad_line = 0, 0, None
        try:
            for batch in prefetch(iter_batches(state)):
                if cancelled is not None and cancelled():
                    raise OperationCancelled(f"Reading {state.rel} was cancelled.")
                sink.add(batch)
                if progress is not None:
                    progress(state.done, state.total, f"Reading {state.rel}")
        except RestartRead:
            continue
        if state.bad_rows:
            where = f" (first at line {state.first_bad_line})" if state.first_bad_line else ""
            state.problems.append(
                f"{state.rel}: {count_noun(state.bad_rows, 'row')} with the wrong number of fields "
                f"were skipped{where}."
            )
        return
    raise DatasetError(
        f"{state.rel} could not be read: its column types keep changing between blocks."
    )


def prefetch(batches: Iterator[pa.RecordBatch], depth: int = 2) -> Iterator[pa.RecordBatch]:
    """Read the next batches on a worker thread while the caller works on the current one."""
    slots: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        slots.put(("batch", batch), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(("end", None))
        except BaseException as e:  # handed to the consumer, raised there
            slots.put(("error", e))

    worker = threading.Thread(target=produce, name="table-reader", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise item  # type: ignore[misc]
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                slots.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)
        batches.close()  # type: ignore[attr-defined]


def iter_batches(state: ReadState) -> Iterator[pa.RecordBatch]:
    """The batches of the file; may raise ``RestartRead`` (CSV) or DatasetError."""
    fmt = state.fmt
    try:
        if fmt in ("csv", "tsv"):
            yield from csv_batches(state)
        elif fmt == "parquet":
            yield from _parquet_batches(state)
        elif fmt == "jsonl":
            yield from _json_batches(state)
        elif fmt == "npy":
            yield from npy_batches(state.path, state.rel, state)
        elif fmt == "npz":
            yield from npz_batches(state.path, state.rel, state)
        else:
            raise DatasetError(f"{state.rel} is not a table file this app can read.")
    except (DatasetError, OperationCancelled, RestartRead):
        raise
    except FileNotFoundError:
        raise DatasetError(f"{state.rel} disappeared while it was read.") from None
    except PermissionError:
        raise DatasetError(
            f"{state.rel} cannot be read: permission denied (check its permissions)."
        ) from None
    except (pa.ArrowException, OSError, ValueError) as e:
        raise DatasetError(
            f"{state.rel} could not be read as {fmt.upper()}: {reason(e)}."
        ) from None


def _parquet_batches(state: ReadState) -> Iterator[pa.RecordBatch]:
    pf = open_parquet(state.path, state.rel)
    state.total = pf.metadata.num_rows
    empty = True
    for batch in pf.iter_batches(batch_size=BATCH_ROWS):
        state.done += batch.num_rows
        empty = False
        yield batch
    if empty:
        yield empty_batch(pf.schema_arrow)


def open_parquet(path: Path, rel: str) -> pq.ParquetFile:
    """Open a Parquet file, with a clear message when it is cut short or not Parquet."""
    try:
        return pq.ParquetFile(str(path))
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as e:
        if isinstance(e, FileNotFoundError | PermissionError):
            raise
        why = "" if "magic bytes" in str(e) else f": {reason(e)}"
        raise DatasetError(
            f"{rel} is not a complete Parquet file (it may have been cut short, or it is not "
            f"Parquet at all){why}."
        ) from None


def _json_batches(state: ReadState) -> Iterator[pa.RecordBatch]:
    state.total = state.size
    if not state.sniffed:
        if text_files.text_encoding(state.path, state.rel, csv_header=False) != "utf8":
            raise DatasetError(f"{state.rel} is not UTF-8 text: save it as UTF-8 JSON Lines.")
        state.block_size = min(state.block_size, text_files.LINE_LIMIT)
        state.sniffed = True
    with pa.OSFile(str(state.path)) as f:
        try:
            reader = pajson.open_json(
                f, read_options=pajson.ReadOptions(block_size=state.block_size)
            )
            for batch in reader:
                state.done = min(f.tell(), state.size)
                yield batch
        except pa.ArrowInvalid as e:
            if "straddling" in str(e):
                grow_block(state)
            raise DatasetError(json_error_message(state.path, state.rel, e)) from None


def json_error_message(path: Path, rel: str, e: Exception) -> str:
    """Find the first line that is not a JSON object, to name it; else pyarrow's reason."""
    for number, raw in text_files.bounded_lines(path, rel):
        if not raw.strip():
            continue
        value, why = text_files.parse_json_line(raw)
        if why is not None:
            return f"{rel} line {number} is not valid JSON ({why}); fix or remove that line."
        if not isinstance(value, dict):
            return (
                f"{rel} line {number} is not a JSON object; each line must be one {{...}} record."
            )
    return f"{rel} could not be read as JSON Lines: {reason(e)}."
