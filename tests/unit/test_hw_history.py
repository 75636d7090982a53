"""HostHistory: ring buffers, gaps as NaN, min/mean/max downsampling, catalog minutes first."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlops_desktop.core.hardware import GpuSample, HostSample, StoredBucket
from mlops_desktop.monitoring.history import HostHistory, SeriesView, downsample


def sample(t: float, cpu: float | None, gpu_util: float | None = None) -> HostSample:
    gpus = () if gpu_util is None else (GpuSample(index=0, name="A100", util=gpu_util),)
    return HostSample(host="local", time=t, cpu_percent=cpu, gpus=gpus)


def test_points_come_back_in_order_and_missing_figures_are_nan() -> None:
    history = HostHistory(capacity=10)
    history.add(sample(1.0, 10.0))
    history.add(sample(2.0, 20.0, gpu_util=50.0))  # the GPU appears later
    history.add(sample(3.0, None, gpu_util=60.0))
    cpu = history.series("cpu")
    assert cpu.t.tolist() == [1.0, 2.0, 3.0]
    assert cpu.mean[:2].tolist() == [10.0, 20.0] and math.isnan(cpu.mean[2])
    gpu = history.series("gpu0.util")
    assert math.isnan(gpu.mean[0]) and gpu.mean[1:].tolist() == [50.0, 60.0]
    assert history.latest("gpu0.util") == 60.0 and history.latest("cpu") is None
    assert history.latest_time() == 3.0 and len(history) == 3
    assert "gpu0.util" in history.series_keys() and history.series("nope").mean.size == 3


def test_the_ring_wraps_keeping_the_newest_capacity_points() -> None:
    history = HostHistory(capacity=4)
    for i in range(10):
        history.add(sample(float(i), float(i * 10)))
    view = history.series("cpu")
    assert view.t.tolist() == [6.0, 7.0, 8.0, 9.0]
    assert view.mean.tolist() == [60.0, 70.0, 80.0, 90.0]
    assert len(history) == 4 and history.times().tolist() == [6.0, 7.0, 8.0, 9.0]
    assert history.series("cpu", since=8.0).t.tolist() == [8.0, 9.0]


def test_a_gap_is_nan_in_every_series_never_interpolated() -> None:
    history = HostHistory(capacity=8)
    history.add(sample(1.0, 10.0, gpu_util=1.0))
    history.add_gap(2.0)
    history.add(sample(3.0, 30.0, gpu_util=3.0))
    for key in ("cpu", "gpu0.util"):
        view = history.series(key)
        assert view.t.tolist() == [1.0, 2.0, 3.0]
        assert math.isnan(view.mean[1]) and math.isnan(view.low[1]) and math.isnan(view.high[1])
    assert history.latest_time() == 3.0


def test_downsampling_gives_exact_min_mean_max_per_bucket() -> None:
    history = HostHistory(capacity=100)
    values = [1.0, 5.0, 3.0, 2.0, 8.0, 4.0, 7.0, 6.0, 9.0]
    for i, v in enumerate(values):
        history.add(sample(float(i), v))
    view = history.series("cpu", max_points=3)
    assert view.t.tolist() == [0.0, 3.0, 6.0]
    assert view.low.tolist() == [1.0, 2.0, 6.0]
    assert view.high.tolist() == [5.0, 8.0, 9.0]
    assert view.mean.tolist() == pytest.approx([3.0, 14 / 3, 22 / 3])
    assert view.banded and not history.series("cpu").banded
    uneven = history.series("cpu", max_points=4)  # buckets of 3, the last one short
    assert len(uneven) == 3 and uneven.high.tolist() == [5.0, 8.0, 9.0]


def test_downsampling_keeps_gaps_that_fill_a_bucket_and_skips_nan_inside_one() -> None:
    history = HostHistory(capacity=100)
    for i, v in enumerate([1.0, math.nan, 3.0, math.nan, math.nan, math.nan, 4.0, 6.0, 5.0]):
        if math.isnan(v):
            history.add_gap(float(i))
        else:
            history.add(sample(float(i), v))
    with np.errstate(all="raise"):  # no warning for an all-NaN bucket either
        view = history.series("cpu", max_points=3)
    assert view.low[0] == 1.0 and view.mean[0] == 2.0 and view.high[0] == 3.0
    assert math.isnan(view.low[1]) and math.isnan(view.mean[1]) and math.isnan(view.high[1])
    assert (view.low[2], view.mean[2], view.high[2]) == (4.0, 5.0, 6.0)


def test_downsample_of_a_short_view_returns_it_unchanged() -> None:
    view = SeriesView(*(np.arange(3.0) for _ in range(4)))
    assert downsample(view, 5) is view and len(downsample(view, 0)) == 0


def test_stored_minutes_come_before_memory_and_do_not_overlap_it() -> None:
    history = HostHistory(capacity=100)
    for i in range(3):
        history.add(sample(1000.0 + i, 50.0))
    buckets = [
        StoredBucket("local", 940.0, {"cpu": (10.0, 20.0, 30.0, 60)}),
        StoredBucket("local", 880.0, {"cpu": (1.0, 2.0, 3.0, 60), "memory": (5, 5, 5, 60)}),
        StoredBucket("local", 1000.0, {"cpu": (0.0, 0.0, 0.0, 1)}),  # memory has it
    ]
    history.merge_stored(buckets)
    view = history.series("cpu")
    assert view.t.tolist() == [880.0, 940.0, 1000.0, 1001.0, 1002.0]
    assert view.low.tolist() == [1.0, 10.0, 50.0, 50.0, 50.0]
    assert view.high.tolist() == [3.0, 30.0, 50.0, 50.0, 50.0]
    assert view.mean.tolist() == [2.0, 20.0, 50.0, 50.0, 50.0]
    assert history.series("cpu", since=990.0).t.tolist() == [940.0, 1000.0, 1001.0, 1002.0]
    memory = history.series("memory")
    assert memory.t[0] == 880.0 and math.isnan(memory.mean[1]) and "memory" in history.series_keys()


def test_stored_minutes_alone_are_a_series() -> None:
    history = HostHistory()
    history.merge_stored([StoredBucket("h", 60.0, {"gpu0.power": (100.0, 150.0, 200.0, 60)})])
    view = history.series("gpu0.power")
    assert view.t.tolist() == [60.0] and view.banded
    with pytest.raises(ValueError):
        HostHistory(capacity=0)
