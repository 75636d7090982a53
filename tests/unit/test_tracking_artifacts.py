"""log_artifact: files and folders copied by content into the store and recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.tracking.artifacts import blob_path, check_artifact_name
from mlops_desktop.tracking.home import artifact_root
from mlops_desktop.tracking.spool import read_spool


def artifact_events(run: mlops.Run) -> list[dict[str, object]]:
    return [e for e in read_spool(run.events_path).events if e["type"] == "artifact"]


def test_a_file_is_stored_by_content(tmp_path: Path, temp_home: Path) -> None:
    model = tmp_path / "model.bin"
    data = b"weights" * 100_000
    model.write_bytes(data)
    hex_digest = hashlib.sha256(data).hexdigest()
    with mlops.start_run(capture_env=False) as run:
        assert run.log_artifact(model) == [f"sha256:{hex_digest}"]
        run.log_artifact(str(model), name="models/best.bin")  # same content: no second copy
    blob = artifact_root(temp_home) / "sha256" / hex_digest[:2] / hex_digest
    assert blob == blob_path(artifact_root(temp_home), hex_digest)
    assert blob.read_bytes() == data
    assert not [p for p in blob.parent.iterdir() if p.name.startswith(".tmp")]
    got = [(e["name"], e["digest"], e["size"]) for e in artifact_events(run)]
    assert got == [
        ("model.bin", f"sha256:{hex_digest}", len(data)),
        ("models/best.bin", f"sha256:{hex_digest}", len(data)),
    ]


def test_a_folder_logs_every_file_under_it(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    (folder / "empty").mkdir()
    with mlops.start_run(capture_env=False) as run:
        run.log_artifact(folder)
        run.log_artifact(folder, name="ckpt")
    names = [e["name"] for e in artifact_events(run)]
    assert names == ["out/a.txt", "out/sub/b.txt", "ckpt/a.txt", "ckpt/sub/b.txt"]


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/etc/passwd", "C:\\x", "", "  ", "."])
def test_bad_artifact_names_are_refused(tmp_path: Path, name: str) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    with mlops.start_run(capture_env=False) as run, pytest.raises(ValueError, match="artifact"):
        run.log_artifact(f, name=name)
    assert artifact_events(run) == []


def test_names_are_normalised() -> None:
    assert check_artifact_name("a\\b/./c") == "a/b/c"


def test_missing_file_says_so(tmp_path: Path) -> None:
    with (
        mlops.start_run(capture_env=False) as run,
        pytest.raises(FileNotFoundError, match="no such file"),
    ):
        run.log_artifact(tmp_path / "nope.bin")


def test_storing_existing_content_again_marks_the_blob_fresh(tmp_path: Path) -> None:
    """Garbage collection spares young blobs; a blob reused by a new run must count as young."""
    import os
    import time

    from mlops_desktop.tracking.artifacts import store_file

    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")
    root = tmp_path / "store"
    digest, _ = store_file(src, root)
    blob = blob_path(root, digest)
    old = time.time() - 10 * 24 * 3600
    os.utime(blob, (old, old))
    store_file(src, root)
    assert blob.stat().st_mtime > time.time() - 60
