"""Which run each process of a sample belongs to.

Three facts, most certain first:

1. ``MLOPS_DESKTOP_RUN_ID`` in the process's environment (``env_run``): the launcher sets it for
   the command, and every child inherits it, locally, over SSH and on Slurm nodes alike.
2. The tracking client's own pid for a run started by hand (``RunProcess``), on the machine with
   that host name.
3. An ancestor of the process that belongs to a run (data-loader workers, ``torchrun``
   children): the parent chain is walked within the sample, and a parent pid that is a run's own
   pid counts even when the parent is not in the sample.

NVML reports host pids, so processes in containers map too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from mlops_desktop.core.hardware import HostSample, ProcessSample, RunProcess

MAX_DEPTH = 16


def same_host(a: str | None, b: str | None) -> bool:
    """Whether two host names are the same machine (case and domain ignored)."""
    if not a or not b:
        return False
    return a.lower().split(".", 1)[0] == b.lower().split(".", 1)[0]


class RunMapper:
    """Maps the processes of samples to runs.

    Args:
        runs: the running runs started by hand, with their host name and pid.
        names: run names by id, for the runs the samples may show.
    """

    def __init__(
        self, runs: Sequence[RunProcess] = (), names: dict[str, str] | None = None
    ) -> None:
        self.runs = list(runs)
        self.names = dict(names or {})
        for run in self.runs:
            self.names.setdefault(run.run_id, run.name)

    def _pids_on(self, hostname: str | None) -> dict[int, str]:
        return {r.pid: r.run_id for r in self.runs if same_host(r.host, hostname)}

    def apply(self, sample: HostSample) -> HostSample:
        """The sample with ``run`` set on every process that belongs to a run."""
        if not sample.processes:
            return sample
        own = self._pids_on(sample.hostname)
        by_pid = {p.pid: p for p in sample.processes}
        memo: dict[int, str | None] = {}

        def run_of(pid: int, depth: int = 0) -> str | None:
            if pid in memo:
                return memo[pid]
            memo[pid] = None  # a cycle in reused pids ends here
            proc = by_pid.get(pid)
            found: str | None = own.get(pid)
            if found is None and proc is not None:
                found = proc.env_run or proc.run
                if found is None and proc.ppid and depth < MAX_DEPTH:
                    found = run_of(proc.ppid, depth + 1)
            memo[pid] = found
            return found

        mapped = tuple(_with_run(p, run_of(p.pid)) for p in sample.processes)
        extra = dict(sample.extra)
        names = {r: self.names[r] for r in {p.run for p in mapped if p.run} if r in self.names}
        if names:
            extra["run_names"] = names
        return dataclasses.replace(sample, processes=mapped, extra=extra)


def _with_run(proc: ProcessSample, run: str | None) -> ProcessSample:
    return proc if proc.run == run else dataclasses.replace(proc, run=run)


def run_ids(sample: HostSample) -> set[str]:
    """The runs a sample shows: those of its processes and those holding its GPUs."""
    ids = {p.run for p in sample.processes if p.run}
    return ids | {g.lease.run for g in sample.gpus if g.lease is not None}


def with_run_names(sample: HostSample, names: Mapping[str, str]) -> HostSample:
    """The sample with ``extra["run_names"]`` holding the names ``names`` knows of its runs."""
    known = dict(sample.extra.get("run_names", {}))
    added = {r: names[r] for r in run_ids(sample) - set(known) if r in names}
    if not added:
        return sample
    return dataclasses.replace(sample, extra={**sample.extra, "run_names": {**known, **added}})
