"""Registered model versions for the read API: records shaped like MLflow's and their search.

``search_model_versions("name = 'wine' and tags.stage = 'prod'")`` takes MLflow's filter for
versions (see :mod:`mlops_desktop.client.fields_filter`) over the fields in
:data:`VERSION_FIELDS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlops_desktop.client.fields_filter import compile_filter
from mlops_desktop.client.records import FileInfo, ModelVersion, to_ms
from mlops_desktop.core import models as core

VERSION_FIELDS = (
    "name",
    "version",
    "version_number",
    "run_id",
    "source",
    "user_id",
    "fingerprint",
    "description",
)


def version_record(v: core.ModelVersion) -> ModelVersion:
    """The read API's record of a registered version."""
    return ModelVersion(
        name=v.name,
        version=str(v.version),
        number=v.version,
        creation_timestamp=to_ms(v.created_at) or 0,
        user_id=v.created_by,
        source=v.source,
        run_id=v.run_id,
        description=v.description,
        tags=dict(v.tags),
        aliases=list(v.aliases),
        fingerprint=v.fingerprint,
        archived=v.archived,
        files=[FileInfo(f.path, False, f.size) for f in v.files],
    )


def _fields(v: core.ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "version_number": v.version,
        "run_id": v.run_id,
        "source": v.source,
        "user_id": v.created_by,
        "fingerprint": v.fingerprint,
        "description": v.description,
        "tags": v.tags,
    }


def search_versions(
    versions: Iterable[core.ModelVersion], filter_string: str | None, max_results: int | None
) -> list[ModelVersion]:
    """The versions ``filter_string`` keeps, as records, at most ``max_results``.

    Raises:
        QueryError: the filter is malformed (the message points at the column).
    """
    test = compile_filter(filter_string, VERSION_FIELDS)
    kept = [version_record(v) for v in versions if test(_fields(v))]
    return kept if max_results is None else kept[: max(0, int(max_results))]
