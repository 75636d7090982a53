"""Removing a host and accepting a host's new key, for :class:`~.compute.JobService`.

A removed host's runs and jobs stay in the catalog. While jobs are active on it, removal is
refused unless forced; forcing records them as "lost" (their processes on the host are left
alone: the app can no longer reach them). Accepting a new key needs the fingerprint the host
offers now, given by the person after checking it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mlops_desktop.catalog import job_repo
from mlops_desktop.core.compute import HostKeyChange
from mlops_desktop.core.errors import HostError

if TYPE_CHECKING:
    from mlops_desktop.services.compute import JobService
    from mlops_desktop.services.compute_targets import TargetRegistry

MAX_IDS_SHOWN = 5


def remove_host(service: JobService, name: str, force: bool = False) -> dict[str, object]:
    """Remove host ``name`` added in the app and its known_hosts entries.

    Returns:
        {name, address, known_hosts_removed, jobs_lost: [run ids]}.

    Raises:
        HostError: no such host, it comes from ~/.ssh/config, or jobs are active there and
            ``force`` is false.
    """
    host = service.targets.host(name)
    active = [j for j in service.jobs(active_only=True) if j.target.partition(":")[2] == name]
    if active and not force:
        ids = ", ".join(j.run_id[:8] for j in active[:MAX_IDS_SHOWN])
        raise HostError(
            f"{name} still has {len(active)} active job(s) ({ids}): cancel them first "
            "(`jobs cancel RUN`), or remove the host anyway with --force."
        )
    removed = service.targets.inventory().remove(name)
    service.targets.forget_executors(name)
    detail = f"the host {name} was removed; its processes there were not stopped"
    with service.catalog.session_scope(write=True) as s:
        for job in active:
            job_repo.update_job(s, job.run_id, state="lost", ended_at=time.time(), detail=detail)
    return {
        "name": name,
        "address": host.address,
        "known_hosts_removed": int(removed or 0),
        "jobs_lost": [j.run_id for j in active],
    }


def rekey_host(
    targets: TargetRegistry, name: str, accept_host_key: str | None = None
) -> HostKeyChange:
    """Replace host ``name``'s stored key by the one it offers now, when ``accept_host_key`` is
    that key's fingerprint.

    Raises:
        HostKeyChanged: the key changed and was not confirmed (carries both fingerprints and
            names the command that accepts it).
        HostError: unknown or unreachable host, or a fingerprint that is not the offered one
            (nothing is changed).
    """
    targets.host(name)
    change: HostKeyChange = targets.inventory().rekey(name, accept_host_key)
    if change.replaced:
        targets.forget_executors(name)  # a stale master connection is not reused
    return change
