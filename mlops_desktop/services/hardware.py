"""HardwareService: live hardware of every machine the app knows, mapped to runs, with history.

One :class:`HardwareWatch` samples this machine in-process (psutil and NVML) and streams every
other machine through one long-lived agent per host over its multiplexed ssh connection (Slurm
nodes through ``srun --overlap`` on the login host). Every update passes through the same steps
on its source's thread: processes mapped to runs, the idle-GPU tracker, the minute buckets that
the watch's keeper thread stores in the catalog. The keeper also follows the list of machines
(a Slurm job that starts adds its node) and the running runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlops_desktop.catalog import hw_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.errors import HostError, UserFacingError
from mlops_desktop.core.hardware import HostSample, HostUpdate, MonitoredHost, StoredBucket
from mlops_desktop.monitoring.demo_machine import DEMO_HOST, DEMO_MACHINE, DEMO_MARKER, DemoMachine
from mlops_desktop.monitoring.idle import IdleGpuTracker, IdleRun
from mlops_desktop.monitoring.local import LocalSampler
from mlops_desktop.monitoring.nvml_sampler import NvmlSampler
from mlops_desktop.monitoring.run_map import RunMapper, run_ids, with_run_names
from mlops_desktop.services import hardware_hosts
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.services.hardware_watch import HardwareWatch

_log = logging.getLogger(__name__)
LOCAL = "local"


class HardwareService(CatalogService):
    """What the Monitors pane and the ``hw`` command call.

    Args:
        history_days: how long the minute history stays in the catalog.
        nvml: a fake NVML module for this machine (tests and the demo), else the real one.
    """

    def __init__(
        self,
        catalog: Catalog,
        home: Path,
        experiments: ExperimentService,
        jobs: JobService,
        history_days: int = 7,
        nvml: object | None = None,
    ) -> None:
        super().__init__(catalog, home)
        self.experiments = experiments
        self.jobs = jobs
        self.history_days = history_days
        self._nvml = nvml
        self._local: LocalSampler | None = None
        self._demo: DemoMachine | None = None
        self._local_lock = threading.Lock()
        self._holder: tuple[float, str | None] = (0.0, None)
        self.idle = IdleGpuTracker()

    # -- machines --------------------------------------------------------------------------

    def hosts(self) -> list[MonitoredHost]:
        """This machine, the SSH hosts added in the app, the Slurm nodes of running jobs, and
        in a demo home the demo machine."""
        found = hardware_hosts.known_hosts(self.jobs)
        if self.demo_machine() is not None:
            found.append(DEMO_MACHINE)
        return found

    def demo_machine(self) -> DemoMachine | None:
        """The recorded demo machine, in a home where the demo was built (else None)."""
        if not (self.home / DEMO_MARKER).exists():
            return None
        with self._local_lock:
            if self._demo is None:
                self._demo = DemoMachine(self._demo_holder)
            return self._demo

    def _demo_holder(self) -> str | None:
        """The newest running run (the demo's live training), looked up every 10 s."""
        checked, run = self._holder
        if time.monotonic() - checked > 10.0:
            running = self.experiments.running_processes()
            run = running[-1].run_id if running else None
            self._holder = (time.monotonic(), run)
        return run

    def local_sampler(self) -> LocalSampler:
        with self._local_lock:
            if self._local is None:
                gpus = NvmlSampler(self._nvml) if self._nvml is not None else None
                self._local = LocalSampler(
                    nvml=gpus, lock_dir=self.jobs.targets.gpu_lock_dir, gpu_source="fake"
                )
            return self._local

    def mapper(self) -> RunMapper:
        """Runs started by hand (host, pid) and run names, fresh from the catalog."""
        return RunMapper(self.experiments.running_processes())

    # -- one sample ------------------------------------------------------------------------

    def sample(self, host: str = LOCAL, wait: float = 0.5) -> HostSample:
        """One sample of one machine, processes mapped to runs (blocks for about ``wait`` s
        locally, a few seconds for a remote machine).

        Raises:
            HostError: the machine is unknown or cannot be reached (one sentence).
        """
        demo = self.demo_machine() if host == DEMO_HOST else None
        if demo is not None:
            raw = demo.sample()
        elif host == LOCAL:
            sampler = self.local_sampler()
            sampler.sample()  # rates need two readings
            time.sleep(wait)
            raw = sampler.sample()
        else:
            raw = hardware_hosts.sample_remote(self.host(host), self, wait)
        mapper = self.mapper()
        sample = mapper.apply(raw)
        return self._named(sample)

    def sample_all(self, wait: float = 0.5) -> list[HostSample | HostError]:
        """One sample of every known machine, in parallel; an unreachable one is its error,
        whose sentence starts with the machine's name and ": "."""
        hosts = self.hosts()

        def one(h: MonitoredHost) -> HostSample | HostError:
            try:
                return self.sample(h.name, wait)
            except UserFacingError as exc:
                said = str(exc)
                return HostError(said if said.startswith(f"{h.name}: ") else f"{h.name}: {said}")

        with ThreadPoolExecutor(max_workers=min(8, max(1, len(hosts)))) as pool:
            return list(pool.map(one, hosts))

    def host(self, name: str) -> MonitoredHost:
        """A known machine by name (raises HostError naming the known ones)."""
        for h in self.hosts():
            if h.name == name:
                return h
        known = ", ".join(h.name for h in self.hosts())
        raise HostError(f"No machine named {name!r}: the app knows {known}.")

    def run_names(self, run_ids: Iterable[str]) -> dict[str, str]:
        """Names of runs by id: the catalog's, else the name its running job was launched with
        (a launched run is in the catalog only once its first records are ingested)."""
        ids = set(run_ids)
        names = self.experiments.run_names(ids) if ids else {}
        if missing := ids - set(names):
            for job in self.jobs.jobs(active_only=True):
                if job.run_id in missing:
                    names[job.run_id] = job.name or job.run_id[:8]
        return names

    def _named(self, sample: HostSample) -> HostSample:
        missing = run_ids(sample) - set(sample.extra.get("run_names", {}))
        return with_run_names(sample, self.run_names(missing)) if missing else sample

    # -- live ------------------------------------------------------------------------------

    def watch(
        self,
        on_update: Callable[[HostUpdate], None],
        interval: float = 1.0,
        hosts: list[str] | None = None,
        on_idle: Callable[[IdleRun], None] | None = None,
    ) -> HardwareWatch:
        """Sample every known machine (or ``hosts``) every ``interval`` s until stopped.

        ``on_update`` and ``on_idle`` are called from worker threads.
        """
        watch = HardwareWatch(self, on_update, interval, hosts, on_idle)
        watch.start()
        return watch

    def idle_runs(self) -> dict[str, IdleRun]:
        """Runs whose GPUs have stayed idle (see :mod:`mlops_desktop.monitoring.idle`)."""
        return self.idle.idle_runs()

    # -- history ---------------------------------------------------------------------------

    def stored_history(
        self, host: str, since: float, until: float | None = None
    ) -> list[StoredBucket]:
        """The minute history of a machine kept in the catalog."""
        return hw_repo.load_buckets(self.catalog, host, since, until)

    def store_history(self, buckets: list[StoredBucket]) -> None:
        """Keep finished minutes in the catalog (nothing on a catalog that takes no writes:
        the desktops that may write keep the history)."""
        if buckets and self.catalog.access.writable:
            hw_repo.save_buckets(self.catalog, buckets)

    def prune_history(self) -> None:
        if not self.catalog.access.writable:
            return
        hw_repo.prune(self.catalog, time.time() - self.history_days * 86400.0)

    def close(self) -> None:
        with self._local_lock:
            local, self._local = self._local, None
            demo, self._demo = self._demo, None
        for sampler in (local, demo):
            if sampler is not None:
                sampler.close()
