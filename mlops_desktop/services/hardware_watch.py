"""A live watch over the app's machines: one source per machine, one keeper thread.

Each source (the in-process sampler for this machine, an agent stream for every other one)
calls :meth:`HardwareWatch._deliver` on its own thread. The keeper thread, every few seconds,
follows the list of machines (a Slurm job that starts brings its node), refreshes which runs
hold which pids, and stores completed minute buckets in the catalog.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.hardware import HostUpdate, MonitoredHost
from mlops_desktop.monitoring.buckets import MinuteBuckets
from mlops_desktop.monitoring.idle import IdleRun
from mlops_desktop.monitoring.run_map import RunMapper, run_ids, with_run_names
from mlops_desktop.services import hardware_hosts

if TYPE_CHECKING:
    from mlops_desktop.services.hardware import HardwareService

_log = logging.getLogger(__name__)
KEEPER_PERIOD_S = 5.0
PRUNE_PERIOD_S = 3600.0


class HardwareWatch:
    """Sampling of the app's machines until :meth:`stop`; see the module docstring."""

    def __init__(
        self,
        service: HardwareService,
        on_update: Callable[[HostUpdate], None],
        interval: float,
        hosts: list[str] | None,
        on_idle: Callable[[IdleRun], None] | None,
    ) -> None:
        self.service = service
        self._on_update = on_update
        self._on_idle = on_idle
        self.interval = max(0.1, float(interval))
        self._only = set(hosts) if hosts is not None else None
        self._sources: dict[str, Any] = {}
        self._mapper = RunMapper()
        self._names: dict[str, str] = {}
        self._seen_runs: set[str] = set()
        self._buckets = MinuteBuckets()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._keeper = threading.Thread(target=self._keep, name="hw-keeper", daemon=True)
        self._last_prune = 0.0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the keeper: it lists the machines at once (off the caller's thread: listing
        Slurm nodes may ask a login host) and starts a source for each."""
        self._keeper.start()

    def set_interval(self, seconds: float) -> None:
        self.interval = max(0.1, float(seconds))
        with self._lock:
            sources = list(self._sources.values())
        for source in sources:
            source.set_interval(self.interval)

    def hosts(self) -> list[str]:
        with self._lock:
            return list(self._sources)

    def stop(self) -> None:
        """Stop every source (no agent left behind) and store the current minute."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._keeper.is_alive():
            self._keeper.join(10)
        with self._lock:
            sources, self._sources = list(self._sources.values()), {}
        for source in sources:
            try:
                source.stop()
            except Exception:  # best effort: the others must stop too
                _log.warning("Stopping a hardware source failed", exc_info=True)
        with self._lock:
            done = self._buckets.flush()
        self._store(done)

    # -- updates (source threads) ----------------------------------------------------------

    def _deliver(self, update: HostUpdate) -> None:
        if update.sample is not None:
            with self._lock:
                mapper, names = self._mapper, self._names
            sample = with_run_names(mapper.apply(update.sample), names)
            ids = run_ids(sample)
            with self._lock:
                became = self.service.idle.update(sample)
                self._buckets.add(sample)
                self._seen_runs |= ids
            update = dataclasses.replace(update, sample=sample)
            for idle in became:
                _log.warning(
                    "Run %s has left its GPUs %s on %s idle since %s",
                    idle.run_id,
                    list(idle.gpus),
                    idle.host,
                    time.strftime("%H:%M", time.localtime(idle.since)),
                )
                if self._on_idle is not None:
                    self._on_idle(idle)
        if not self._stop.is_set() or update.state == "stopped":
            self._on_update(update)

    # -- keeper ----------------------------------------------------------------------------

    def _keep(self) -> None:
        self._tick()
        while not self._stop.wait(KEEPER_PERIOD_S):
            self._tick()

    def _tick(self) -> None:
        try:
            self._refresh_runs()
            self._follow_hosts()
            with self._lock:
                done = self._buckets.completed()
            self._store(done)
            if time.time() - self._last_prune > PRUNE_PERIOD_S:
                self._last_prune = time.time()
                self.service.prune_history()
        except UserFacingError as exc:  # a locked or unreachable catalog: try again later
            _log.warning("Hardware watch: %s", exc)
        except Exception:
            _log.exception("Hardware watch keeper failed; it keeps going")

    def _refresh_runs(self) -> None:
        mapper = self.service.mapper()
        with self._lock:
            seen = set(self._seen_runs)
        missing = seen - set(self._names) - set(mapper.names)
        names = dict(self._names)
        names.update(mapper.names)
        if missing:
            names.update(self.service.run_names(missing))
        with self._lock:
            self._mapper, self._names = mapper, names

    def _follow_hosts(self) -> None:
        wanted = {
            h.name: h for h in self.service.hosts() if self._only is None or h.name in self._only
        }
        with self._lock:
            gone = [name for name in self._sources if name not in wanted]
            new = [h for name, h in wanted.items() if name not in self._sources]
        for name in gone:
            with self._lock:
                source = self._sources.pop(name, None)
            if source is not None:
                source.stop()
        for host in new:
            if self._stop.is_set():
                return
            self._start_source(host)

    def _start_source(self, host: MonitoredHost) -> None:
        source = hardware_hosts.source_for(host, self.service, self.interval, self._deliver)
        with self._lock:
            if self._stop.is_set():
                return
            self._sources[host.name] = source
        source.start()

    def _store(self, buckets: list[Any]) -> None:
        if not buckets:
            return
        try:
            self.service.store_history(buckets)
        except UserFacingError as exc:
            _log.warning("Hardware history not stored: %s", exc)
