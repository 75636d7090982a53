"""Dataclasses for datasets, their versions, manifests, diffs and profiles. No Qt, no SQL.

A version's fingerprint is ``blake3:<hex>`` over its sorted manifest (see
:func:`mlops_desktop.datasets.manifest.fingerprint`); a file's hash is ``<hex>`` of BLAKE3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One file of a version: path relative to the registered root (POSIX separators)."""

    path: str
    size: int
    hash: str  # BLAKE3 hex of the file's bytes


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One version of a dataset.

    Attributes:
        dataset: the dataset's name.
        version: "v1", "v2", ...
        number: 1, 2, ...
        fingerprint: "blake3:<hex>" over the manifest.
        files: number of files; bytes: their total size.
        source_path: the absolute file or folder the version was registered from.
        snapshot: whether its files are copied into the content-addressed store (restorable).
        user: the OS user who added it; host: the machine it was added on (None: not
            recorded, a version older than the catalog's record of who did what).
    """

    dataset: str
    version: str
    number: int
    fingerprint: str
    files: int
    bytes: int
    created_at: float
    message: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    source_path: str = ""
    snapshot: bool = False
    user: str | None = None
    host: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """One row of the datasets list."""

    name: str
    latest: str | None  # "v3"
    versions: int
    bytes: int  # of the latest version
    files: int  # of the latest version
    updated_at: float | None
    source_path: str = ""
    kind: str = "files"  # "table", "images", "arrays" or "files", from the latest version


@dataclass(frozen=True, slots=True)
class AddResult:
    """What ``data add`` did."""

    dataset: str
    version: str
    fingerprint: str
    files: int
    bytes: int
    new_version: bool  # False when the content equals the latest version's
    skipped: list[str] = field(default_factory=list)  # one sentence per unreadable file
    hashed_bytes: int = 0  # bytes actually read (the rest came from the stat cache)
    seconds: float = 0.0
    user: str | None = None  # who added the version (an unchanged one: who added it first)
    host: str | None = None  # on which machine


@dataclass(frozen=True, slots=True)
class ColumnChange:
    """How one column of a table changed between two versions."""

    column: str
    change: str  # "added", "removed", "retyped", "stats"
    old_type: str | None = None
    new_type: str | None = None
    stats: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # stat: (old, new)


@dataclass(frozen=True, slots=True)
class TableDiff:
    """Row and schema changes of one table file present in both versions."""

    path: str
    rows_old: int
    rows_new: int
    rows_added: int
    rows_removed: int
    columns: list[ColumnChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DatasetDiff:
    """What changed from ``old`` to ``new`` (``data diff N V1 V2``)."""

    dataset: str
    old: str
    new: str
    added: list[str]
    removed: list[str]
    changed: list[str]
    tables: list[TableDiff] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """Statistics of one column.

    ``histogram`` is ``(bin_edges, counts)`` for numeric columns; ``top`` lists
    ``(value, count)`` of the most frequent values for the others.
    """

    name: str
    type: str  # "int64", "float64", "string", "bool", "timestamp", ...
    kind: str  # "numeric", "categorical", "text", "boolean", "temporal", "other"
    count: int
    missing: int
    distinct: int | None
    min: Any = None
    max: Any = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)  # "p05", "p25", "p50", ...
    histogram: tuple[list[float], list[int]] | None = None
    top: list[tuple[str, int]] = field(default_factory=list)

    @property
    def missing_share(self) -> float:
        return self.missing / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class TableProfile:
    """Profile of one tabular file of a version."""

    path: str
    format: str  # "csv", "tsv", "parquet", "jsonl", "npy", "npz"
    rows: int
    columns: list[ColumnProfile]
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TablePreview:
    """The first rows of a table, as strings ready to show."""

    path: str
    columns: list[str]
    types: list[str]
    rows: list[list[str]]
    total_rows: int | None = None  # None when unknown without a full read


@dataclass(frozen=True, slots=True)
class DatasetUse:
    """One run that used a version."""

    run_id: str
    run_name: str
    experiment: str
    status: str
    started_at: float
    dataset: str
    version: str | None
