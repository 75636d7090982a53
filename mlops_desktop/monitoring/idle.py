"""Idle-GPU warnings: a running run whose GPUs stay under 5 % for 10 minutes.

A GPU belongs to a run when the run holds its lease, or when a process of the run uses it. The
clock of a GPU restarts whenever it is busy, when its run changes, or when the machine comes back
after a gap longer than the idle window (what happened meanwhile is unknown, so it is not
counted as idle). A run is idle when every GPU it uses has been idle for the whole window.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_desktop.core.hardware import HostSample

IDLE_UTIL_PERCENT = 5.0
IDLE_AFTER_S = 600.0


@dataclass(frozen=True, slots=True)
class IdleRun:
    """A run whose GPUs have been idle: where, which GPUs, since when (the last busy moment)."""

    run_id: str
    host: str
    gpus: tuple[int, ...]
    since: float


class IdleGpuTracker:
    """Feeds on samples; says which runs have gone idle (and which just did)."""

    def __init__(self, threshold: float = IDLE_UTIL_PERCENT, after_s: float = IDLE_AFTER_S) -> None:
        self.threshold = threshold
        self.after_s = after_s
        # (host, gpu index) -> (run, last busy time, last seen time)
        self._gpus: dict[tuple[str, int], tuple[str, float, float]] = {}
        self._idle: dict[str, IdleRun] = {}

    @staticmethod
    def _runs_by_gpu(sample: HostSample) -> dict[int, str]:
        owners: dict[int, str] = {}
        for gpu in sample.gpus:
            if gpu.lease is not None:
                owners[gpu.index] = gpu.lease.run
        for proc in sample.processes:
            for index in proc.gpus:
                if proc.run and index not in owners:
                    owners[index] = proc.run
        return owners

    def update(self, sample: HostSample) -> list[IdleRun]:
        """Take one sample; return the runs that became idle with it."""
        now = sample.time
        owners = self._runs_by_gpu(sample)
        utils = {g.index: g.util for g in sample.gpus}
        seen: set[tuple[str, int]] = set()
        for index, run in owners.items():
            key = (sample.host, index)
            seen.add(key)
            util = utils.get(index)
            before = self._gpus.get(key)
            busy = util is None or util >= self.threshold  # an unknown figure is never "idle"
            restart = before is None or before[0] != run or now - before[2] > self.after_s
            last_busy = now if busy or restart else before[1]  # type: ignore[index]
            self._gpus[key] = (run, last_busy, now)
        for key in [k for k in self._gpus if k[0] == sample.host and k not in seen]:
            del self._gpus[key]
        return self._refresh(sample.host, now)

    def _refresh(self, host: str, now: float) -> list[IdleRun]:
        per_run: dict[str, list[tuple[int, float]]] = {}
        for (h, index), (run, last_busy, _seen) in self._gpus.items():
            if h == host:
                per_run.setdefault(run, []).append((index, last_busy))
        became: list[IdleRun] = []
        for run, gpus in per_run.items():
            since = max(t for _, t in gpus)
            if now - since >= self.after_s:
                idle = IdleRun(run, host, tuple(sorted(i for i, _ in gpus)), since)
                if run not in self._idle:
                    became.append(idle)
                self._idle[run] = idle
            else:
                self._idle.pop(run, None)
        for run in [r for r, i in self._idle.items() if i.host == host and r not in per_run]:
            del self._idle[run]
        return became

    def idle_runs(self) -> dict[str, IdleRun]:
        """The runs idle now, by run id."""
        return dict(self._idle)
