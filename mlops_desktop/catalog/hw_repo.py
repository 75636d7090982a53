"""Repository of the ``hw_history`` table: per-minute hardware history of every machine.

Writing a minute that is already stored merges the two (min of the mins, max of the maxes,
mean weighted by the counts, counts added), so a partial minute flushed at shutdown and the rest
of that minute written after a restart give the same row as one whole minute. Works on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import delete, select, tuple_

from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.hw_schema import hw_history_t
from mlops_desktop.catalog.upsert import upsert
from mlops_desktop.core.hardware import StoredBucket

_H = hw_history_t.c
_Values = dict[str, tuple[float, float, float, int]]


def merge_values(a: _Values, b: _Values) -> _Values:
    """Two summaries of the same minute as one: min, count-weighted mean, max, count."""
    merged = dict(a)
    for key, (lo, mean, hi, n) in b.items():
        old = merged.get(key)
        if old is None or old[3] <= 0:
            merged[key] = (lo, mean, hi, n)
            continue
        total = old[3] + n
        merged[key] = (
            min(old[0], lo),
            (old[1] * old[3] + mean * n) / total if total else mean,
            max(old[2], hi),
            total,
        )
    return merged


def _encode(values: _Values) -> str:
    finite = {k: [lo, m, hi, n] for k, (lo, m, hi, n) in values.items() if _finite(lo, m, hi)}
    return orjson.dumps(finite).decode()


def _finite(*xs: float) -> bool:
    return all(math.isfinite(x) for x in xs)


def _decode(text: str) -> _Values:
    try:
        raw: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    values: _Values = {}
    if not isinstance(raw, dict):
        return values
    for key, item in raw.items():
        if isinstance(item, list) and len(item) == 4:
            try:
                values[str(key)] = (float(item[0]), float(item[1]), float(item[2]), int(item[3]))
            except (TypeError, ValueError):
                continue
    return values


def save_buckets(catalog: Catalog, rows: Iterable[StoredBucket]) -> None:
    """Store minute buckets; a minute already stored (or given twice) is merged, not doubled.

    Raises:
        CatalogUnavailable: the catalog is locked, full, read-only or unreachable.
    """
    wanted: dict[tuple[str, float], _Values] = {}
    for bucket in rows:
        key = (bucket.host, float(bucket.start))
        wanted[key] = merge_values(wanted.get(key, {}), bucket.values)
    if not wanted:
        return
    with catalog.session_scope(write=True) as s:
        keys = list(wanted)
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            found = s.execute(
                select(_H.host, _H.bucket_start, _H.data).where(
                    tuple_(_H.host, _H.bucket_start).in_(part)
                )
            )
            for host, start, data in found:
                key = (host, float(start))
                wanted[key] = merge_values(_decode(data), wanted[key])
        upsert(
            s,
            hw_history_t,
            [{"host": h, "bucket_start": t, "data": _encode(v)} for (h, t), v in wanted.items()],
            keys=("host", "bucket_start"),
        )


def load_buckets(
    catalog: Catalog, host: str, since: float, until: float | None = None
) -> list[StoredBucket]:
    """The buckets of ``host`` starting at or after ``since`` (and before ``until``), oldest
    first."""
    query = select(_H.bucket_start, _H.data).where(_H.host == host, _H.bucket_start >= since)
    if until is not None:
        query = query.where(_H.bucket_start < until)
    with catalog.session_scope() as s:
        rows = s.execute(query.order_by(_H.bucket_start)).all()
    return [StoredBucket(host, float(start), _decode(data)) for start, data in rows]


def prune(catalog: Catalog, older_than: float) -> int:
    """Delete every machine's buckets that start before ``older_than``; how many went."""
    with catalog.session_scope(write=True) as s:
        result = s.execute(delete(hw_history_t).where(_H.bucket_start < older_than))
        return int(getattr(result, "rowcount", 0) or 0)
