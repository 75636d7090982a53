"""Idle-GPU warnings: 10 minutes under 5 % on every GPU a run uses."""

from __future__ import annotations

from mlops_desktop.core.hardware import GpuLeaseHolder, GpuSample, HostSample, ProcessSample
from mlops_desktop.monitoring.idle import IdleGpuTracker


def _sample(t: float, utils: dict[int, float | None], lease: str | None = "run-a") -> HostSample:
    gpus = tuple(
        GpuSample(i, "GPU", util=u, lease=GpuLeaseHolder(lease) if lease else None)
        for i, u in utils.items()
    )
    return HostSample(host="h", time=t, gpus=gpus)


def test_a_run_goes_idle_after_ten_minutes_under_five_percent_on_all_its_gpus() -> None:
    tracker = IdleGpuTracker()
    became = []
    for t in range(0, 601, 10):
        became += tracker.update(_sample(float(t), {0: 1.0, 1: 30.0 if t < 100 else 2.0}))
    assert became == []  # GPU 1 was busy until t=90
    for t in range(610, 701, 10):
        became += tracker.update(_sample(float(t), {0: 1.0, 1: 2.0}))
    assert [(i.run_id, i.gpus, i.since) for i in became] == [("run-a", (0, 1), 90.0)]
    assert set(tracker.idle_runs()) == {"run-a"}
    assert tracker.update(_sample(710.0, {0: 50.0, 1: 2.0})) == []
    assert tracker.idle_runs() == {}


def test_unknown_utilisation_and_gaps_never_count_as_idle() -> None:
    tracker = IdleGpuTracker()
    for t in range(0, 1201, 10):
        assert tracker.update(_sample(float(t), {0: None})) == []
    tracker = IdleGpuTracker()
    tracker.update(_sample(0.0, {0: 0.0}))
    assert tracker.update(_sample(700.0, {0: 0.0})) == []  # came back after a long gap


def test_gpus_without_a_run_are_not_watched_and_a_process_makes_a_run_own_a_gpu() -> None:
    tracker = IdleGpuTracker()
    for t in range(0, 700, 10):
        assert tracker.update(_sample(float(t), {0: 0.0}, lease=None)) == []
    proc = ProcessSample(pid=5, gpus=(0,), run="by-hand")
    became = []
    for t in range(700, 1400, 10):
        s = _sample(float(t), {0: 0.0}, lease=None)
        became += tracker.update(HostSample(host="h", time=s.time, gpus=s.gpus, processes=(proc,)))
    assert [i.run_id for i in became] == ["by-hand"]
