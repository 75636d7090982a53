"""Reading a monitor's tables: files and dataset versions, through ``monitoring.drift``.

Every reader here turns a failure into one sentence instead of raising, so a bad file becomes
a window with a problem and the monitor goes on.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa

from mlops_desktop.core.errors import UserFacingError


def as_arrow(table: Any) -> pa.Table:
    """``monitoring.drift.read_table``'s result as a pyarrow table."""
    if isinstance(table, pa.Table):
        return table
    for attr in ("to_arrow", "arrow"):
        value = getattr(table, attr, None)
        if callable(value):
            return value()  # type: ignore[no-any-return]
        if isinstance(value, pa.Table):
            return value
    raise TypeError(f"cannot use a {type(table).__name__} as a table")


def as_drift_table(table: pa.Table) -> Any:
    """A pyarrow table as ``monitoring.drift``'s Table."""
    from mlops_desktop.monitoring import drift

    return drift.Table(table)


def _sentence(what: str, e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if isinstance(e, UserFacingError):
        return text
    return f"{what} cannot be read: {text.rstrip('.')}."


def read_file(path: Path, label: str | None = None) -> tuple[pa.Table | None, str | None]:
    """The table in ``path``, or None and why (unreadable, empty)."""
    from mlops_desktop.monitoring import drift

    label = label or path.name
    try:
        table = as_arrow(drift.read_table(path))
    except Exception as e:  # noqa: BLE001 - any reader failure is the file's problem
        return None, _sentence(label, e)
    if table.num_rows == 0:
        return None, f"{label} has no rows."
    return table, None


def dataset_version_table(
    datasets: Any, name: str, version: str | None
) -> tuple[pa.Table | None, str | None]:
    """The table files of a dataset version, one table (columns of the first file; files of
    another schema are a problem), or None and why."""
    from mlops_desktop.datasets.readers import table_format
    from mlops_desktop.services.dataset_sources import FileLocator

    try:
        _, found, entries = datasets._version_and_files(name, version)
    except UserFacingError as e:
        return None, str(e)
    label = f"{name}@{found.version}"
    tables = [e for e in entries if table_format(e.path) in ("csv", "tsv", "parquet", "jsonl")]
    if not tables:
        return None, f"{label} has no table files (CSV, TSV, Parquet, JSON Lines)."
    locator = FileLocator(datasets._read_store())
    parts: list[pa.Table] = []
    for entry in sorted(tables, key=lambda e: e.path):
        readable = locator.readable(found, entry)
        if readable is None:
            return None, locator.problem(found, entry, "its drift").capitalize() + "."
        with tempfile.TemporaryDirectory(prefix="mlops-monitor-") as tmp:
            link = _named(readable, entry.path, Path(tmp))
            table, problem = read_file(link, f"{label}/{entry.path}")
        if table is None:
            return None, problem
        parts.append(table)
    try:
        return pa.concat_tables(parts, promote_options="permissive"), None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None, f"The table files of {label} do not share their columns."


def _named(blob: Path, rel: str, folder: Path) -> Path:
    """``blob`` under a name with the suffix of ``rel`` in ``folder`` (readers look at the
    suffix)."""
    suffix = Path(rel).suffix
    if blob.suffix == suffix:
        return blob
    link = folder / (Path(rel).stem + suffix)
    try:
        link.symlink_to(blob)
    except OSError:
        shutil.copyfile(blob, link)
    return link
