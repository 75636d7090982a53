"""What a run records about its code and machine: git state, packages, OS, CPU, GPUs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mlops_desktop as mlops
from mlops_desktop.tracking import capture
from mlops_desktop.tracking.capture import capture_environment, capture_git, parse_nvidia_smi
from mlops_desktop.tracking.spool import read_spool


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    out = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return out.stdout.decode().strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('v1')\n")
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_clean_repository(repo: Path) -> None:
    info = capture_git(repo)
    assert info is not None
    assert info["commit"] == git(repo, "rev-parse", "HEAD")
    assert info["branch"] == "main"
    assert info["dirty"] is False
    assert info["diff"] == "" and info["diff_bytes"] == 0 and not info["diff_truncated"]
    assert Path(info["repo_root"]).resolve() == repo.resolve()
    from mlops_desktop.core.runs import GitInfo

    GitInfo(**info)  # the keys match the catalog's dataclass


def test_dirty_repository_diff_and_untracked_files(repo: Path) -> None:
    (repo / "train.py").write_text("print('v2')\n")
    (repo / "notes.txt").write_text("new\n")
    info = capture_git(repo / ".")
    assert info is not None and info["dirty"] is True
    assert "-print('v1')" in info["diff"] and "+print('v2')" in info["diff"]
    assert "notes.txt" in info["diff"] and "Untracked" in info["diff"]
    assert info["diff_bytes"] == len(info["diff"].encode())


def test_untracked_file_alone_makes_it_dirty(repo: Path) -> None:
    (repo / "new.py").write_text("x = 1\n")
    info = capture_git(repo)
    assert info is not None and info["dirty"] and "new.py" in info["diff"]


def test_diff_is_capped_with_full_size_recorded(repo: Path) -> None:
    (repo / "train.py").write_text("é" * 5000 + "\n")
    info = capture_git(repo, cap_bytes=1000)
    assert info is not None
    assert info["diff_truncated"] is True
    assert info["cap_bytes"] == 1000
    assert info["diff_bytes"] > 10_000
    assert len(info["diff"].encode()) <= 1000  # cut on a character boundary


def test_detached_head_and_repository_without_commits(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    info = capture_git(repo)
    assert info is not None and info["branch"] is None and info["commit"]
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    (empty / "a.py").write_text("a\n")
    info = capture_git(empty)
    assert info is not None and info["commit"] is None and info["dirty"]


def test_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    os.environ["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    try:
        assert capture_git(tmp_path / "plain") is None
    finally:
        del os.environ["GIT_CEILING_DIRECTORIES"]


def test_environment_fields(repo: Path) -> None:
    fields = capture_environment(repo)
    env: dict[str, Any] = fields["env"]
    assert fields["git"]["commit"]
    assert env["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert env["python"]["executable"] == sys.executable
    assert env["python"]["implementation"]
    assert env["argv"] == sys.argv
    assert env["hostname"]
    assert env["platform"]["system"]
    assert env["cpu"]["logical"] == os.cpu_count()
    assert isinstance(env["gpus"], list)
    assert "pytest" in {name.lower() for name in env["packages"]}
    assert env["errors"] == {}


def test_gpus_from_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\necho '0, NVIDIA H100 80GB HBM3, 81559, 550.54'\n"
        "echo '1, NVIDIA H100 80GB HBM3, 81559, 550.54'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    gpus = capture_environment(tmp_path)["env"]["gpus"]
    assert gpus == [
        {"index": i, "name": "NVIDIA H100 80GB HBM3", "memory_total_mib": 81559, "driver": "550.54"}
        for i in (0, 1)
    ]


def test_a_failing_probe_is_recorded_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")

    def broken() -> dict[str, str]:
        raise RuntimeError("metadata is broken")

    monkeypatch.setattr(capture, "_packages", broken)
    env = capture_environment(tmp_path)["env"]
    assert env["gpus"] == [] and "exited with 9" in env["errors"]["gpus"]
    assert env["packages"] is None and "metadata is broken" in env["errors"]["packages"]


def test_parse_nvidia_smi_skips_junk() -> None:
    text = "0, Tesla T4, 15360, 535.1\nNo devices were found\n\n1, A, [N/A], 1\n"
    assert parse_nvidia_smi(text) == [
        {"index": 0, "name": "Tesla T4", "memory_total_mib": 15360, "driver": "535.1"},
        {"index": 1, "name": "A", "memory_total_mib": None, "driver": "1"},
    ]


def test_a_run_writes_one_env_event(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setattr(sys, "argv", [""])  # no script file: the code is the working dir
    with mlops.start_run(experiment="env") as run:
        run.log_metric("a", 1.0)
    env_events = [e for e in read_spool(run.events_path).events if e["type"] == "env"]
    assert len(env_events) == 1
    assert env_events[0]["git"]["commit"] == git(repo, "rev-parse", "HEAD")
    assert env_events[0]["env"]["python"]["executable"] == sys.executable


def test_code_dir_is_the_scripts_folder_not_an_installed_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_desktop.tracking.capture import code_dir

    script = tmp_path / "project" / "train.py"
    script.parent.mkdir()
    script.write_text("print('hi')\n")
    wrapper = tmp_path / "venv" / "bin" / "mlops-desktop"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text("#!/usr/bin/env python\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "argv", [str(script), "--lr", "0.1"])
    assert code_dir() == script.parent.resolve()
    monkeypatch.setattr(sys, "argv", [str(wrapper), "demo"])
    assert code_dir() == work.resolve()
