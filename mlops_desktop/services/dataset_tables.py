"""The table files of registered dataset versions: row and schema diffs, profiles (computed
once and cached in the catalog) and previews, read from the snapshot store or from sources
that still hold the recorded bytes.

Used by :class:`~mlops_desktop.services.datasets.DatasetService`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.catalog import dataset_repo
from mlops_desktop.core.datasets import DatasetDiff, TablePreview, TableProfile
from mlops_desktop.core.errors import DatasetError
from mlops_desktop.core.profile_codec import profile_from_json, profile_to_json
from mlops_desktop.services.dataset_sources import FileLocator

if TYPE_CHECKING:
    from mlops_desktop.services.datasets import Cancelled, DatasetService, Progress


def diff_versions(service: DatasetService, name: str, old: str, new: str) -> DatasetDiff:
    """Files added, removed and changed from ``old`` to ``new``, and row and schema changes
    of the table files changed between them."""
    from mlops_desktop.datasets.tables import diff_tables, table_format

    old_id, old_v, old_files = service._version_and_files(name, old)
    new_id, new_v, new_files = service._version_and_files(name, new)
    before = {e.path: e for e in old_files}
    after = {e.path: e for e in new_files}
    changed = sorted(p for p in before.keys() & after.keys() if before[p].hash != after[p].hash)
    tables, problems = [], []
    locator = FileLocator(service._read_store())
    for rel in changed:
        if table_format(rel) is None:
            continue
        old_path = locator.readable(old_v, before[rel])
        new_path = locator.readable(new_v, after[rel])
        if old_path is None or new_path is None:
            missing = (old_v, before[rel]) if old_path is None else (new_v, after[rel])
            problems.append(locator.problem(*missing, "row changes"))
            continue
        try:
            tables.append(
                diff_tables(
                    old_path,
                    new_path,
                    rel,
                    old_profile=_cached_profile(service, old_id, rel),
                    new_profile=_cached_profile(service, new_id, rel),
                )
            )
        except DatasetError as exc:
            problems.append(f"{rel}: {exc}")
    return DatasetDiff(
        dataset=name,
        old=old_v.version,
        new=new_v.version,
        added=sorted(after.keys() - before.keys()),
        removed=sorted(before.keys() - after.keys()),
        changed=changed,
        tables=tables,
        problems=problems,
    )


def profiles(
    service: DatasetService,
    name: str,
    version: str | None,
    path: str | None,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> list[TableProfile]:
    """Profiles of the version's table files (or of the one at ``path``), cached once computed.

    Raises:
        DatasetError: ``path`` is no table file of the version, or cannot be read.
    """
    from mlops_desktop.datasets.tables import profile_table, table_format

    vid, found, entries = service._version_and_files(name, version)
    if path is not None:
        entries = [e for e in entries if e.path == path]
        if not entries:
            raise DatasetError(f"{name}@{found.version} has no file {path!r}.")
        if table_format(path) is None:
            raise DatasetError(f"{path} is not a table (CSV, TSV, Parquet, JSON Lines, NumPy).")
    tables = [e for e in entries if table_format(e.path) is not None]
    locator = FileLocator(service._read_store())
    out: list[TableProfile] = []
    for e in tables:
        cached = _cached_profile(service, vid, e.path)
        if cached is not None:
            out.append(cached)
            continue
        readable = locator.readable(found, e)
        if readable is None:
            problem = locator.problem(found, e, "its profile")
            if path is not None:
                raise _unreadable(problem)
            out.append(TableProfile(e.path, table_format(e.path) or "", 0, [], 0.0, [problem]))
            continue
        prof = profile_table(readable, e.path, progress=progress, cancelled=cancelled)
        if service.catalog.access.writable:  # a read-only member sees it, uncached
            with service.catalog.session_scope(write=True) as s:
                dataset_repo.store_profile(s, vid, e.path, profile_to_json(prof))
        out.append(prof)
    return out


def preview(
    service: DatasetService, name: str, version: str | None, path: str, rows: int
) -> TablePreview:
    """The first ``rows`` rows of the table file ``path`` of a version.

    Raises:
        DatasetError: the version has no such file, or it cannot be read.
    """
    from mlops_desktop.datasets.tables import preview_table

    _, found, entries = service._version_and_files(name, version)
    entry = next((e for e in entries if e.path == path), None)
    if entry is None:
        raise DatasetError(f"{name}@{found.version} has no file {path!r}.")
    locator = FileLocator(service._read_store())
    readable = locator.readable(found, entry)
    if readable is None:
        raise _unreadable(locator.problem(found, entry, "a preview"))
    return preview_table(readable, path, rows=rows)


def table_files(service: DatasetService, name: str, version: str | None) -> list[tuple[Path, str]]:
    """The version's CSV, TSV, Parquet and JSON Lines files in path order: (a readable path,
    the file's path in the dataset). A snapshot's path has no suffix: the name tells the format.

    Raises:
        DatasetError: the version has no such file, or one cannot be read any more.
    """
    from mlops_desktop.datasets.tables import table_format

    _, found, entries = service._version_and_files(name, version)
    tables = sorted(
        (e for e in entries if table_format(e.path) in ("csv", "tsv", "parquet", "jsonl")),
        key=lambda e: e.path,
    )
    if not tables:
        raise DatasetError(f"{name}@{found.version} holds no CSV, Parquet or JSON Lines files.")
    locator = FileLocator(service._read_store())
    paths = []
    for e in tables:
        readable = locator.readable(found, e)
        if readable is None:
            raise _unreadable(locator.problem(found, e, "its rows"))
        paths.append((Path(readable), e.path))
    return paths


def _cached_profile(service: DatasetService, version_id: int, rel: str) -> TableProfile | None:
    with service.catalog.session_scope() as s:
        payload = dataset_repo.cached_profile(s, version_id, rel)
    return None if payload is None else profile_from_json(payload)


def _unreadable(problem: str) -> DatasetError:
    """The error of a :meth:`FileLocator.problem` sentence, as a sentence of its own."""
    return DatasetError(problem[0].upper() + problem[1:] + ".")
