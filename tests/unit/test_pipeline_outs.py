"""Outs kept in the store and restored from it, the undeclared-write check, and status cases
that need no scikit-learn: shell-command stages run as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import Pipeline
from mlops_desktop.datasets.statcache import StatCache
from mlops_desktop.datasets.store import SnapshotStore
from mlops_desktop.pipelines.fingerprint import PathHasher, stage_inputs
from mlops_desktop.pipelines.outs import (
    FolderBlobStore,
    record_outs,
    restore_outs,
    tree_snapshot,
    undeclared_writes,
)
from mlops_desktop.pipelines.records import BlobStore, CachedStage, MemoryStageCache, OutRecord
from mlops_desktop.pipelines.spec import load_pipeline
from mlops_desktop.pipelines.status import pipeline_status

SHELL = """
stages:
  make:
    cmd: mkdir -p out && for i in 1 2 3; do echo "$i $(cat seed.txt)" > out/$i.txt; done
    deps: [seed.txt]
    outs: [out, {log.txt: {cache: false}}]
  count:
    cmd:
      - ls out | wc -l > count.txt
      - echo done >> log2.txt
    deps: [out, dataset:wine]
    outs: [count.txt, log2.txt]
  always:
    cmd: date +%N > stamp.txt
    outs: [stamp.txt]
    always_changed: true
