"""The GPU queue backfills (a later run that fits starts while an earlier one waits) until the
earliest waiter has aged past the backfill limit; the launcher cleans up with the job's grace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mlops_desktop.compute.local import LocalExecutor
from mlops_desktop.compute.ssh_executor import SshExecutor
from mlops_desktop.core.compute import HostInfo, RunSpec
from mlops_desktop.tracking import gpu_leases

LAUNCHER = [sys.executable, "-m", "mlops_desktop.tracking.launcher"]


@pytest.fixture
def launched() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.wait(10)


def _launch(started: list, run_dir: Path, gpus: int, locks: str, marker: Path, **env: str) -> None:
    cmd = [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('ran')"]
    argv = [*LAUNCHER, "--run-id", run_dir.name, "--run-dir", str(run_dir), "--gpus", str(gpus)]
    argv += ["--gpu-lock-dir", locks, "--", *cmd]
    environ = {**os.environ, gpu_leases.FAKE_GPUS_ENV: "2", **env}
    started.append(subprocess.Popen(argv, start_new_session=True, env=environ))


def _job(run_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((run_dir / "job.json").read_text()))
    except (OSError, ValueError):
        return {}


def _wait(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("aged", [False, True])
def test_a_later_run_that_fits_backfills_until_the_head_has_aged(
    tmp_path: Path, launched: list, monkeypatch: pytest.MonkeyPatch, aged: bool
) -> None:
    monkeypatch.setenv(gpu_leases.FAKE_GPUS_ENV, "2")
    locks = str(tmp_path / "locks")
    holder, _ = gpu_leases.try_lease("a", count=1, lock_dir=locks)  # job A holds one of two
    assert holder is not None
    env = {gpu_leases.BACKFILL_ENV: "0" if aged else "300"}
    try:
        big, small = tmp_path / "b", tmp_path / "c"
        _launch(launched, big, 2, locks, tmp_path / "b.ran", **env)
        _wait(lambda: _job(big).get("state") == "queued")
        _launch(launched, small, 1, locks, tmp_path / "c.ran", **env)
        if aged:  # the head waited longer than the limit: nobody jumps it
            _wait(lambda: _job(small).get("detail") == "waiting for earlier queued runs")
            assert not (tmp_path / "c.ran").exists()
        else:
            _wait(lambda: (tmp_path / "c.ran").exists())
            assert launched[1].wait(20) == 0
            assert _job(big).get("state") == "queued"
    finally:
        holder.release()
    assert launched[0].wait(20) == 0 and (tmp_path / "b.ran").exists()
    assert launched[1].wait(20) == 0 and (tmp_path / "c.ran").exists()


def test_backfill_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gpu_leases.BACKFILL_ENV, raising=False)
    assert gpu_leases.backfill_limit_s() == gpu_leases.DEFAULT_BACKFILL_S == 300.0
    monkeypatch.setenv(gpu_leases.BACKFILL_ENV, "12.5")
    assert gpu_leases.backfill_limit_s() == 12.5
    monkeypatch.setenv(gpu_leases.BACKFILL_ENV, "soon")
    assert gpu_leases.backfill_limit_s() == 300.0


def test_the_launcher_cleans_up_with_the_jobs_cancel_grace(tmp_path: Path) -> None:
    spec = RunSpec(command=["python3", "train.py"], cancel_grace_s=45.0)
    argv = LocalExecutor(tmp_path).launcher_argv("r1", spec, str(tmp_path), tmp_path / "spool")
    assert argv[argv.index("--cleanup-grace") + 1] == "45"
    ssh = SshExecutor(HostInfo(name="h", kind="ssh", address="me@host"), tmp_path)
    scripts: list[str] = []

    def run_sh(script: str, **_kw: Any) -> SimpleNamespace:
        scripts.append(script)
        return SimpleNamespace(stdout=b"4242\n", returncode=0)

    ssh.client.run_sh = run_sh  # type: ignore[method-assign]
    ssh._launch("r1", spec, "/runs/r1", "/runs/r1/code")
    assert "--cleanup-grace 45 " in scripts[0]
