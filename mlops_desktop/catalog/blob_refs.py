"""Which stored files the catalog references: runs' artifacts, model versions' files, the
blobs of snapshotted dataset versions and the outs pipeline stages keep (for registering from a
run and for garbage collection).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.dataset_schema import dataset_file_t, dataset_version_t
from mlops_desktop.catalog.model_schema import model_file_t, model_t, model_version_t
from mlops_desktop.catalog.pipeline_schema import pipeline_stage_cache_t
from mlops_desktop.catalog.schema import artifact_t
from mlops_desktop.core.models import ModelFile

_V = model_version_t.c


def referenced_digests(s: Session) -> set[str]:
    """Digests of every registered model version's files."""
    return {str(d) for d in s.execute(select(model_file_t.c.digest).distinct()).scalars()}


def versions_of_run(s: Session, run_ids: Iterable[str]) -> list[tuple[str, int]]:
    """(model, version) registered from any of the runs."""
    ids = list(run_ids)
    if not ids:
        return []
    rows = s.execute(
        select(model_t.c.name, _V.number)
        .join(model_version_t, _V.model_id == model_t.c.id)
        .where(_V.run_id.in_(ids))
        .order_by(model_t.c.name, _V.number)
    ).all()
    return [(n, int(v)) for n, v in rows]


def run_artifacts(s: Session, run_id: str) -> list[ModelFile]:
    """A run's artifacts as (name, size, digest), by name."""
    rows = s.execute(
        select(artifact_t.c.name, artifact_t.c.size, artifact_t.c.digest)
        .where(artifact_t.c.run_id == run_id)
        .order_by(artifact_t.c.name)
    ).all()
    return [ModelFile(n, int(size), d) for n, size, d in rows]


def gc_references(s: Session) -> tuple[set[str], set[str]]:
    """(artifact digests runs and model versions reference, blob hashes of snapshotted
    dataset versions and of the outs pipeline stages keep) for garbage collection."""
    artifacts = {str(d) for d in s.execute(select(artifact_t.c.digest).distinct()).scalars()}
    artifacts |= referenced_digests(s)
    blobs = {
        str(h)
        for h in s.execute(
            select(dataset_file_t.c.hash)
            .join(dataset_version_t, dataset_version_t.c.id == dataset_file_t.c.version_id)
            .where(dataset_version_t.c.snapshot.is_(True))
            .distinct()
        ).scalars()
    }
    blobs |= pipeline_out_blobs(s)
    return artifacts, blobs


def pipeline_out_blobs(s: Session) -> set[str]:
    """The BLAKE3 hashes of every file of every out the pipeline stage cache records (an
    unreadable row keeps nothing: it is of no use to restore either)."""
    found: set[str] = set()
    for text in s.execute(select(pipeline_stage_cache_t.c.outs_json)).scalars():
        try:
            outs = json.loads(text or "{}")
        except ValueError:
            continue
        for rec in outs.values() if isinstance(outs, dict) else ():
            if not isinstance(rec, dict) or not rec.get("cache", True):
                continue
            if rec.get("kind") == "file":
                found.add(str(rec.get("digest")))
            else:
                found.update(str(f[1]) for f in rec.get("files") or () if len(f) >= 2)
    return found
