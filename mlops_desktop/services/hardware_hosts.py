"""Which machines the hardware watch follows, and the source that samples each.

This machine always; every SSH host added in the app (hosts that only come from
``~/.ssh/config`` while a job of the app runs there, so the app never dials hosts the person
did not ask for); and the node of every running Slurm job of the app, reached through its
cluster (``srun --overlap`` on the login host).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.core.compute import HostInfo, JobInfo
from mlops_desktop.core.errors import HostError
from mlops_desktop.core.hardware import HostSample, HostUpdate, MonitoredHost
from mlops_desktop.monitoring.remote import AgentStream, SshAgentSource
from mlops_desktop.monitoring.slurm_nodes import (
    SlurmAgentSource,
    SlurmNode,
    job_node_targets,
    slurm_runner,
)
from mlops_desktop.monitoring.watch import PollingSource

if TYPE_CHECKING:
    from mlops_desktop.services.compute import JobService
    from mlops_desktop.services.hardware import HardwareService

_log = logging.getLogger(__name__)
LOCAL = "local"
ONE_SAMPLE_TIMEOUT_S = 30.0
NODES_TTL_S = 10.0
NO_NODES_TTL_S = 2.0
# (cluster, run ids) -> (monotonic time the answer is good until, the nodes)
_NODES: dict[tuple[str, tuple[str, ...]], tuple[float, list[SlurmNode]]] = {}
_NODES_LOCK = threading.Lock()


def _running_targets(jobs: list[JobInfo]) -> set[str]:
    return {j.target for j in jobs if j.state in ("starting", "running")}


def _cluster_jobs(active: list[JobInfo], cluster: str) -> list[JobInfo]:
    """The app's unfinished jobs on ``cluster``; a "queued" one counts as started, since the
    catalog's state lags Slurm's until someone refreshes the jobs (squeue lists no node for a
    job that still waits)."""
    mine = [j for j in active if j.target == f"slurm:{cluster}"]
    return [replace(j, state="starting") if j.state == "queued" else j for j in mine]


def known_hosts(jobs: JobService) -> list[MonitoredHost]:
    """This machine, the SSH hosts, and the nodes of running Slurm jobs (see the module)."""
    found = [MonitoredHost(LOCAL, "local", "", f"this computer ({socket.gethostname()})")]
    active = jobs.jobs(active_only=True)
    busy = _running_targets(active)
    hosts = jobs.hosts()
    for host in hosts:
        if host.kind == "ssh" and (not host.from_ssh_config or f"ssh:{host.name}" in busy):
            found.append(MonitoredHost(host.name, "ssh", host.address, "SSH host"))
    for host in hosts:
        mine = _cluster_jobs(active, host.name)
        if host.kind == "slurm" and mine:
            found += [_node_host(n) for n in _slurm_nodes(host, mine, jobs.home)]
    return found


def _slurm_nodes(cluster: HostInfo, jobs: list[JobInfo], home: Path) -> list[SlurmNode]:
    """The nodes of the app's running jobs on ``cluster`` (none when it cannot be reached:
    the jobs pane says why)."""
    key = (cluster.name, tuple(sorted(j.run_id for j in jobs)))
    now = time.monotonic()
    with _NODES_LOCK:
        cached = _NODES.get(key)
    if cached is not None and now < cached[0]:
        return cached[1]
    try:
        nodes = job_node_targets(cluster, jobs, slurm_runner(cluster, home))
    except HostError as exc:
        _log.info("Slurm nodes of %s not listed: %s", cluster.name, exc)
        nodes = []
    # no node yet (the jobs wait in the queue): ask again soon, so a node shows as its job starts
    until = now + (NODES_TTL_S if nodes else NO_NODES_TTL_S)
    with _NODES_LOCK:
        for old in [k for k, (good_until, _) in _NODES.items() if good_until <= now]:
            del _NODES[old]
        _NODES[key] = (until, nodes)
    return nodes


def _node_host(node: SlurmNode) -> MonitoredHost:
    runs = ", ".join(r[:8] for r in node.runs)
    via = "this machine" if node.cluster.address == "local" else node.cluster.address
    return MonitoredHost(
        node.name, "slurm", via, f"Slurm node of job {', '.join(node.job_ids)} (run {runs})"
    )


def _node(name: str, service: HardwareService) -> SlurmNode:
    cluster_name, _, node = name.removeprefix("slurm:").partition("/")
    active = service.jobs.jobs(active_only=True)
    cluster = service.jobs.targets.host(cluster_name)
    for found in _slurm_nodes(cluster, _cluster_jobs(active, cluster_name), service.home):
        if found.node == node:
            return found
    raise HostError(f"{name}: no job of this app runs on that node now.")


def start_command(
    host: MonitoredHost, service: HardwareService, interval: float
) -> Callable[[], list[str]]:
    """What starts the agent of a remote machine (called again at every reconnect)."""
    if host.kind == "ssh":
        return SshAgentSource(service.jobs.targets.host(host.name), service.home, interval)
    node = _node(host.name, service)
    return SlurmAgentSource(node, service.home, interval)


def source_for(
    host: MonitoredHost,
    service: HardwareService,
    interval: float,
    deliver: Callable[[HostUpdate], None],
) -> PollingSource | AgentStream:
    """The live source of one machine (not started)."""
    if host.kind == "local":
        return PollingSource(LOCAL, service.local_sampler().sample, interval, deliver)
    if host.kind == "demo":
        demo = service.demo_machine()
        if demo is None:
            raise HostError("The demo machine exists only in a home where the demo was built.")
        return PollingSource(host.name, demo.sample, interval, deliver)
    try:
        command = start_command(host, service, interval)
    except HostError as exc:
        problem = str(exc)

        def fail() -> list[str]:
            raise HostError(problem)

        command = fail
    return AgentStream(host.name, command, interval, deliver)


def sample_remote(host: MonitoredHost, service: HardwareService, wait: float) -> HostSample:
    """One sample of a remote machine: its agent started, the first sample taken, stopped.

    Raises:
        HostError: the machine cannot be reached (ssh's own line), or gave no sample in time.
    """
    got: queue.Queue[HostUpdate] = queue.Queue()
    stream = source_for(host, service, max(0.2, wait), got.put)
    stream.start()
    deadline = time.monotonic() + ONE_SAMPLE_TIMEOUT_S
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                update = got.get(timeout=left)
            except queue.Empty:
                break
            if update.sample is not None:
                return update.sample
            if update.state == "unreachable" and update.problem:
                raise HostError(update.problem)
        raise HostError(f"{host.name}: no sample within {ONE_SAMPLE_TIMEOUT_S:g} s.")
    finally:
        stream.stop()
