"""Where a pipeline stage runs, and bringing its outs home from an SSH host or a cluster.

- ``local``: the stage runs in the pipeline's folder in place (``code="none"``).
- ``slurm:NAME`` of a cluster on this machine (address "local"): in place too, since the
  nodes share this filesystem.
- ``ssh:NAME`` and ``slurm:NAME`` reached over SSH: the pipeline's folder is copied to the run's
  folder on the host (``code="folder"``: .gitignore respected), the stage runs there, and its
  declared outs are copied back into the pipeline's folder with rsync when it succeeded.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.errors import HostError, PipelineError
from mlops_desktop.core.pipelines import Stage
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.compute_targets import parse_target

FETCH_TIMEOUT_S = 600


def runs_in_place(jobs: JobService, target: str) -> bool:
    """Whether a stage on ``target`` writes straight into the pipeline's folder."""
    kind, name = parse_target(target)
    if kind == "local":
        return True
    return kind == "slurm" and jobs.targets.host(name).address == "local"


def _client(jobs: JobService, target: str) -> SshClient:
    executor: Any = jobs.targets.executor(target)
    client = getattr(executor, "client", None)
    if client is None and getattr(executor, "remote", None) is not None:
        client = executor.remote.client  # a cluster reached through its login node
    if not isinstance(client, SshClient):
        raise PipelineError(f"outs of a stage on {target} cannot be copied back.")
    return client


def fetch_outs(jobs: JobService, job: JobInfo, stage: Stage, root: Path) -> None:
    """Copy the declared outs of ``stage`` from the job's folder on its host into ``root``.

    Raises:
        PipelineError: rsync is missing here, or an out could not be copied (one sentence
            naming the out and the host).
    """
    if not stage.outs:
        return
    run_dir = str(job.handle.get("run_dir") or "")
    if not run_dir:
        raise PipelineError(f"stage {stage.name}: the job on {job.target} left no run folder.")
    if shutil.which("rsync") is None:
        raise PipelineError(
            f"stage {stage.name} ran on {job.target}, but rsync is not installed here to copy "
            "its outs back; install rsync."
        )
    client = _client(jobs, job.target)
    for out in stage.outs:
        remote = f"{run_dir}/code/{out.path}"
        local = root / out.path
        local.parent.mkdir(parents=True, exist_ok=True)
        is_dir = _remote_is_dir(client, remote)
        if is_dir is None:
            raise PipelineError(
                f"stage {stage.name} did not write {out.path} on {job.target}, which it declares "
                "in outs; fix its command or its outs."
            )
        source = client.rsync_destination(remote + ("/" if is_dir else ""))
        dest = str(local) + ("/" if is_dir else "")
        argv = ["rsync", "-a", "-s", "--delete", "-e", client.ssh_command(), source, dest]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines()
            raise PipelineError(
                f"the out {out.path} of stage {stage.name} could not be copied back from "
                f"{job.target}: {why[-1] if why else f'rsync exit code {done.returncode}'}."
            )


def _remote_is_dir(client: SshClient, path: str) -> bool | None:
    """True for a folder, False for a file, None when nothing is there."""
    quoted = shlex.quote(path)
    script = f"if [ -d {quoted} ]; then echo dir; elif [ -e {quoted} ]; then echo file; fi"
    try:
        out = client.run_sh(script, timeout=30).stdout.decode(errors="replace").strip()
    except HostError as exc:
        raise PipelineError(f"the outs on {client.host.name} cannot be reached: {exc}") from None
    return {"dir": True, "file": False}.get(out)
