"""The engine's stage cache kept in a real catalog (SQLite in a temp home, PostgreSQL when
installed): the real wine pipeline's prepare stage runs, its record goes into the catalog, and
the engine's status reads it back as cached; a changed param is told against the last record;
a second catalog object (another desktop) finds the same record. Needs scikit-learn's
dependencies only for the later stages, so prepare is what runs here."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_project import set_param, write_project

from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.pipelines import Pipeline
from mlops_desktop.datasets.statcache import StatCache
from mlops_desktop.pipelines.fingerprint import PathHasher, stage_inputs
from mlops_desktop.pipelines.outs import FolderBlobStore, record_outs
from mlops_desktop.pipelines.records import CachedStage
from mlops_desktop.pipelines.spec import load_pipeline
from mlops_desktop.pipelines.status import pipeline_status
from mlops_desktop.services.catalog_open import open_catalog
from mlops_desktop.services.pipeline_stage_cache import CatalogStageCache


@pytest.fixture
def catalog(temp_home: Path, catalog_url: str | None) -> Iterator[Catalog]:
    cat = open_catalog(temp_home, catalog_url)
    yield cat
    cat.dispose()


def _run_prepare(p: Pipeline, hasher: PathHasher, blobs: FolderBlobStore) -> CachedStage:
    stage = p.stage("prepare")
    for line in stage.cmd:
        subprocess.run(["sh", "-c", line], cwd=p.root / stage.wdir, check=True)
    outs = record_outs(p, stage, hasher, blobs)
    inputs = stage_inputs(p, stage, hasher, {})
    return CachedStage(p.name, "prepare", inputs.digest(), inputs, outs, "run-1", time.time())


def test_a_record_in_the_catalog_makes_the_stage_cached(
    catalog: Catalog, tmp_path: Path, temp_home: Path, catalog_url: str | None
) -> None:
    root = tmp_path / "project"
    write_project(root)
    blobs = FolderBlobStore(tmp_path / "blobs")
    cache = CatalogStageCache(catalog)
    p = load_pipeline(root)
    with PathHasher(StatCache(tmp_path / "stat.db")) as hasher:
        assert pipeline_status(p, cache, hasher, {}, blobs)[0].reasons == ("never ran",)
        record = _run_prepare(p, hasher, blobs)
    cache.add(record)
    assert cache.lookup(p.name, "prepare", record.fingerprint) == record
    assert cache.last(p.name, "prepare") == record
    assert cache.lookup(p.name, "prepare", "0" * 64) is None and cache.last(p.name, "x") is None

    with PathHasher(StatCache(tmp_path / "stat.db")) as hasher:
        first = pipeline_status(p, cache, hasher, {}, blobs)[0]
    assert (first.name, first.state, first.source_run_id) == ("prepare", "cached", "run-1")

    other = open_catalog(temp_home, catalog_url)  # another desktop on the same catalog
    try:
        assert CatalogStageCache(other).lookup(p.name, "prepare", record.fingerprint) == record
    finally:
        other.dispose()

    set_param(root, "prepare", "split", 0.3)
    with PathHasher(StatCache(tmp_path / "stat.db")) as hasher:
        changed = pipeline_status(load_pipeline(root), cache, hasher, {}, blobs)[0]
    assert changed.state == "stale"
    (reason,) = changed.reasons  # told against the last record the catalog kept
    assert reason.startswith("param prepare") and "0.25" in reason and "0.3" in reason