"""


def run_stage(p: Pipeline, name: str, blobs: BlobStore, cache: MemoryStageCache, stat: Path,
              datasets: dict[str, str]) -> dict[str, OutRecord]:  # fmt: skip
    stage = p.stage(name)
    for line in stage.cmd:
        subprocess.run(["sh", "-c", line], cwd=p.root / stage.wdir, check=True)
    if name == "make":
        (p.root / "log.txt").write_text("log\n")
    with PathHasher(StatCache(stat)) as hasher:
        outs = record_outs(p, stage, hasher, blobs)
        inputs = stage_inputs(p, stage, hasher, datasets)
    cache.add(CachedStage(p.name, name, inputs.digest(), inputs, outs, f"r-{name}", time.time()))
    return outs


@pytest.fixture
def shell(tmp_path: Path) -> tuple[Pipeline, FolderBlobStore, MemoryStageCache, Path]:
    root = tmp_path / "p"
    root.mkdir()
    (root / "seed.txt").write_text("a\n")
    (root / "pipeline.yaml").write_text(textwrap.dedent(SHELL))
    return load_pipeline(root), FolderBlobStore(tmp_path / "blobs"), MemoryStageCache(), tmp_path


def states(p: Pipeline, cache: MemoryStageCache, blobs: BlobStore | None, stat: Path,
           datasets: dict[str, str]) -> dict[str, tuple[str, tuple[str, ...]]]:  # fmt: skip
    with PathHasher(StatCache(stat)) as hasher:
        found = pipeline_status(p, cache, hasher, datasets, blobs)
    return {s.name: (s.state, s.reasons) for s in found}


def test_outs_stored_restored_and_status_cases(shell: tuple) -> None:  # type: ignore[type-arg]
    p, blobs, cache, base = shell
    stat = base / "stat.db"
    ds = {"wine": "v1 blake3:aaa"}
    outs = run_stage(p, "make", blobs, cache, stat, ds)
    assert outs["out"].kind == "dir" and [f[0] for f in outs["out"].files] == [
        "1.txt",
        "2.txt",
        "3.txt",
    ]
    assert all(blobs.has(d) for d in outs["out"].blob_digests())
    assert not blobs.has(outs["log.txt"].digest)  # cache: false is recorded, not stored
    run_stage(p, "count", blobs, cache, stat, ds)
    assert states(p, cache, blobs, stat, ds) == {
        "make": ("cached", ()),
        "count": ("cached", ()),
        "always": ("stale", ("always changed",)),
    }
    run_stage(p, "always", blobs, cache, stat, ds)
    assert states(p, cache, blobs, stat, ds)["always"] == ("stale", ("always changed",))

    # a new dataset version
    new = {"wine": "v2 blake3:bbb"}
    assert states(p, cache, blobs, stat, new)["count"] == ("stale", ("dataset wine: v1 -> v2",))

    # a folder out damaged: restorable; the extra file is removed, the others rewritten
    (p.root / "out" / "2.txt").write_text("edited\n")
    (p.root / "out" / "extra.txt").write_text("x\n")
    (p.root / "out" / "1.txt").unlink()
    got = states(p, cache, blobs, stat, ds)
    assert got["make"] == ("restorable", ("out out changed",))
    assert got["count"] == ("cached", ())  # judged by the digests the restore brings back
    record = cache.last(p.name, "make")
    assert record is not None
    restore_outs(p, {"out": record.outs["out"]}, blobs)
    assert sorted(os.listdir(p.root / "out")) == ["1.txt", "2.txt", "3.txt"]
    assert (p.root / "out" / "2.txt").read_text() == "2 a\n"
    assert states(p, cache, blobs, stat, ds)["make"] == ("cached", ())

    # an uncached out deleted cannot be restored; without a store nothing can
    (p.root / "log.txt").unlink()
    assert states(p, cache, blobs, stat, ds)["make"] == ("stale", ("out log.txt missing",))
    (p.root / "log.txt").write_text("log\n")
    (p.root / "count.txt").unlink()
    assert states(p, cache, None, stat, ds)["count"] == ("stale", ("out count.txt missing",))

    # the store lost a blob: stale, and restore refuses in one sentence
    blob = blobs.path_of(record.outs["out"].files[0][1])
    os.chmod(blob, 0o644)
    blob.unlink()
    (p.root / "out" / "1.txt").unlink()
    assert states(p, cache, blobs, stat, ds)["make"] == ("stale", ("out out changed",))
    with pytest.raises(PipelineError, match="the store has lost 1 file"):
        restore_outs(p, {"out": record.outs["out"]}, blobs)

    # a seed change: make and everything after it
    (p.root / "seed.txt").write_text("b\n")
    got = states(p, cache, blobs, stat, ds)
    assert got["make"] == ("stale", ("dep seed.txt changed",))
    assert got["count"] == ("stale", ("upstream make will run",))


def test_missing_out_and_damaged_blob(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pipeline.yaml").write_text("stages:\n  train: {cmd: 'true', outs: [model.pt]}\n")
    p = load_pipeline(root)
    blobs: BlobStore = SnapshotStore(tmp_path / "blobs")  # the dataset store fits as it is
    with PathHasher(None) as hasher, pytest.raises(PipelineError) as err:
        record_outs(p, p.stage("train"), hasher, blobs)
    assert str(err.value) == (
        "stage train did not write model.pt, which it declares in outs; "
        "fix its command or its outs."
    )
    (root / "model.pt").write_bytes(b"weights")
    with PathHasher(None) as hasher:
        rec = record_outs(p, p.stage("train"), hasher, blobs)["model.pt"]
    (root / "model.pt").unlink()
    stored = blobs.path_of(rec.digest)
    os.chmod(stored, 0o644)
    stored.write_bytes(b"rotten!")
    with pytest.raises(PipelineError, match=r"the stored copy of model\.pt is damaged"):
        restore_outs(p, {"model.pt": rec}, blobs)
    assert not (root / "model.pt").exists()
    assert [f.name for f in root.iterdir()] == ["pipeline.yaml"]  # no temp file left


def test_undeclared_writes(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a")
    (tmp_path / "keep.txt").write_text("k")
    before = tree_snapshot(tmp_path)
    assert set(before) == {"src/a.py", "keep.txt"}
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.bin").write_text("x")
    (tmp_path / "model.pt").write_text("m")
    (tmp_path / "stray.csv").write_text("s")
    (tmp_path / "keep.txt").write_text("changed!")
    for ignored in (".git/index", "__pycache__/a.pyc", ".venv/bin/python", "src/b.pyc", ".env"):
        path = tmp_path / ignored
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("i")
    (tmp_path / "scratch.tmp").write_text("t")
    after = tree_snapshot(tmp_path, ignore=["*.tmp"])
    assert undeclared_writes(before, after, ["out", "model.pt"]) == ["keep.txt", "stray.csv"]
    assert undeclared_writes(before, after, ["out/", "model.pt", "stray.csv", "keep.txt"]) == []


def test_unknown_forced_stage_is_one_sentence(shell: tuple) -> None:  # type: ignore[type-arg]
    p, blobs, cache, _base = shell
    with PathHasher(None) as hasher, pytest.raises(PipelineError) as err:
        pipeline_status(p, cache, hasher, {}, blobs, from_stage="trian")
    assert str(err.value) == "pipeline.yaml has no stage trian; the stages are always, count, make."
