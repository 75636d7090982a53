"""TableProfile to and from plain JSON data: the payload the catalog caches (``dataset_profile``)
and, without ``payload_version``, the document ``data profile --json`` prints.

Values become strict JSON: non-finite floats become None, numpy scalars plain numbers, and
anything else (dates, decimals) its text, so the payload is valid on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from mlops_desktop.core.datasets import ColumnProfile, TableProfile

PAYLOAD_VERSION = 1


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _plain(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def profile_to_json(profile: TableProfile) -> dict[str, Any]:
    """The profile as strict JSON data, stamped with the payload version."""
    doc: dict[str, Any] = _plain(asdict(profile))
    doc["payload_version"] = PAYLOAD_VERSION
    return doc


def _column(doc: dict[str, Any]) -> ColumnProfile:
    hist = doc.get("histogram")
    histogram = None
    if isinstance(hist, list) and len(hist) == 2:
        histogram = ([float(x) for x in hist[0]], [int(x) for x in hist[1]])
    return ColumnProfile(
        name=str(doc.get("name", "")),
        type=str(doc.get("type", "")),
        kind=str(doc.get("kind", "other")),
        count=int(doc.get("count") or 0),
        missing=int(doc.get("missing") or 0),
        distinct=None if doc.get("distinct") is None else int(doc["distinct"]),
        min=doc.get("min"),
        max=doc.get("max"),
        mean=doc.get("mean"),
        std=doc.get("std"),
        quantiles={
            str(k): float(v) for k, v in (doc.get("quantiles") or {}).items() if v is not None
        },
        histogram=histogram,
        top=[(str(v), int(c)) for v, c in (doc.get("top") or [])],
    )


def profile_from_json(doc: dict[str, Any]) -> TableProfile | None:
    """The profile of a cached payload; None when it was written by another payload version."""
    if doc.get("payload_version") != PAYLOAD_VERSION:
        return None
    return TableProfile(
        path=str(doc.get("path", "")),
        format=str(doc.get("format", "")),
        rows=int(doc.get("rows") or 0),
        columns=[_column(c) for c in doc.get("columns") or []],
        seconds=float(doc.get("seconds") or 0.0),
        problems=[str(p) for p in doc.get("problems") or []],
    )
