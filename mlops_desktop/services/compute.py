"""JobService: launch runs on targets, watch them, cancel them, manage hosts.

CONTRACT written first so the GUI, the command line and the executors can be built in
parallel; the implementer replaces the bodies and keeps the signatures (adding is fine).
Synchronous and possibly slow (ssh, Slurm): the GUI calls it on worker threads only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mlops_desktop.core.compute import GpuInfo, HostInfo, JobInfo, RunSpec


class JobService:
    """Facade over executors, the jobs table and the host inventory."""

    def __init__(self, catalog: object, home: Path) -> None:
        raise NotImplementedError

    def launch(self, spec: RunSpec) -> JobInfo:
        """Create the run id, stage the code, start the job; returns at once (state
        "queued" or "starting"/"running")."""
        raise NotImplementedError

    def jobs(self, active_only: bool = False) -> list[JobInfo]:
        """Jobs, newest first."""
        raise NotImplementedError

    def get(self, run_id: str) -> JobInfo:
        raise NotImplementedError

    def refresh(self) -> list[JobInfo]:
        """Poll every active job, mirror remote spools into the home, record state changes;
        returns the jobs whose state changed. The app calls it about every second."""
        raise NotImplementedError

    def cancel(self, run_id: str, grace_s: float | None = None) -> JobInfo:
        raise NotImplementedError

    def logs(self, run_id: str, offset: int = 0) -> tuple[str, int]:
        """Log text from ``offset`` (mirrored first for remote jobs); (text, next offset)."""
        raise NotImplementedError

    def follow(self, run_id: str, poll_s: float = 0.5) -> Iterator[str]:
        """Yield new log text until the job ends (for ``jobs logs --follow``)."""
        raise NotImplementedError

    def hosts(self) -> list[HostInfo]:
        """Hosts added in the app and hosts of ~/.ssh/config, and Slurm clusters."""
        raise NotImplementedError

    def add_host(
        self,
        name: str,
        ssh: str,
        identity: str | None = None,
        accept_host_key: str | None = None,
        kind: str = "ssh",
    ) -> HostInfo:
        """Add an SSH host (or a Slurm login node with ``kind="slurm"``). A new host's key
        must be confirmed: without ``accept_host_key`` this raises HostKeyUnconfirmed
        carrying the fingerprint to show."""
        raise NotImplementedError

    def check_host(self, name: str) -> dict[str, object]:
        """{reachable, python, gpus: [...], disk_free, rsync, error}."""
        raise NotImplementedError

    def gpus(self, target: str = "local") -> list[GpuInfo]:
        """GPUs of a target with their use and leases."""
        raise NotImplementedError
