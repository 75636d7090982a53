"""Repositories of datasets: versions, their files, cached profiles and the runs that used them.

Every function takes an open session (``Catalog.session_scope``) and returns core dataclasses,
never ORM rows. :func:`register_version` must run in a write session: it allocates the next
version number while holding the dataset's row lock (``BEGIN IMMEDIATE`` on SQLite,
``SELECT ... FOR UPDATE`` on PostgreSQL), so two processes adding at once get v1 and v2.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.dataset_schema import (
    dataset_file_t,
    dataset_profile_t,
    dataset_t,
    dataset_version_t,
)
from mlops_desktop.catalog.schema import experiment_t, run_input_t, run_t
from mlops_desktop.catalog.shared_queries import insert_batched, lock_named
from mlops_desktop.catalog.upsert import upsert
from mlops_desktop.core.catalog_changes import DATASET_VERSION
from mlops_desktop.core.datasets import DatasetSummary, DatasetUse, DatasetVersion, ManifestEntry
from mlops_desktop.core.errors import DatasetNotFound

_VERSION_RE = re.compile(r"^[vV]?(\d+)$")
FILE_BATCH = 20_000  # rows per executemany when writing a version's files

_V = dataset_version_t.c


def version_label(number: int) -> str:
    return f"v{number}"


def parse_version(text: str | int | None) -> int | None:
    """The number of ``"v2"``, ``"2"`` or ``2``; None for ``"latest"``, ``""`` or None.

    Raises:
        DatasetNotFound: the text is not a version.
    """
    if text is None or isinstance(text, int):
        return text
    text = text.strip()
    if text in ("", "latest"):
        return None
    match = _VERSION_RE.match(text)
    if not match:
        raise DatasetNotFound(f"{text!r} is not a version: give v1, v2, ... or latest.")
    return int(match.group(1))


def dataset_id(s: Session, name: str) -> int | None:
    return s.execute(select(dataset_t.c.id).where(dataset_t.c.name == name)).scalar()


def _no_dataset(name: str) -> DatasetNotFound:
    return DatasetNotFound(f"No dataset is named {name!r}. `mlops-desktop data list` shows them.")


def _version(row: Row[Any], name: str) -> DatasetVersion:
    tags = row.tags if isinstance(row.tags, dict) else {}
    return DatasetVersion(
        dataset=name,
        version=version_label(row.number),
        number=int(row.number),
        fingerprint=row.fingerprint,
        files=int(row.files),
        bytes=int(row.bytes),
        created_at=float(row.created_at),
        message=row.message or "",
        tags={str(k): str(v) for k, v in tags.items()},
        source_path=row.source_path or "",
        snapshot=bool(row.snapshot),
        user=row.user,
        host=row.host,
    )


def _versions_query(ds_id: int) -> Any:
    return select(dataset_version_t).where(_V.dataset_id == ds_id).order_by(_V.number.desc())


def find_version(s: Session, name: str, number: int | None) -> tuple[int, DatasetVersion]:
    """(row id, version) of ``name`` at ``number`` (None: the latest).

    Raises:
        DatasetNotFound: no such dataset, or no such version of it.
    """
    ds_id = dataset_id(s, name)
    if ds_id is None:
        raise _no_dataset(name)
    query = _versions_query(ds_id)
    if number is not None:
        query = query.where(_V.number == number)
    row = s.execute(query.limit(1)).first()
    if row is None:
        what = "no versions" if number is None else f"no version v{number}"
        raise DatasetNotFound(f"Dataset {name!r} has {what}.")
    return int(row.id), _version(row, name)


def latest_version(s: Session, name: str) -> DatasetVersion | None:
    ds_id = dataset_id(s, name)
    if ds_id is None:
        return None
    row = s.execute(_versions_query(ds_id).limit(1)).first()
    return None if row is None else _version(row, name)


def list_versions(s: Session, name: str) -> list[DatasetVersion]:
    """Versions of ``name``, newest first (raises DatasetNotFound)."""
    ds_id = dataset_id(s, name)
    if ds_id is None:
        raise _no_dataset(name)
    return [_version(r, name) for r in s.execute(_versions_query(ds_id)).all()]


def list_summaries(s: Session) -> list[DatasetSummary]:
    """Every dataset by name, with its latest version's size and file count."""
    counts = (
        select(_V.dataset_id, func.count().label("n"), func.max(_V.number).label("top"))
        .group_by(_V.dataset_id)
        .subquery()
    )
    rows = s.execute(
        select(dataset_t.c.name, counts.c.n, dataset_version_t)
        .select_from(dataset_t)
        .outerjoin(counts, counts.c.dataset_id == dataset_t.c.id)
        .outerjoin(
            dataset_version_t, (_V.dataset_id == dataset_t.c.id) & (_V.number == counts.c.top)
        )
        .order_by(dataset_t.c.name)
    ).all()
    out = []
    for r in rows:
        has = r.number is not None
        out.append(
            DatasetSummary(
                name=r.name,
                latest=version_label(r.number) if has else None,
                versions=int(r.n or 0),
                bytes=int(r.bytes) if has else 0,
                files=int(r.files) if has else 0,
                updated_at=float(r.created_at) if has else None,
                source_path=r.source_path or "" if has else "",
                kind=r.kind or "files" if has else "files",
            )
        )
    return out


