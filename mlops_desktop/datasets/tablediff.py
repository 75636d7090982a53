"""Differences between two versions of one table file: rows, columns and column statistics.

Rows are compared as a multiset of 64-bit row hashes over the columns present in **both**
versions (so a column added or removed does not make every row "changed"; a value changed in a
shared column counts as one row removed and one added). A column whose type changed between two
numeric types is hashed as float64 in both versions; any other type change compares the values
as text. Memory: 8 bytes per row of each version for the hashes, plus one batch at a time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from mlops_desktop.core.datasets import ColumnChange, ColumnProfile, TableDiff, TableProfile
from mlops_desktop.datasets.profile import TableProfiler
from mlops_desktop.datasets.read_state import ReadState
from mlops_desktop.datasets.readers import check_readable, scan, table_format
from mlops_desktop.datasets.rowhash import row_hashes

MEAN_SHIFT = 0.1  # of the old std (or of |old mean| when the std is 0)
STD_CHANGE = 0.1  # relative
MISSING_CHANGE = 0.01  # absolute share (one percentage point)
DISTINCT_CHANGE = 0.1  # relative


class _RowHashSink:
    """Collects row hashes over chosen columns and, optionally, profiles the same batches."""

    def __init__(
        self, columns: list[str], modes: dict[str, str], profiler: TableProfiler | None
    ) -> None:
        self.columns, self.modes, self.profiler = columns, modes, profiler
        self.reset()

    def reset(self) -> None:
        self.parts: list[np.ndarray] = []
        self.rows = 0
        if self.profiler is not None:
            self.profiler.reset()

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        self.parts.append(row_hashes(batch, self.columns, self.modes))
        if self.profiler is not None:
            self.profiler.add(batch)

    def hashes(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.empty(0, dtype=np.uint64)


def _schema(path: Path, rel: str, profile: TableProfile | None) -> dict[str, str]:
    if profile is not None:
        return {c.name: c.type for c in profile.columns}
    from mlops_desktop.datasets.preview import read_head

    batch, _total = read_head(path, rel, 1)
    return {name: str(t) for name, t in zip(batch.schema.names, batch.schema.types, strict=True)}


def _numeric(type_name: str) -> bool:
    return type_name.startswith(("int", "uint", "float", "double", "decimal", "halffloat"))


def _hash_file(
    path: Path, rel: str, columns: list[str], modes: dict[str, str], need_profile: bool
) -> tuple[np.ndarray, int, TableProfile | None]:
    """(row hashes, rows, and the file's profile when ``need_profile``) of one table file."""
    fmt = table_format(rel) or table_format(path) or "csv"
    state = ReadState(path=path, rel=rel, fmt=fmt, size=check_readable(path, rel))
    sink = _RowHashSink(columns, modes, TableProfiler() if need_profile else None)
    if state.size:
        scan(state, sink)
    profile = None
    if sink.profiler is not None:
        cols = sink.profiler.results()
        profile = TableProfile(
            path=rel, format=fmt, rows=sink.rows, columns=cols, problems=state.problems
        )
    return sink.hashes(), sink.rows, profile


def multiset_changes(old: np.ndarray, new: np.ndarray) -> tuple[int, int]:
    """(added, removed) between two multisets of row hashes."""
    uo, co = np.unique(old, return_counts=True)
    un, cn = np.unique(new, return_counts=True)
    _, io, in_ = np.intersect1d(uo, un, assume_unique=True, return_indices=True)
    common = int(np.minimum(co[io], cn[in_]).sum())
    return len(new) - common, len(old) - common


def stats_changes(old: ColumnProfile, new: ColumnProfile) -> dict[str, tuple[object, object]]:
    """The notable changes of one column's statistics, as ``{stat: (old, new)}``."""
    out: dict[str, tuple[object, object]] = {}
    if abs(new.missing_share - old.missing_share) >= MISSING_CHANGE:
        out["missing_share"] = (old.missing_share, new.missing_share)
    if old.mean is not None and new.mean is not None:
        scale = old.std or abs(old.mean) or 1.0
        if abs(new.mean - old.mean) > MEAN_SHIFT * scale:
            out["mean"] = (old.mean, new.mean)
    if old.std is not None and new.std is not None:
        grew_from_zero = old.std == 0 and new.std > 0
        if grew_from_zero or (old.std > 0 and abs(new.std / old.std - 1) > STD_CHANGE):
            out["std"] = (old.std, new.std)
    old_d, new_d = old.distinct, new.distinct
    if (
        old_d is not None
        and new_d is not None
        and abs(new_d - old_d) > max(1, DISTINCT_CHANGE * old_d)
    ):
        out["distinct"] = (old_d, new_d)
    return out


def diff_tables(
    old_path: Path,
    new_path: Path,
    rel: str,
    old_profile: TableProfile | None = None,
    new_profile: TableProfile | None = None,
) -> TableDiff:
    """Rows added/removed (multiset of row hashes) and column changes between two versions.

    The given profiles supply column types and statistics; missing ones are computed in the
    same pass that hashes the rows. Raises DatasetError when a version cannot be read.
    """
    old_types = _schema(Path(old_path), rel, old_profile)
    new_types = _schema(Path(new_path), rel, new_profile)
    shared = [name for name in old_types if name in new_types]
    modes: dict[str, str] = {}
    for name in shared:
        if old_types[name] != new_types[name]:
            both_numeric = _numeric(old_types[name]) and _numeric(new_types[name])
            modes[name] = "float" if both_numeric else "text"
    old_h, rows_old, old_p = _hash_file(Path(old_path), rel, shared, modes, old_profile is None)
    new_h, rows_new, new_p = _hash_file(Path(new_path), rel, shared, modes, new_profile is None)
    old_profile = old_profile or old_p
    new_profile = new_profile or new_p
    added, removed = multiset_changes(old_h, new_h)
    changes = [
        ColumnChange(column=n, change="removed", old_type=t)
        for n, t in old_types.items()
        if n not in new_types
    ]
    changes += [
        ColumnChange(column=n, change="added", new_type=t)
        for n, t in new_types.items()
        if n not in old_types
    ]
    changes += [
        ColumnChange(column=n, change="retyped", old_type=old_types[n], new_type=new_types[n])
        for n in shared
        if old_types[n] != new_types[n]
    ]
    if old_profile is not None and new_profile is not None:
        new_cols = {c.name: c for c in new_profile.columns}
        for col in old_profile.columns:
            other = new_cols.get(col.name)
            if other is None:
                continue
            stats = stats_changes(col, other)
            if stats:
                changes.append(ColumnChange(col.name, "stats", col.type, other.type, stats))
    return TableDiff(
        path=rel,
        rows_old=rows_old,
        rows_new=rows_new,
        rows_added=added,
        rows_removed=removed,
        columns=changes,
    )
