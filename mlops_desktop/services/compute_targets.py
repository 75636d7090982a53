"""Targets of the JobService: parse "local" / "ssh:NAME" / "slurm:NAME", build executors, hosts.

"slurm:NAME" is a :class:`~mlops_desktop.compute.slurm.SlurmExecutor` either way: on this
machine for the local cluster (address "local"), through the login node over SSH for a cluster
added with ``hosts add NAME --ssh USER@LOGIN[:PORT] --slurm`` (its Slurm commands run with the
host's ``env``, e.g. ``SLURM_CONF``). Executors are imported lazily (the SSH and Slurm ones only
when such a target is used) and cached per target by :class:`TargetRegistry`.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from mlops_desktop.compute.executor import Executor
from mlops_desktop.core.compute import GpuInfo, HostInfo
from mlops_desktop.core.errors import HostError, JobError, SlurmNotAnswering

LOCAL_CLUSTER = HostInfo(name="local", kind="slurm", address="local")
FOUND_LOCAL_SLURM = "local Slurm (sinfo answered)"
SLURM_PROBE_TTL_S = 30.0  # how long an answer of the local sinfo is trusted
SLURM_PROBE_TIMEOUT_S = 10.0


_log = logging.getLogger(__name__)


def parse_target(target: str) -> tuple[str, str]:
    """("local", "") / ("ssh", NAME) / ("slurm", NAME), or JobError."""
    target = (target or "local").strip()
    if target == "local":
        return "local", ""
    kind, sep, name = target.partition(":")
    if sep and kind in ("ssh", "slurm") and name:
        return kind, name
    raise JobError(f"Unknown target {target!r}: use local, ssh:NAME or slurm:NAME.")


def local_slurm_available() -> bool:
    """Whether this machine can submit to a local Slurm (SLURM_CONF set or sbatch on PATH)."""
    return bool(os.environ.get("SLURM_CONF")) or shutil.which("sbatch") is not None


def gpu_infos(items: Any) -> list[GpuInfo]:
    """GpuInfo from a check's ``gpus`` (GpuInfo objects or dicts, or a Slurm cluster's GPU
    count), skipping malformed ones."""
    if isinstance(items, int):  # Slurm reports generic resources, not devices
        return [GpuInfo(index=i, name="GPU (Slurm gres)", memory_total=0, memory_used=0)
                for i in range(max(items, 0))]  # fmt: skip
    out: list[GpuInfo] = []
    for item in items or []:
        if isinstance(item, GpuInfo):
            out.append(item)
        elif isinstance(item, dict):
            try:
                out.append(
                    GpuInfo(
                        index=int(item.get("index", len(out))),
                        name=str(item.get("name", "")),
                        memory_total=int(item.get("memory_total") or 0),
                        memory_used=int(item.get("memory_used") or 0),
                        utilization=item.get("utilization", item.get("util")),
                        leased_by=item.get("leased_by"),
                    )
                )
            except (TypeError, ValueError):
                continue
    return out


class TargetRegistry:
    """Executors per target, built on first use, and the host inventory."""

    def __init__(self, home: Path, gpu_lock_dir: Path | None = None) -> None:
        self.home = Path(home)
        self.gpu_lock_dir = gpu_lock_dir
        self._executors: dict[str, Executor] = {}
        self._lock = threading.Lock()
        self._inventory: Any = None
        self._slurm_probe: tuple[float, SlurmNotAnswering | None] | None = None

    def inventory(self) -> Any:
        """The :class:`~mlops_desktop.compute.hosts.HostInventory` of the home."""
        if self._inventory is None:
            from mlops_desktop.compute.hosts import HostInventory

            self._inventory = HostInventory(self.home)
        return self._inventory

    def host(self, name: str) -> HostInfo:
        """The host or cluster called ``name`` (HostError when there is none)."""
        if name == "local" and local_slurm_available():
            try:
                found = self.inventory().get(name)
            except (KeyError, HostError):
                found = None
            return found if found is not None else LOCAL_CLUSTER
        try:
            found = self.inventory().get(name)
        except KeyError:
            found = None
        if found is None:
            raise HostError(
                f"No host is named {name!r}: add it with "
                f"`mlops-desktop hosts add {name} --ssh USER@HOST` (`hosts list` shows them)."
            )
        return found

    def validate(self, target: str) -> str:
        """The normalised target, once its host exists and has the right kind."""
        kind, name = parse_target(target)
        if kind == "local":
            return "local"
        if kind == "slurm" and name == "local" and not local_slurm_available():
            raise JobError("No local Slurm here: sbatch is not on PATH and SLURM_CONF is unset.")
        host = self.host(name)
        if kind == "slurm" and host.kind != "slurm":
            raise JobError(
                f"{name!r} is an SSH host, not a Slurm cluster: launch with --target ssh:{name}, "
                f"or add the login node with `hosts add NAME --ssh ... --slurm`."
            )
        return f"{kind}:{name}"

    def executor(self, target: str) -> Executor:
        """The cached executor of ``target``, built on first use."""
        target = self.validate(target)
        with self._lock:
            found = self._executors.get(target)
        if found is not None:
            return found
        kind, name = parse_target(target)
        built: Any
        if kind == "local":
            from mlops_desktop.compute.local import LocalExecutor

            built = LocalExecutor(self.home, lock_dir=self.gpu_lock_dir)
        elif kind == "ssh":
            from mlops_desktop.compute.ssh_executor import SshExecutor

            built = SshExecutor(self.host(name), self.home)
        else:
            from mlops_desktop.compute.slurm import SlurmExecutor

            built = SlurmExecutor(self.host(name), self.home)  # remote when not "local"
        with self._lock:
            return self._executors.setdefault(target, built)

    def hosts(self) -> list[HostInfo]:
        """Inventory hosts (added ones and ~/.ssh/config), plus the local Slurm when its
        ``sinfo`` answers (installed but not running, it is not listed)."""
        try:
            hosts = list(self.inventory().list())
        except ImportError:
            hosts = []
        listed = any(h.kind == "slurm" and h.name == "local" for h in hosts)
        if not listed and local_slurm_available() and self.local_slurm_problem() is None:
            hosts.append(dataclasses.replace(LOCAL_CLUSTER, found_by=FOUND_LOCAL_SLURM))
        return hosts

    def local_slurm_problem(self) -> SlurmNotAnswering | None:
        """Why the Slurm installed here does not answer ``sinfo`` (None: it answers, or none
        is installed); the answer is kept :data:`SLURM_PROBE_TTL_S` seconds."""
        if not local_slurm_available():
            return None
        now = time.monotonic()
        if self._slurm_probe is not None and now - self._slurm_probe[0] < SLURM_PROBE_TTL_S:
            return self._slurm_probe[1]
        from mlops_desktop.compute.slurm import run_local
        from mlops_desktop.compute.slurm_problems import slurm_problem

        problem: SlurmNotAnswering | None = None
        try:
            rc, out, err = run_local(["sinfo", "-h", "-o", "%P"], SLURM_PROBE_TIMEOUT_S)
        except HostError as exc:  # not installed, or no answer in time
            problem = SlurmNotAnswering(f"Slurm on local does not answer: {exc}.", str(exc))
        else:
            if rc != 0:
                raw = (err or out).strip()
                problem = SlurmNotAnswering(slurm_problem("local", "sinfo", raw, rc), raw)
        self._slurm_probe = (now, problem)
        return problem

    def add_host(
        self,
        name: str,
        ssh: str,
        identity: str | None,
        accept_host_key: str | None,
        kind: str,
        env: dict[str, str] | None = None,
    ) -> HostInfo:
        """Add a host or a cluster's login node (``env``: its Slurm commands' environment)."""
        if kind not in ("ssh", "slurm"):
            raise HostError(f"Unknown host kind {kind!r}: use ssh or slurm.")
        inv = self.inventory()
        kwargs: dict[str, Any] = {"identity": identity, "accept_host_key": accept_host_key}
        if "kind" in inspect.signature(inv.add).parameters:
            kwargs["kind"] = kind
        elif kind != "ssh":
            raise HostError("This version of the host inventory cannot add Slurm clusters.")
        if env:
            kwargs["env"] = env
        host: HostInfo = inv.add(name, ssh, **kwargs)
        self.forget_executors(name)  # a re-added host gets a fresh executor
        return host

    def forget_executors(self, name: str) -> None:
        """Drop (and close) the cached executors of host ``name``."""
        with self._lock:
            gone = [self._executors.pop(f"{kind}:{name}", None) for kind in ("ssh", "slurm")]
        for ex in gone:
            close = getattr(ex, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # a stale connection: nothing to keep
                    _log.debug("closing the executor of %s failed", name, exc_info=True)

    def close(self) -> None:
        with self._lock:
            executors, self._executors = list(self._executors.values()), {}
        for ex in executors:
            close = getattr(ex, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # best effort at shutdown
                    continue
