"""Pipeline outs in the store: garbage collection keeps them (a deleted out is still restored
after ``models gc``), and with a lab store set they are uploaded after the run, so a desktop
that lacks them restores them from the lab store."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.services.bundle import Services

PIPELINE = """\
name: kept
stages:
  make:
    cmd: mkdir -p out && echo one > out/a.txt && echo two > out/b.txt && echo m > model.bin
    outs: [out, model.bin]
"""


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened


def project(tmp_path: Path) -> Path:
    root = tmp_path / "kept"
    root.mkdir()
    (root / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE))
    return root


def test_garbage_collection_keeps_the_outs_of_pipeline_stages(
    services: Services, tmp_path: Path
) -> None:
    root = project(tmp_path)
    assert services.pipelines.run(root).state == "done"
    services.models.gc(dry_run=False, grace_s=0)
    shutil.rmtree(root / "out")
    (root / "model.bin").unlink()
    assert [s.state for s in services.pipelines.status(root)] == ["restorable"]
    again = services.pipelines.run(root)
    assert [s.state for s in again.stages] == ["restored"]
    assert (root / "out" / "b.txt").read_text() == "two\n"
    assert (root / "model.bin").read_text() == "m\n"


def test_outs_go_to_the_lab_store_and_come_back_from_it(
    services: Services, temp_home: Path, tmp_path: Path
) -> None:
    lab = tmp_path / "lab-store"
    lab.mkdir()
    services.store.set_location(str(lab))
    root = project(tmp_path)
    assert services.pipelines.run(root).state == "done"
    assert services.store.show()["not_uploaded"] == {"blobs": 0, "bytes": 0}
    # this home loses its copies (as a second desktop on the same catalog never had them)
    shutil.rmtree(temp_home / "datasets" / "blobs")
    (root / "model.bin").unlink()
    assert [s.state for s in services.pipelines.status(root)] == ["restorable"]
    again = services.pipelines.run(root)
    assert [s.state for s in again.stages] == ["restored"]
    assert (root / "model.bin").read_text() == "m\n"
