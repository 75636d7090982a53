"""FolderWatch: the pipeline folder's files as ``tree_snapshot`` sees them, without a stat per
file of a large folder where nothing was created, deleted or renamed."""

from __future__ import annotations

import os
from pathlib import Path

from mlops_desktop.pipelines.outs import tree_snapshot, undeclared_writes
from mlops_desktop.services.pipeline_watch import RESTAT_AT_MOST, FolderWatch

OLD_NS = 1_600_000_000_000_000_000


def tree(root: Path) -> Path:
    (root / "data" / "big").mkdir(parents=True)
    for i in range(RESTAT_AT_MOST + 5):
        (root / "data" / "big" / f"f{i:04d}.txt").write_text(f"{i}\n")
    (root / "train.py").write_text("print(1)\n")
    (root / "params.yaml").write_text("lr: 1\n")
    for ignored in (".git", "__pycache__"):
        (root / ignored).mkdir()
        (root / ignored / "x").write_text("x")
    (root / ".hidden").write_text("x")
    os.utime(root / "data" / "big", ns=(OLD_NS, OLD_NS))  # long untouched
    return root


def test_it_sees_what_tree_snapshot_sees(tmp_path: Path) -> None:
    root = tree(tmp_path / "p")
    watch = FolderWatch(root)
    assert watch.snapshot() == tree_snapshot(root)
    assert watch.snapshot() == tree_snapshot(root)  # and again, from what it remembered


def test_new_files_and_rewrites_are_noticed(tmp_path: Path) -> None:
    root = tree(tmp_path / "p")
    watch = FolderWatch(root)
    before = watch.snapshot()
    (root / "data" / "big" / "new.log").write_text("a stage wrote this\n")
    (root / "params.yaml").write_text("lr: 2.5\n")  # in place, in a small folder
    (root / "notes").mkdir()
    (root / "notes" / "n.txt").write_text("n\n")
    after = watch.snapshot()
    assert undeclared_writes(before, after, ["data/big/f0000.txt"]) == [
        "data/big/new.log",
        "notes/n.txt",
        "params.yaml",
    ]
    assert after == tree_snapshot(root)


def test_a_large_unchanged_folder_is_not_statted_file_by_file(tmp_path: Path) -> None:
    root = tree(tmp_path / "p")
    watch = FolderWatch(root)
    before = watch.snapshot()
    big = root / "data" / "big"
    (big / "f0001.txt").write_text("rewritten in place, longer\n")
    os.utime(big, ns=(OLD_NS, OLD_NS))  # as if nothing was created there
    assert watch.snapshot() == before  # the documented blind spot: trusted as seen
    (big / "f0002.txt").unlink()  # a deletion changes the folder: looked at again
    after = watch.snapshot()
    assert "data/big/f0002.txt" not in after
    assert after["data/big/f0001.txt"] != before["data/big/f0001.txt"]
