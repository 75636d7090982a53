"""The NVML sampler over the fake NVML: every figure, unsupported queries, MIG, processes."""

from __future__ import annotations

import pytest

from mlops_desktop.core.hardware import ENERGY_COUNTER, ENERGY_INTEGRATED
from mlops_desktop.monitoring.fake_nvml import (
    GIB,
    FakeGpu,
    FakeNvml,
    FakeProcess,
    replay_nvml,
    training_stream,
)
from mlops_desktop.monitoring.nvml_sampler import GpuProcessUse, NvmlSampler


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _sampler(gpus: list[FakeGpu], clock: Clock) -> tuple[NvmlSampler, FakeNvml]:
    fake = FakeNvml(gpus, clock=clock)
    return NvmlSampler(fake, clock=clock), fake


def test_a_full_gpu_reports_every_figure_in_app_units() -> None:
    clock = Clock()
    gpu = FakeGpu(
        name="NVIDIA A100",
        memory_total=40 * GIB,
        memory_used=10 * GIB,
        util=87,
        power=250.5,
        power_limit=400,
        temperature=66,
        clock_sm=1410,
        clock_memory=1215,
        fan=55,
        processes=[FakeProcess(4242, 3 * GIB, sm_util=80), FakeProcess(7, 1 * GIB, graphics=True)],
    )
    sampler, fake = _sampler([gpu], clock)
    (g,) = sampler.sample()
    assert (g.index, g.name, g.uuid, g.mig, g.unsupported) == (0, "NVIDIA A100", g.uuid, False, ())
    assert g.uuid and g.uuid.startswith("GPU-")
    assert (g.util, g.memory_used, g.memory_total) == (87.0, 10 * GIB, 40 * GIB)
    assert (g.power, g.power_limit, g.temperature) == (250.5, 400.0, 66.0)
    assert (g.clock_sm, g.clock_memory, g.fan) == (1410.0, 1215.0, 55.0)
    assert (g.energy_j, g.energy_source) == (0.0, ENERGY_COUNTER)
    clock.t += 2.0
    (g,) = sampler.sample()
    assert g.energy_j == pytest.approx(501.0)  # 250.5 W for 2 s, NVML's counter in mJ -> J
    assert sampler.processes == {
        4242: GpuProcessUse(3 * GIB, (0,), 80.0),
        7: GpuProcessUse(1 * GIB, (0,), None),
    }
    sampler.close()
    sampler.close()
    assert fake.calls["nvmlShutdown"] == 1 and fake.calls["nvmlInit"] == 1
    assert fake.calls["nvmlDeviceGetHandleByIndex"] == 1  # handles opened once


def test_unsupported_energy_and_process_util_integrate_power_and_keep_the_rest() -> None:
    clock = Clock()
    old = FakeGpu(
        name="Tesla P100",
        energy_counter=False,
        power=100.0,
        fan=None,
        not_supported=frozenset({"nvmlDeviceGetProcessUtilization"}),
        processes=[FakeProcess(11, 2 * GIB, sm_util=50)],
    )
    sampler, fake = _sampler([old, FakeGpu(util=10)], clock)
    first, other = sampler.sample()
    assert (first.energy_j, first.energy_source) == (0.0, ENERGY_INTEGRATED)
    assert set(first.unsupported) == {"energy", "fan", "process_util"}
    assert (first.util, first.power, first.temperature, first.memory_total) == (
        0.0,
        100.0,
        40.0,
        16 * GIB,
    )
    assert other.unsupported == () and other.energy_source == ENERGY_COUNTER
    assert sampler.processes == {11: GpuProcessUse(2 * GIB, (0,), None)}
    clock.t += 1.0
    fake.gpus[0].power = 200.0
    first, _ = sampler.sample()
    assert first.energy_j == pytest.approx(150.0)  # trapezoid: (100 + 200) / 2 W for 1 s
    assert first.energy_source == ENERGY_INTEGRATED


