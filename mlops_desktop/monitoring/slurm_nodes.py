"""The nodes of the app's running Slurm jobs, and the agent run on each through ``srun``.

A node is watched through one of the app's own jobs there: ``srun --jobid=ID --overlap
--nodes=1 --ntasks=1 -w NODE`` starts the agent as an extra step of that job, sharing its CPUs
(and seeing its GPUs where Slurm confines devices), so it needs no login to the node and ends
with the job. For a cluster on this machine (address "local") srun runs here with the local
package on ``PYTHONPATH``; for a cluster behind a login host it runs there over the SSH
connection, with the agent shipped by :func:`~.agent_ship.ensure_agent` (the cluster's nodes
share that folder with the login host). There a watcher ends srun when the ssh channel closes
(its stdin reaches EOF), since srun would not notice by itself. Names in the app:
``slurm:CLUSTER/NODE``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlops_desktop.compute.slurm import CommandRunner, run_local
from mlops_desktop.compute.slurm_remote import SshRunner
from mlops_desktop.compute.slurm_script import package_root
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import HostInfo, JobInfo
from mlops_desktop.core.errors import HostError
from mlops_desktop.monitoring.agent_ship import AGENT_MODULE, agent_args, ensure_agent, env_words

ACTIVE_JOB_STATES = ("starting", "running")


def node_host_name(cluster: str, node: str) -> str:
    """The app's name of a Slurm node: ``slurm:CLUSTER/NODE``."""
    return f"slurm:{cluster}/{node}"


def slurm_runner(cluster: HostInfo, home: Path) -> CommandRunner:
    """Runs Slurm's commands for ``cluster``: here, or on its login host over SSH."""
    if cluster.address == "local":
        return run_local
    return SshRunner(SshClient(cluster, Path(home)), cluster.env)


def job_nodes(runner: CommandRunner, job_id: str) -> list[str]:
    """The nodes job ``job_id`` runs on (none while it waits or once it has ended).

    Raises:
        HostError: the cluster cannot be reached.
    """
    rc, out, _ = runner(["squeue", "-h", "-j", str(job_id), "-o", "%N"])
    hostlist = out.strip().splitlines()[0].strip() if rc == 0 and out.strip() else ""
    if not hostlist or hostlist == "(null)":
        return []
    rc, out, err = runner(["scontrol", "show", "hostnames", hostlist])
    if rc != 0:
        raise HostError(f"Slurm's scontrol could not expand {hostlist!r}: {err.strip() or rc}")
    return [line.strip() for line in out.splitlines() if line.strip()]


@dataclass(frozen=True)
class SlurmNode:
    """A node of a cluster to watch, and the app's jobs running there (any one will do)."""

    cluster: HostInfo
    node: str
    job_ids: tuple[str, ...] = ()
    runs: tuple[str, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        return node_host_name(self.cluster.name, self.node)


def job_node_targets(
    cluster: HostInfo, jobs: Iterable[JobInfo], runner: CommandRunner
) -> list[SlurmNode]:
    """The nodes the app's running jobs on ``cluster`` use, one entry per node.

    Raises:
        HostError: the cluster cannot be reached.
    """
    found: dict[str, tuple[list[str], list[str]]] = {}
    for job in jobs:
        job_id = str(job.handle.get("slurm_job_id") or "")
        if job.target != f"slurm:{cluster.name}" or job.state not in ACTIVE_JOB_STATES:
            continue
        if not job_id.isdigit():
            continue
        for node in job_nodes(runner, job_id):
            ids, runs = found.setdefault(node, ([], []))
            ids.append(job_id)
            runs.append(job.run_id)
    return [
        SlurmNode(cluster, node, tuple(ids), tuple(runs)) for node, (ids, runs) in found.items()
    ]


def srun_argv(
    job_id: str,
    node: str,
    pythonpath: str,
    interval: float,
    python: str = "python3",
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """The ``srun`` argv that runs the agent as an overlapping step of ``job_id`` on ``node``.

    Raises:
        HostError: an environment name that is not one.
    """
    extra = [shlex.split(word)[0] for word in env_words(env)]  # checked names, unquoted here
    return [
        "srun",
        f"--jobid={job_id}",
        "--overlap",
        "--nodes=1",
        "--ntasks=1",
        "-w",
        node,
        "--input=none",
        "--job-name=mlops-hw-agent",
        "env",
        f"PYTHONPATH={pythonpath}",
        *extra,
        python,
        "-u",
        "-m",
        AGENT_MODULE,
        *agent_args(interval),
    ]


def _watched(argv: list[str], env: Mapping[str, str]) -> str:
    """A remote sh script: run ``argv`` (with ``env K=V``), kill it when stdin reaches EOF."""
    prefix = ["env", *(f"{k}={v}" for k, v in env.items())] if env else []
    cmd = shlex.join([*prefix, *argv])
    return (
        f"cd / || exit 1; exec 3<&0; {cmd} </dev/null 3<&- & p=$!; "
        '{ cat <&3; kill -TERM "$p"; } >/dev/null 2>&1 & w=$!; '
        'exec 3<&-; wait "$p"; rc=$?; kill "$w" 2>/dev/null; exit "$rc"'
    )


class SlurmAgentSource:
    """The ``start_command`` of a Slurm node: a job of the app still running there, then srun.

    Args:
        target: the node and the app's jobs on it.
        home: the app's home (known_hosts and master connections for a login host).
        interval: the agent's seconds between samples.
        env: extra variables for the agent (e.g. ``MLOPS_DESKTOP_FAKE_GPUS`` in tests).
    """

    def __init__(
        self,
        target: SlurmNode,
        home: Path,
        interval: float,
        env: Mapping[str, str] | None = None,
        python: str = "python3",
    ) -> None:
        self.target = target
        self.home = Path(home)
        self.interval = interval
        self.env = dict(env or {})
        self.python = python
        self.runner = slurm_runner(target.cluster, self.home)

    def job_id(self) -> str:
        """A job of the app still running on the node.

        Raises:
            HostError: none is (the jobs ended), or the cluster cannot be reached.
        """
        for job_id in self.target.job_ids:
            if self.target.node in job_nodes(self.runner, job_id):
                return job_id
        jobs = ", ".join(self.target.job_ids) or "none"
        raise HostError(f"{self.target.name}: no job of this app runs there any more ({jobs}).")

    def __call__(self) -> list[str]:
        job_id = self.job_id()
        cluster = self.target.cluster
        if cluster.address == "local":
            argv = srun_argv(job_id, self.target.node, str(package_root()), self.interval,
                             self.python, self.env)  # fmt: skip
            prefix = ["env", *(f"{k}={v}" for k, v in cluster.env.items())] if cluster.env else []
            return [*prefix, *argv]
        client = SshClient(cluster, self.home)
        lib = ensure_agent(client, timeout=30.0)
        argv = srun_argv(job_id, self.target.node, lib, self.interval, self.python, self.env)
        return client.argv(shlex.join(["sh", "-c", _watched(argv, cluster.env)]))
