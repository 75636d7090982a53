"""The demo machine: replayed GPUs through the fake-NVML edge, marked as demo data."""

from __future__ import annotations

import itertools
from pathlib import Path

from mlops_desktop.monitoring.demo_machine import (
    BUSY_GPUS,
    DEMO_HOST,
    DEMO_MARKER,
    GPUS,
    DemoMachine,
    demo_history,
)
from mlops_desktop.services.bundle import Services


def test_demo_samples_are_marked_and_their_busy_gpus_belong_to_the_holder() -> None:
    machine = DemoMachine(lambda: "live-run")
    try:
        samples = [machine.sample() for _ in range(40)]
    finally:
        machine.close()
    last = samples[-1]
    assert last.demo and last.gpu_source == "demo" and last.host == DEMO_HOST
    assert len(last.gpus) == GPUS
    assert [g.lease.run if g.lease else None for g in last.gpus] == [
        "live-run",
        "live-run",
        None,
        None,
    ]
    assert last.gpus[0].util and last.gpus[0].util > 20  # the replay ramps up a training job
    assert all(g.util == 0.0 for g in last.gpus if g.index not in BUSY_GPUS)
    energy = [s.gpus[0].energy_j for s in samples]
    assert all(b is not None and a is not None and b >= a for a, b in itertools.pairwise(energy))
    (trainer,) = last.processes
    assert trainer.run == "live-run" and trainer.gpus == BUSY_GPUS


def test_demo_history_is_a_day_of_minutes_with_every_gpu() -> None:
    buckets = demo_history(1_800_000_000.0)
    assert len(buckets) == 24 * 60
    assert all(b.start % 60 == 0 for b in buckets)
    keys = set(buckets[0].values)
    assert {"cpu", "memory", "gpu0.util", "gpu3.power", "gpu1.temperature"} <= keys
    for b in buckets:
        low, mean, high, count = b.values["gpu0.util"]
        assert low <= mean <= high and count == 60


def test_only_a_demo_home_shows_the_demo_machine(temp_home: Path) -> None:
    with Services.open(temp_home) as services:
        assert DEMO_HOST not in [h.name for h in services.hardware.hosts()]
        (temp_home / DEMO_MARKER).write_text('{"version": 4}')
        hosts = services.hardware.hosts()
        names = [h.name for h in hosts]
        assert names[0] == "local" and DEMO_HOST in names
        assert services.hardware.sample(DEMO_HOST).demo
        services.hardware.store_history(demo_history(1_800_000_000.0, hours=1))
        stored = services.hardware.stored_history(DEMO_HOST, 1_700_000_000.0)
        assert len(stored) == 60
