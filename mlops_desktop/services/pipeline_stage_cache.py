"""The engine's ``StageCache`` over the catalog's ``pipeline_stage_cache`` rows.

The catalog keeps each stage's inputs and outs as JSON documents (it may not import the
engine, which is above it); this turns them into the engine's ``CachedStage`` and back. Every
desktop sharing the catalog sees what the others ran, so a stage another desktop ran is cached
here too (its outs restored from the lab store when this folder lacks them).
"""

from __future__ import annotations

from mlops_desktop.catalog import pipeline_records as records
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.pipelines.fingerprint import StageInputs
from mlops_desktop.pipelines.records import CachedStage, OutRecord


class CatalogStageCache:
    """Lookups and writes of stage results in the catalog (one short session each)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def lookup(self, pipeline: str, stage: str, fingerprint: str) -> CachedStage | None:
        """The result made from exactly these inputs, if any."""
        if not fingerprint:
            return None
        with self.catalog.session_scope() as s:
            doc = records.lookup_cached_stage(s, pipeline, stage, fingerprint)
        return _cached(doc)

    def last(self, pipeline: str, stage: str) -> CachedStage | None:
        """The newest result of the stage, whatever its inputs."""
        with self.catalog.session_scope() as s:
            doc = records.last_cached_stage(s, pipeline, stage)
        return _cached(doc)

    def add(self, record: CachedStage) -> None:
        """Keep ``record`` (replacing an older one of the same fingerprint)."""
        doc = records.CachedStageDoc(
            pipeline=record.pipeline,
            stage=record.stage,
            fingerprint=record.fingerprint,
            inputs=record.inputs.to_json(),
            outs={path: rec.to_json() for path, rec in record.outs.items()},
            run_id=record.run_id,
            created_at=record.created_at,
        )
        with self.catalog.session_scope(write=True) as s:
            records.save_cached_stage(s, doc)


def _cached(doc: records.CachedStageDoc | None) -> CachedStage | None:
    if doc is None:
        return None
    try:
        inputs = StageInputs.from_json(doc.inputs)
        outs = {path: OutRecord.from_json(rec) for path, rec in doc.outs.items()}
    except (KeyError, TypeError, ValueError):
        return None  # a row written by another version: as if the stage never ran
    return CachedStage(
        pipeline=doc.pipeline,
        stage=doc.stage,
        fingerprint=doc.fingerprint,
        inputs=inputs,
        outs=outs,
        run_id=doc.run_id,
        created_at=doc.created_at,
    )
