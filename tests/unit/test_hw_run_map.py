"""Processes of a hardware sample mapped to runs: launcher env, hand-started pid, ancestors."""

from __future__ import annotations

from mlops_desktop.core.hardware import HostSample, ProcessSample, RunProcess
from mlops_desktop.monitoring.run_map import RunMapper, same_host


def _sample(*procs: ProcessSample, hostname: str = "gpu1.lab.example") -> HostSample:
    return HostSample(host="gpu1", time=1.0, hostname=hostname, processes=procs)


def test_env_run_maps_the_process_and_its_children() -> None:
    sample = _sample(
        ProcessSample(pid=100, ppid=1, env_run="run-a"),
        ProcessSample(pid=101, ppid=100),  # a worker whose environ was unreadable
        ProcessSample(pid=102, ppid=101),
        ProcessSample(pid=200, ppid=1),
    )
    mapped = {p.pid: p.run for p in RunMapper().apply(sample).processes}
    assert mapped == {100: "run-a", 101: "run-a", 102: "run-a", 200: None}


def test_hand_started_run_maps_by_host_and_pid_even_without_the_parent_in_the_sample() -> None:
    runs = [RunProcess("run-h", "by-hand", "GPU1", 300), RunProcess("other", "x", "elsewhere", 301)]
    sample = _sample(
        ProcessSample(pid=300, ppid=1),
        ProcessSample(pid=310, ppid=300),
        ProcessSample(pid=311, ppid=299),  # parent not in the sample and no run's pid
        ProcessSample(pid=301, ppid=1),  # same pid as a run on another machine
    )
    out = RunMapper(runs).apply(sample)
    mapped = {p.pid: p.run for p in out.processes}
    assert mapped == {300: "run-h", 310: "run-h", 311: None, 301: None}
    assert out.extra["run_names"] == {"run-h": "by-hand"}
    only_child = _sample(ProcessSample(pid=320, ppid=300))
    assert RunMapper(runs).apply(only_child).processes[0].run == "run-h"


def test_parent_cycles_from_reused_pids_end() -> None:
    sample = _sample(ProcessSample(pid=5, ppid=6), ProcessSample(pid=6, ppid=5))
    assert [p.run for p in RunMapper().apply(sample).processes] == [None, None]


def test_same_host_ignores_case_and_domain() -> None:
    assert same_host("GPU1.lab", "gpu1")
    assert not same_host("gpu1", "gpu2")
    assert not same_host(None, "gpu1")
