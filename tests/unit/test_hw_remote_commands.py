"""The argv of remote agents: quoting, srun options, job nodes from squeue (a stand-in runner)."""

from __future__ import annotations

import io
import shlex
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import HostInfo, JobInfo
from mlops_desktop.core.errors import HostError
from mlops_desktop.monitoring.agent_ship import agent_command, agent_digest, agent_tar
from mlops_desktop.monitoring.slurm_nodes import _watched, job_node_targets, srun_argv

HOST = HostInfo(name="gpu1", kind="ssh", address="me@gpu1:2222")


def test_agent_command_quotes_every_remote_value(tmp_path: Path) -> None:
    lib = "/srv/x y/$(id)"
    argv = agent_command(SshClient(HOST, tmp_path), lib, 0.5, env={"A": "it's `id`"})
    assert argv[argv.index("--") + 1] == "me@gpu1"
    remote = shlex.split(argv[-1])
    assert remote[:2] == ["sh", "-c"]
    inner = shlex.split(remote[2])
    assert inner[:3] == ["cd", "/", "&&"]
    assert inner[3:6] == [f"PYTHONPATH={lib}", "A=it's `id`", "exec"]
    module = "mlops_desktop.tracking.hw_agent"
    assert inner[6:] == ["python3", "-u", "-m", module, "--interval", "0.5"]


def test_a_bad_env_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HostError):
        agent_command(SshClient(HOST, tmp_path), "/lib", 1.0, env={"A;id": "x"})


def test_the_shipped_tar_holds_the_tracking_package() -> None:
    with tarfile.open(fileobj=io.BytesIO(agent_tar())) as tar:
        names = tar.getnames()
    assert "mlops_desktop/__init__.py" in names
    assert "mlops_desktop/tracking/hw_agent.py" in names
    assert not [n for n in names if "__pycache__" in n]
    assert len(agent_digest()) == 16 and agent_tar() == agent_tar()


def test_srun_argv() -> None:
    argv = srun_argv("42", "node-1", "/lib dir", 1.0, env={"K": "v w"})
    assert argv[:8] == ["srun", "--jobid=42", "--overlap", "--nodes=1", "--ntasks=1", "-w",
                        "node-1", "--input=none"]  # fmt: skip
    assert argv[argv.index("env") :] == [
        "env", "PYTHONPATH=/lib dir", "K=v w", "python3", "-u", "-m",
        "mlops_desktop.tracking.hw_agent", "--interval", "1",
    ]  # fmt: skip


def test_the_watcher_runs_the_command_and_ends_it_at_stdin_eof(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = _watched(["sh", "-c", f"echo started > {out}; sleep 30"], {"X": "1"})
    proc = subprocess.Popen(["sh", "-c", script], stdin=subprocess.PIPE)
    try:
        proc.wait(0.5)
    except subprocess.TimeoutExpired:
        pass
    assert proc.poll() is None and out.read_text() == "started\n"
    assert proc.stdin is not None
    proc.stdin.close()  # the ssh channel closed
    assert proc.wait(5) != 0
    done = _watched(["sh", "-c", "exit 3"], {})
    assert subprocess.run(["sh", "-c", done], stdin=subprocess.PIPE, timeout=5).returncode == 3


def test_job_node_targets_expand_hostlists() -> None:
    calls: list[list[str]] = []

    def runner(argv: Sequence[str], timeout: float = 30.0) -> tuple[int, str, str]:
        calls.append(list(argv))
        if argv[0] == "squeue":
            return 0, {"1": "n[1-2]\n", "2": "n2\n", "3": ""}[argv[3]], ""
        return 0, {"n[1-2]": "n1\nn2\n", "n2": "n2\n"}[argv[3]], ""

    cluster = HostInfo(name="c", kind="slurm", address="local")
    jobs = [
        JobInfo("r1", "slurm:c", "running", 0.0, handle={"slurm_job_id": "1"}),
        JobInfo("r2", "slurm:c", "running", 0.0, handle={"slurm_job_id": "2"}),
        JobInfo("r3", "slurm:c", "starting", 0.0, handle={"slurm_job_id": "3"}),
        JobInfo("r4", "slurm:c", "finished", 0.0, handle={"slurm_job_id": "4"}),
        JobInfo("r5", "slurm:other", "running", 0.0, handle={"slurm_job_id": "5"}),
    ]
    targets = job_node_targets(cluster, jobs, runner)
    assert [(t.name, t.job_ids, t.runs) for t in targets] == [
        ("slurm:c/n1", ("1",), ("r1",)),
        ("slurm:c/n2", ("1", "2"), ("r1", "r2")),
    ]
