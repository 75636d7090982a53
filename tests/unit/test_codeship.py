"""Staging a run's code: git-tracked files plus changes, .gitignore respected, no links out."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mlops_desktop.compute.codeship import stage, stage_code, walk_with_gitignore
from mlops_desktop.core.compute import RunSpec
from mlops_desktop.core.errors import JobError

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "train.py").write_text("print('v1')\n")
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / ".gitignore").write_text("*.ckpt\ndata/\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    (root / "train.py").write_text("print('v2, uncommitted')\n")
    (root / "new_untracked.py").write_text("Y = 2\n")
    (root / "model.ckpt").write_bytes(b"\0" * 100)
    (root / "data").mkdir()
    (root / "data" / "big.csv").write_text("a,b\n")
    return root


@needs_git
def test_cwd_ships_tracked_and_untracked_not_ignored(repo: Path, tmp_path: Path) -> None:
    dest = tmp_path / "staged"
    spec = RunSpec(command=["python", "train.py"], code="cwd", workdir=str(repo))
    staged = stage(spec, dest)
    assert staged is not None
    assert _files(dest) == {".gitignore", "train.py", "pkg/mod.py", "new_untracked.py"}
    assert (dest / "train.py").read_text() == "print('v2, uncommitted')\n"
    assert staged.files == 4 and staged.bytes > 0


@needs_git
def test_cwd_deleted_tracked_file_is_not_shipped(repo: Path, tmp_path: Path) -> None:
    (repo / "pkg" / "mod.py").unlink()
    spec = RunSpec(command=["x"], code="cwd", workdir=str(repo))
    assert stage_code(spec, tmp_path / "s") == tmp_path / "s"
    assert "pkg/mod.py" not in _files(tmp_path / "s")


@needs_git
def test_folder_in_a_repo_uses_git_rules(repo: Path, tmp_path: Path) -> None:
    spec = RunSpec(command=["x"], code="folder", workdir=str(repo))
    stage_code(spec, tmp_path / "s")
    assert "model.ckpt" not in _files(tmp_path / "s")
    assert "data/big.csv" not in _files(tmp_path / "s")
    assert "new_untracked.py" in _files(tmp_path / "s")


def test_folder_outside_git_respects_gitignore(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "sub" / "cache").mkdir(parents=True)
    (root / "a.py").write_text("a")
    (root / "a.log").write_text("log")
    (root / "keep.log").write_text("kept by negation")
    (root / "sub" / "b.py").write_text("b")
    (root / "sub" / "cache" / "c.bin").write_text("c")
    (root / "sub" / ".gitignore").write_text("cache/\n")
    (root / ".gitignore").write_text("# comment\n*.log\n!keep.log\n/top_only.txt\n")
    (root / "top_only.txt").write_text("x")
    (root / "sub" / "top_only.txt").write_text("y")
    assert set(walk_with_gitignore(root)) == {
        ".gitignore",
        "a.py",
        "keep.log",
        "sub/.gitignore",
        "sub/b.py",
        "sub/top_only.txt",
    }


def test_none_stages_nothing(tmp_path: Path) -> None:
    spec = RunSpec(command=["x"], code="none", workdir=str(tmp_path))
    assert stage_code(spec, tmp_path / "s") is None
    assert not (tmp_path / "s").exists()


def test_link_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("do not ship")
    (root / "a.py").write_text("a")
    os.symlink(secret, root / "leak.txt")
    spec = RunSpec(command=["x"], code="folder", workdir=str(root))
    with pytest.raises(JobError, match="outside"):
        stage_code(spec, tmp_path / "s")


def test_link_inside_is_kept_as_a_link(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "a.py").write_text("a")
    os.symlink("a.py", root / "alias.py")
    stage_code(RunSpec(command=["x"], code="folder", workdir=str(root)), tmp_path / "s")
    assert os.readlink(tmp_path / "s" / "alias.py") == "a.py"


@needs_git
def test_cwd_outside_git_is_an_error(tmp_path: Path) -> None:
    spec = RunSpec(command=["x"], code="cwd", workdir=str(tmp_path))
    with pytest.raises(JobError, match="--code folder"):
        stage_code(spec, tmp_path / "s")


def test_unknown_mode_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(JobError, match="cwd, folder or none"):
        stage_code(RunSpec(command=["x"], code="zip", workdir=str(tmp_path)), tmp_path / "s")