def manifest(s: Session, version_id: int) -> list[ManifestEntry]:
    rows = s.execute(
        select(dataset_file_t.c.path, dataset_file_t.c.size, dataset_file_t.c.hash)
        .where(dataset_file_t.c.version_id == version_id)
        .order_by(dataset_file_t.c.path)
    ).all()
    return [ManifestEntry(p, int(size), h) for p, size, h in rows]


def register_version(
    s: Session,
    name: str,
    entries: Sequence[ManifestEntry],
    fingerprint: str,
    *,
    message: str = "",
    tags: dict[str, str] | None = None,
    source_path: str = "",
    snapshot: bool = False,
    kind: str = "files",
    user: str | None = None,
    host: str | None = None,
) -> tuple[DatasetVersion, bool]:
    """Add a version of ``name`` (creating the dataset) unless its latest has ``fingerprint``;
    ``user`` and ``host`` say who adds it, on which machine (None: not known).

    Returns:
        (the version, True) when added; (the latest version, False) when it is unchanged.
    """
    now = time.time()
    ds_id = lock_named(s, dataset_t, name, create=True, now=now)
    assert ds_id is not None, "lock_named(create=True) inserts the row"
    latest = s.execute(_versions_query(ds_id).limit(1)).first()
    if latest is not None and latest.fingerprint == fingerprint:
        return _version(latest, name), False
    number = 1 if latest is None else int(latest.number) + 1
    total = sum(e.size for e in entries)
    version_id = s.execute(
        insert(dataset_version_t)
        .values(
            dataset_id=ds_id,
            number=number,
            fingerprint=fingerprint,
            files=len(entries),
            bytes=total,
            created_at=now,
            message=message,
            tags=dict(tags or {}),
            source_path=source_path,
            snapshot=snapshot,
            kind=kind,
            user=user or None,
            host=host or None,
        )
        .returning(_V.id)
    ).scalar_one()
    rows = (
        {"version_id": version_id, "path": e.path, "size": e.size, "hash": e.hash} for e in entries
    )
    insert_batched(s, dataset_file_t, rows, FILE_BATCH)
    note_change(s, DATASET_VERSION, [ds_id])
    row = s.execute(select(dataset_version_t).where(_V.id == version_id)).one()
    return _version(row, name), True


def mark_snapshot(s: Session, version_id: int) -> None:
    s.execute(update(dataset_version_t).where(_V.id == version_id).values(snapshot=True))


def cached_profile(s: Session, version_id: int, path: str) -> dict[str, Any] | None:
    payload = s.execute(
        select(dataset_profile_t.c.payload).where(
            (dataset_profile_t.c.version_id == version_id) & (dataset_profile_t.c.path == path)
        )
    ).scalar()
    return payload if isinstance(payload, dict) else None


def store_profile(s: Session, version_id: int, path: str, payload: dict[str, Any]) -> None:
    row = {"version_id": version_id, "path": path, "payload": payload, "created_at": time.time()}
    upsert(s, dataset_profile_t, [row], ["version_id", "path"])


def uses(s: Session, name: str, version: str | None = None) -> list[DatasetUse]:
    """Runs that used ``name`` (at ``version``, or any), newest first."""
    query = (
        select(
            run_t.c.id,
            run_t.c.name,
            experiment_t.c.name.label("experiment"),
            run_t.c.status,
            run_t.c.started_at,
            run_input_t.c.version,
        )
        .join(run_t, run_t.c.id == run_input_t.c.run_id)
        .join(experiment_t, experiment_t.c.id == run_t.c.experiment_id)
        .where(run_input_t.c.dataset == name)
        .order_by(run_t.c.started_at.desc(), run_input_t.c.seq)
    )
    if version is not None:
        query = query.where(run_input_t.c.version == version)
    seen: set[tuple[str, str | None]] = set()
    out = []
    for r in s.execute(query).all():
        if (r.id, r.version) in seen:
            continue
        seen.add((r.id, r.version))
        out.append(
            DatasetUse(
                r.id, r.name or "", r.experiment, r.status, float(r.started_at), name, r.version
            )
        )
    return out


def sources(s: Session) -> list[tuple[str, str]]:
    """(dataset, source path) for every distinct path any version was registered from."""
    rows = s.execute(
        select(dataset_t.c.name, _V.source_path)
        .join(dataset_version_t, _V.dataset_id == dataset_t.c.id)
        .distinct()
    ).all()
    return [(n, p) for n, p in rows if p]


def version_at(s: Session, name: str, at: float | None) -> str | None:
    """The label of the newest version of ``name`` created at or before ``at`` (None: now)."""
    ds_id = dataset_id(s, name)
    if ds_id is None:
        return None
    query = _versions_query(ds_id)
    if at is not None:
        query = query.where(_V.created_at <= at)
    row = s.execute(query.limit(1)).first()
    return None if row is None else version_label(int(row.number))
