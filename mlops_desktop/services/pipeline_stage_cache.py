"""The engine's stage cache kept in the catalog: :class:`CatalogStageCache` implements
:class:`~mlops_desktop.pipelines.records.StageCache` over the ``pipeline_stage_cache`` table.

It lives in the services because the catalog may not import the engine (the engine is above it):
the catalog keeps the engine's documents as JSON text
(:class:`~mlops_desktop.catalog.pipeline_records.CachedStageDoc`) and this class turns them
into :class:`~mlops_desktop.pipelines.records.CachedStage` and back. Every call is one short
transaction; a cache shared by desktops on one catalog lets each reuse what another made, as far
as the outs are in the lab store.
"""

from __future__ import annotations

from mlops_desktop.catalog import pipeline_records
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.pipeline_records import CachedStageDoc
from mlops_desktop.pipelines.records import CachedStage


def _stage(doc: CachedStageDoc | None) -> CachedStage | None:
    if doc is None:
        return None
    return CachedStage.from_json(
        {
            "pipeline": doc.pipeline,
            "stage": doc.stage,
            "fingerprint": doc.fingerprint,
            "inputs": doc.inputs,
            "outs": doc.outs,
            "run_id": doc.run_id,
            "created_at": doc.created_at,
        }
    )


class CatalogStageCache:
    """The StageCache of one catalog (thread-safe: each call opens its own session)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def lookup(self, pipeline: str, stage: str, fingerprint: str) -> CachedStage | None:
        """What ``stage`` made from the inputs whose digest is ``fingerprint``, if any."""
        with self.catalog.session_scope() as s:
            doc = pipeline_records.lookup_cached_stage(s, pipeline, stage, fingerprint)
        return _stage(doc)

    def last(self, pipeline: str, stage: str) -> CachedStage | None:
        """The newest record of ``stage``, whatever its fingerprint (to say what changed)."""
        with self.catalog.session_scope() as s:
            doc = pipeline_records.last_cached_stage(s, pipeline, stage)
        return _stage(doc)

    def add(self, record: CachedStage) -> None:
        """Keep ``record`` (the newest of its stage from now on; a record of the same
        fingerprint is replaced)."""
        body = record.to_json()
        doc = CachedStageDoc(
            pipeline=record.pipeline,
            stage=record.stage,
            fingerprint=record.fingerprint,
            inputs=dict(body["inputs"]),
            outs=dict(body["outs"]),
            run_id=record.run_id,
            created_at=record.created_at,
        )
        with self.catalog.session_scope(write=True) as s:
            pipeline_records.save_cached_stage(s, doc)