def test_a_query_that_failed_once_is_not_asked_again() -> None:
    gpu = FakeGpu(not_supported=frozenset({"nvmlDeviceGetPowerUsage"}), energy_counter=False)
    sampler, fake = _sampler([gpu], Clock())
    for _ in range(5):
        (g,) = sampler.sample()
    assert fake.calls["nvmlDeviceGetPowerUsage"] == 1
    assert fake.calls["nvmlDeviceGetTotalEnergyConsumption"] == 1
    assert fake.calls["nvmlDeviceGetMemoryInfo"] == 5
    assert g.power is None and g.energy_j is None and g.energy_source is None
    assert {"power", "energy"} <= set(g.unsupported) and g.memory_used == 0


def test_mig_devices_are_reported_after_the_gpus_with_their_parent_and_processes() -> None:
    mig_only = frozenset(
        {
            "nvmlDeviceGetUtilizationRates",
            "nvmlDeviceGetPowerUsage",
            "nvmlDeviceGetTotalEnergyConsumption",
            "nvmlDeviceGetProcessUtilization",
        }
    )
    a100 = FakeGpu(
        name="NVIDIA A100",
        mig_devices=[
            FakeGpu(
                name="MIG 3g.20gb",
                memory_total=20 * GIB,
                not_supported=mig_only,
                processes=[FakeProcess(5, 1 * GIB)],
            ),
            FakeGpu(name="MIG 3g.20gb", memory_total=20 * GIB, not_supported=mig_only),
        ],
        processes=[FakeProcess(5, 1 * GIB)],  # the parent also lists it: not counted twice
    )
    sampler, _ = _sampler([a100, FakeGpu(name="plain")], Clock())
    gpus = sampler.sample()
    assert [(g.index, g.mig, g.parent_index) for g in gpus] == [
        (0, False, None),
        (1, False, None),
        (2, True, 0),
        (3, True, 0),
    ]
    mig = gpus[2]
    assert mig.name == "MIG 3g.20gb" and mig.uuid and mig.uuid.startswith("MIG-")
    assert mig.util is None and mig.power is None and mig.energy_j is None
    assert mig.memory_total == 20 * GIB
    assert {"util", "power", "energy"} <= set(mig.unsupported)
    assert sampler.processes == {5: GpuProcessUse(1 * GIB, (2,), None)}


def test_process_on_two_gpus_sums_memory_and_averages_sm_share() -> None:
    procs = [FakeProcess(9, 2 * GIB, sm_util=60)]
    sampler, _ = _sampler(
        [FakeGpu(processes=procs), FakeGpu(processes=[FakeProcess(9, GIB, sm_util=20)])], Clock()
    )
    sampler.sample()
    assert sampler.processes == {9: GpuProcessUse(3 * GIB, (0, 1), 40.0)}
    sampler.sample()  # no process sample newer than the last: no share, no error
    assert sampler.processes[9].sm_share is None


def test_open_gives_none_without_nvml() -> None:
    assert NvmlSampler.open(FakeNvml([], fail_init=True)) is None
    sampler = NvmlSampler.open(FakeNvml([]))
    assert sampler is not None and sampler.sample() == ()


def test_replay_looks_like_a_training_job() -> None:
    frames = training_stream(300, seed=1)
    util = [f["util"] for f in frames]
    assert util[0] == 0 and sum(util[40:60]) / 20 > 80
    assert frames[100]["memory_used"] == pytest.approx(frames[200]["memory_used"], rel=0.01)
    assert frames[100]["power"] > 3 * frames[0]["power"]
    assert frames[5]["temperature"] < frames[100]["temperature"]
    sampler = NvmlSampler(replay_nvml(2, seconds=300))
    ticks = [sampler.sample() for _ in range(50)]
    replayed = training_stream(300, seed=0)
    assert [t[0].util for t in ticks] == [float(f["util"]) for f in replayed[:50]]
    assert [t[0].power for t in ticks] == [f["power"] for f in replayed[:50]]
    assert ticks[-1][0].util is not None and ticks[-1][0].util > 50
    assert ticks[-1][0].util != ticks[-1][1].util or ticks[-1][0].power != ticks[-1][1].power
