"""A fake hardware service for the Monitors pane: synthetic samples, updates from a thread."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from mlops_desktop.core.hardware import (
    ENERGY_COUNTER,
    GpuLeaseHolder,
    GpuSample,
    HostSample,
    HostUpdate,
    MonitoredHost,
    ProcessSample,
    StoredBucket,
)
from mlops_desktop.monitoring.idle import IdleRun

GIB = 1024**3


def synthetic_sample(
    host: str, t: float, gpus: int = 2, run: str | None = "run0001abcd"
) -> HostSample:
    """A plausible machine at ``t``: load waves, the first GPU leased to ``run``."""
    wave = 0.5 + 0.5 * math.sin(t / 7.0 + len(host))
    gpu_list = tuple(
        GpuSample(
            index=i,
            name="NVIDIA A100-SXM4-80GB",
            util=100.0 * ((wave + i * 0.13) % 1.0),
            memory_used=int((10 + 5 * i) * GIB),
            memory_total=80 * GIB,
            temperature=40.0 + 30.0 * wave,
            power=60.0 + 300.0 * wave,
            power_limit=400.0,
            energy_j=1000.0 * t,
            energy_source=ENERGY_COUNTER,
            lease=GpuLeaseHolder(run=run, pid=4242, user="alice", since=t - 100)
            if i == 0 and run
            else None,
        )
        for i in range(gpus)
    )
    processes = (
        ProcessSample(
            pid=4242,
            user="alice",
            command="python train.py --lr 0.1",
            cpu_percent=180.0 * wave,
            rss=3 * GIB,
            gpu_memory=10 * GIB,
            gpus=(0,),
            sm_share=90.0 * wave,
            run=run,
        ),
        ProcessSample(pid=99, user="root", command="sshd", cpu_percent=0.5, rss=8 << 20),
    )
    return HostSample(
        host=host,
        time=t,
        cpu_percent=100.0 * wave,
        memory_used=int(20 * GIB * (1 + wave)),
        memory_total=64 * GIB,
        gpus=gpu_list,
        processes=processes,
        gpu_source="fake",
    )


class FakeWatch:
    def __init__(self, on_update: Callable[[HostUpdate], None], interval: float) -> None:
        self.on_update = on_update
        self.interval = interval
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    def set_interval(self, seconds: float) -> None:
        self.interval = seconds


class FakeHardware:
    """``hosts()``, ``watch()`` and ``stored_history()`` over given machines; tests push updates."""

    def __init__(self, names: list[str]) -> None:
        self.machines = [
            MonitoredHost(n, "local" if n == "local" else "ssh", address=n if n != "local" else "")
            for n in names
        ]
        self.watches: list[FakeWatch] = []
        self.stored: dict[str, list[StoredBucket]] = {}
        self.stored_calls: list[tuple[str, float]] = []
        self.idle: dict[str, IdleRun] = {}

    def hosts(self) -> list[MonitoredHost]:
        return list(self.machines)

    def watch(self, on_update: Callable[[HostUpdate], None], interval: float = 1.0) -> FakeWatch:
        watch = FakeWatch(on_update, interval)
        self.watches.append(watch)
        return watch

    def stored_history(
        self, host: str, since: float, until: float | None = None
    ) -> list[StoredBucket]:
        self.stored_calls.append((host, since))
        return self.stored.get(host, [])

    def idle_runs(self) -> dict[str, IdleRun]:
        return dict(self.idle)

    def push(self, update: HostUpdate) -> None:
        """Deliver ``update`` from a worker thread, as the real service does."""
        watch = self.watches[-1]
        thread = threading.Thread(target=watch.on_update, args=(update,))
        thread.start()
        thread.join()
