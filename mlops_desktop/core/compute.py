"""Dataclasses for launching runs: the run spec, jobs, hosts and GPUs. No Qt, no SQL.

A *job* is the execution of one run on one target; its state lives in the catalog (``job``
table) so the app finds it again after a restart. Targets are written "local", "ssh:NAME" or
"slurm:NAME".
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

JOB_STATES = ("queued", "starting", "running", "finished", "failed", "cancelled", "lost")
TERMINAL_STATES = frozenset({"finished", "failed", "cancelled", "lost"})


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What to run and where.

    Attributes:
        command: argv of the command (never a shell string), e.g. ["python", "train.py"].
        target: "local", "ssh:NAME" or "slurm:NAME".
        code: "cwd" (git-tracked files plus uncommitted changes of ``workdir``), "folder" (all of
            ``workdir`` with .gitignore respected) or "none" (run in ``workdir`` in place; local).
        workdir: the local folder the code comes from (absolute).
        env: extra environment variables.
        python: the interpreter or virtual environment on the target ("python3" by default).
        gpus: how many GPUs (0 for none); ``gpu_indices`` picks specific ones instead.
        experiment, name: of the run the job creates.
        datasets: dataset versions to make available, "name@v3".
        slurm: partition, time, mem, cpus for Slurm targets.
        cancel_grace_s: SIGTERM, then SIGKILL after this many seconds.
        parent_run_id: the run this one is a child of (a pipeline run's stages), recorded on
            the queued run and in the launcher's start event.
    """

    command: list[str]
    target: str = "local"
    code: str = "none"
    workdir: str = ""
    env: dict[str, str] = field(default_factory=dict)
    python: str = "python3"
    gpus: int = 0
    gpu_indices: list[int] | None = None
    experiment: str = "Default"
    name: str | None = None
    datasets: list[str] = field(default_factory=list)
    slurm: dict[str, str] = field(default_factory=dict)
    cancel_grace_s: float = 30.0
    parent_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class JobInfo:
    """One job as the jobs view and ``jobs list`` show it."""

    run_id: str
    target: str
    state: str
    submitted_at: float
    started_at: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    gpus: list[int] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    experiment: str = ""
    name: str = ""
    detail: str = ""  # why it is queued / lost, the Slurm job id, ...
    handle: dict[str, Any] = field(default_factory=dict)  # the executor's own data (pid, ...)
    user: str | None = None  # the OS user who launched it (None: not recorded)
    host: str | None = None  # the machine it was launched from


@dataclass(frozen=True, slots=True)
class GpuInfo:
    """One GPU as a target reports it."""

    index: int
    name: str
    memory_total: int  # bytes
    memory_used: int
    utilization: float | None = None  # percent
    leased_by: str | None = None  # run id holding its lease


@dataclass(frozen=True, slots=True)
class HostInfo:
    """An SSH host or Slurm cluster the app can launch on.

    Attributes:
        env: environment for the cluster's Slurm commands run on its login node, e.g.
            ``{"SLURM_CONF": "/etc/slurm/other.conf"}`` (applied as ``env K=V``, quoted).
        added_at: when the person added it (epoch seconds; None for older entries and for
            hosts the app found).
        found_by: how the app found a host nobody added ("local Slurm (sinfo answered)").
    """

    name: str
    kind: str  # "ssh" or "slurm"
    address: str  # [user@]host[:port] or "local"
    identity: str | None = None
    remote_root: str = "~/.mlops-desktop/runs"
    from_ssh_config: bool = False
    host_key: str | None = None  # "SHA256:..." once confirmed
    env: dict[str, str] = field(default_factory=dict)
    added_at: float | None = None
    found_by: str = ""


@dataclass(frozen=True)
class HostKeyChange:
    """What ``hosts rekey`` found and did.

    Attributes:
        name: the host.
        address: its ``[user@]host[:port]``.
        stored: fingerprint of the key the app knew before (None when it knew none).
        offered: fingerprint of the key the host offers now.
        replaced: whether the stored key was replaced by the offered one.
    """

    name: str
    address: str
    stored: str | None
    offered: str
    replaced: bool


DEFAULT_PYTHON = "python3"
_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)*)?")


def is_python_program(program: str) -> bool:
    """True for a bare interpreter name a command may start with: python, python3, python3.11."""
    return _PYTHON_NAME.fullmatch(program) is not None


def chosen_python(spec: RunSpec) -> str | None:
    """The interpreter the person chose for ``spec`` (``--python``, the dialog's Python field),
    or None when they kept the default; a virtual environment's folder gives its bin/python."""
    py = (spec.python or "").strip()
    if not py or py == DEFAULT_PYTHON:
        return None
    if "python" not in py.rstrip("/").rsplit("/", 1)[-1]:
        return py.rstrip("/") + "/bin/python"
    return py


def command_with_python(command: list[str], python: str | None) -> list[str]:
    """``command`` with a leading python/python3 replaced by ``python`` (when one was chosen)."""
    if python and command and is_python_program(command[0]):
        return [python, *command[1:]]
    return list(command)


@dataclass(frozen=True, slots=True)
class JobUsage:
    """What a job's run used at its latest hardware sample (None: not sampled yet).

    Attributes:
        run_name: the run's name in the catalog ("" before its start arrived).
        cpu_percent: of one core, summed over the run's processes.
        rss_mb: resident memory of the run's processes, MiB.
        gpu_util: mean utilisation of the run's GPUs, percent.
        gpu_mem_mb: memory used on the run's GPUs, MiB in all.
        sampled_at: when the latest sample was taken (epoch seconds).
    """

    run_name: str = ""
    cpu_percent: float | None = None
    rss_mb: float | None = None
    gpu_util: float | None = None
    gpu_mem_mb: float | None = None
    sampled_at: float | None = None


def host_origin(host: HostInfo) -> str:
    """Where a host in the list comes from, for people: "added by you on 2026-03-02",
    "found in ~/.ssh/config", "found: local Slurm (sinfo answered)"."""
    if host.found_by:
        return f"found: {host.found_by}"
    if host.from_ssh_config:
        return "found in ~/.ssh/config"
    if host.added_at:
        return "added by you on " + time.strftime("%Y-%m-%d", time.localtime(host.added_at))
    return "added by you"
