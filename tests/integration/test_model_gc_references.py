"""Garbage collection never touches what a run, a model version or a snapshot references."""

from __future__ import annotations

import hashlib
from pathlib import Path

import mlops_desktop as mlops
from mlops_desktop.catalog.artifacts import blob_path
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.artifacts import store_file
from mlops_desktop.tracking.home import artifact_root


def _orphan(home: Path, data: bytes, tmp: Path) -> Path:
    src = tmp / f"orphan-{hashlib.sha256(data).hexdigest()[:8]}"
    src.write_bytes(data)
    hexd, _ = store_file(src, artifact_root(home))
    return blob_path(home, f"sha256:{hexd}")


def test_gc_keeps_everything_referenced_and_frees_only_garbage(
    temp_home: Path, tmp_path: Path, catalog_url: str | None
) -> None:
    with Services.open(temp_home, catalog_url) as services:
        experiments, datasets, models = services.experiments, services.datasets, services.models
        data = tmp_path / "data"
        data.mkdir()
        (data / "d.csv").write_text("a\n1\n")
        datasets.add(data, "snap", snapshot=True)
        (tmp_path / "loose").mkdir()
        (tmp_path / "loose" / "l.csv").write_text("b\n2\n")
        datasets.add(tmp_path / "loose", "loose")  # not snapshotted: no blob
        (tmp_path / "run.bin").write_bytes(b"run artifact")
        with mlops.start_run("gc", name="r") as run:
            run.log_artifact(tmp_path / "run.bin")
            rid = run.id
        (tmp_path / "m.pkl").write_bytes(b"model file from a path")
        version = models.register("m", path=tmp_path / "m.pkl")
        model_blob = blob_path(temp_home, version.files[0].digest)
        garbage = [_orphan(temp_home, b"garbage %d" % i, tmp_path) for i in range(3)]
        snap_blobs = list((temp_home / "datasets" / "blobs").rglob("*"))
        snap_blobs = [p for p in snap_blobs if p.is_file()]
        assert snap_blobs

        # a spool not ingested yet still protects its artifacts (gc ingests first)
        dry = models.gc(dry_run=True, grace_s=0)
        assert dry.dry_run and dry.blobs == 3
        assert sorted(dry.paths) == sorted(p.relative_to(temp_home).as_posix() for p in garbage)
        assert dry.bytes == sum(p.stat().st_size for p in garbage)
        assert all(p.exists() for p in garbage)  # a dry run deletes nothing

        run_blob = Path(experiments.get_run(rid).artifacts[0].path)
        young = models.gc(dry_run=False)  # default grace: fresh garbage is kept
        assert young.blobs == 0 and all(p.exists() for p in garbage)

        real = models.gc(dry_run=False, grace_s=0)
        assert not real.dry_run and real.blobs == 3
        assert not any(p.exists() for p in garbage)
        assert run_blob.exists() and model_blob.exists()
        assert all(p.exists() for p in snap_blobs)
        assert models.gc(dry_run=True, grace_s=0).blobs == 0

        # a model version's files stay while the version exists, go once it is deleted
        models.delete("m", 1)
        after = models.gc(dry_run=False, grace_s=0)
        assert after.paths == [model_blob.relative_to(temp_home).as_posix()]
        assert run_blob.exists() and all(p.exists() for p in snap_blobs)


def test_a_model_from_a_run_artifact_keeps_its_blob(temp_home: Path, tmp_path: Path) -> None:
    with Services.open(temp_home) as services:
        experiments, models = services.experiments, services.models
        (tmp_path / "w.bin").write_bytes(b"weights")
        with mlops.start_run("gc", name="r") as run:
            run.log_artifact(tmp_path / "w.bin", name="model/w.bin")
            rid = run.id
        experiments.ingest()
        v = models.register("m", run_id=rid, artifact="model/")
        assert models.gc(dry_run=False, grace_s=0).blobs == 0
        assert blob_path(temp_home, v.files[0].digest).exists()
