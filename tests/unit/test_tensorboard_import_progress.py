"""TensorBoard import: progress in bytes of event files, and a stop that keeps what was written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tensorboard_files import write_scalars

from mlops_desktop.services.bundle import Services
from mlops_desktop.services.import_progress import ImportCancelled, ImportProgress
from mlops_desktop.services.tensorboard_import import import_tensorboard, tensorboard_run_id

RUNS = 4
POINTS = 50


@pytest.fixture
def services(temp_home: Path) -> Iterator[Services]:
    opened = Services.open(temp_home)
    yield opened
    opened.close()


def write_logs(logs: Path) -> int:
    """RUNS folders of POINTS points each; returns the bytes of event files written."""
    size = 0
    for i in range(RUNS):
        values = [float(i * 1000 + k) for k in range(POINTS)]
        path = write_scalars(logs / f"run{i}" / "events.out.tfevents.1.h", {"loss": values})
        size += path.stat().st_size
    return size


def points_of(services: Services, run: Path) -> list[float]:
    return [
        float(v) for v in services.experiments.metric_series(tensorboard_run_id(run), "loss").values
    ]


def test_progress_counts_bytes_of_event_files_up_to_all_of_them(
    tmp_path: Path, services: Services
) -> None:
    size = write_logs(tmp_path / "logs")
    seen: list[ImportProgress] = []
    report = import_tensorboard(services.catalog, tmp_path / "logs", None, on_progress=seen.append)
    assert report.runs == RUNS and report.metrics_points == RUNS * POINTS
    assert {p.phase for p in seen} == {"metrics"} and {p.total for p in seen} == {size}
    done = [p.done for p in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == size
    assert any(0 < d < size for d in done)  # it moves between files, not only at the ends
    assert any("run1/events.out.tfevents.1.h" in p.message for p in seen)


def test_a_stop_keeps_the_runs_written_and_a_second_import_completes(
    tmp_path: Path, services: Services
) -> None:
    logs = tmp_path / "logs"
    write_logs(logs)
    polls = 0

    def stop_at_the_second_block() -> bool:
        nonlocal polls
        polls += 1
        return polls == 2

    with pytest.raises(ImportCancelled) as cancelled:
        import_tensorboard(services.catalog, logs, "E", should_stop=stop_at_the_second_block)
    kept = cancelled.value.report
    assert (kept.experiments, kept.runs, kept.metrics_points) == (1, 1, POINTS)
    runs = services.experiments.list_runs("E")
    assert [r.name for r in runs] == ["run0"]
    assert points_of(services, logs / "run0") == [float(k) for k in range(POINTS)]

    seen: list[ImportProgress] = []
    rest = import_tensorboard(services.catalog, logs, "E", on_progress=seen.append)
    assert (rest.experiments, rest.runs, rest.metrics_points) == (0, RUNS - 1, (RUNS - 1) * POINTS)
    assert seen[-1].done == seen[-1].total
    assert len(services.experiments.list_runs("E")) == RUNS
    for i in range(RUNS):
        assert points_of(services, logs / f"run{i}") == [float(i * 1000 + k) for k in range(POINTS)]


def test_a_stop_before_anything_is_written_keeps_nothing(
    tmp_path: Path, services: Services
) -> None:
    write_logs(tmp_path / "logs")
    with pytest.raises(ImportCancelled) as cancelled:
        import_tensorboard(services.catalog, tmp_path / "logs", None, should_stop=lambda: True)
    report = cancelled.value.report
    assert (report.experiments, report.runs, report.metrics_points) == (0, 0, 0)
    assert services.experiments.list_runs() == []
