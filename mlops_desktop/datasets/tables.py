"""Tabular side of the dataset engine: what kind a dataset is, profiles, previews and diffs.

Formats: CSV, TSV, Parquet, JSON Lines, NumPy ``.npy``/``.npz`` (never unpickled). Every read
streams (pyarrow blocks of about 8 MB, Parquet batches, memory-mapped arrays) so memory stays
bounded; every bad input is a :class:`~mlops_desktop.core.errors.DatasetError` with a sentence
a person can act on. See :mod:`.readers` for the choices made on odd CSV input.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from mlops_desktop.core.datasets import TableProfile
from mlops_desktop.core.errors import DatasetError
from mlops_desktop.datasets.preview import preview_table
from mlops_desktop.datasets.profile import TableProfiler
from mlops_desktop.datasets.read_state import ReadState
from mlops_desktop.datasets.readers import check_readable, scan, table_format
from mlops_desktop.datasets.tablediff import diff_tables

__all__ = ["dataset_kind", "diff_tables", "preview_table", "profile_table", "table_format"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})


def dataset_kind(rel_paths: list[str]) -> str:
    """The kind of a dataset from its files' names.

    "table" if any file is CSV, TSV, Parquet or JSON Lines; else "images" if most files are
    images; else "arrays" if any is ``.npy``/``.npz``; else "files".
    """
    formats = {table_format(p) for p in rel_paths}
    if formats & {"csv", "tsv", "parquet", "jsonl"}:
        return "table"
    images = sum(1 for p in rel_paths if PurePosixPath(p).suffix.lower() in IMAGE_SUFFIXES)
    if rel_paths and images * 2 > len(rel_paths):
        return "images"
    if formats & {"npy", "npz"}:
        return "arrays"
    return "files"


def profile_table(
    path: Path,
    rel: str,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TableProfile:
    """Profile every column of one table file in a single streaming pass.

    Args:
        path: the file to read.
        rel: its name for messages and the result (path relative to the dataset root).
        progress: called after each block with (done, total, message); done/total are bytes
            for text formats and rows for Parquet and NumPy files.
        cancelled: polled after each block; when it returns True, OperationCancelled is raised.

    Returns:
        The profile; an empty (0-byte) file gives 0 rows, no columns and a problem note.

    Raises:
        DatasetError: the file cannot be read or is not a valid table (the message says why).
        OperationCancelled: ``cancelled()`` returned True.
    """
    start = time.perf_counter()
    path = Path(path)
    fmt = table_format(rel) or table_format(path)
    if fmt is None:
        raise DatasetError(
            f"{rel} is not a table file (CSV, TSV, Parquet, JSON Lines, .npy, .npz)."
        )
    state = ReadState(path=path, rel=rel, fmt=fmt, size=check_readable(path, rel))
    if state.size == 0:
        return TableProfile(
            path=rel,
            format=fmt,
            rows=0,
            columns=[],
            seconds=0.0,
            problems=[f"{rel} is empty (0 bytes)."],
        )
    profiler = TableProfiler()
    scan(state, profiler, progress, cancelled)
    columns = profiler.results()
    rows = max((c.count for c in columns), default=0)
    return TableProfile(
        path=rel,
        format=fmt,
        rows=rows,
        columns=columns,
        seconds=time.perf_counter() - start,
        problems=list(state.problems),
    )
