"""What the Monitors pane needs of the hardware service (``services.hardware``), as protocols.

The pane codes against these so tests and benchmarks can feed it synthetic samples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from mlops_desktop.core.hardware import HostUpdate, MonitoredHost, StoredBucket
from mlops_desktop.monitoring.idle import IdleRun


class HardwareWatchHandle(Protocol):
    """A running watch: sampling every known machine on worker threads."""

    def stop(self) -> None: ...

    def set_interval(self, seconds: float) -> None: ...


class HardwareSource(Protocol):
    """The machines to watch, their live updates and their stored minutes."""

    def hosts(self) -> list[MonitoredHost]: ...

    def watch(
        self, on_update: Callable[[HostUpdate], None], interval: float = 1.0
    ) -> HardwareWatchHandle:
        """Start sampling; ``on_update`` is called from worker threads."""
        ...

    def stored_history(
        self, host: str, since: float, until: float | None = None
    ) -> list[StoredBucket]:
        """Minute buckets from the catalog (blocking: call it through the TaskRunner)."""
        ...

    def idle_runs(self) -> dict[str, IdleRun]:
        """Running runs whose GPUs have stayed idle, by run id (in memory, cheap)."""
        ...
