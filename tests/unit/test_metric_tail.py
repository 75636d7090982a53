"""Live charts read only the new points of a series: ExperimentService.metric_series_after."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from catalog_spools import SpoolBuilder
from sqlalchemy import event

from mlops_desktop.core.errors import MetricNotFound, RunNotFound
from mlops_desktop.services.experiments import ExperimentService


@pytest.fixture
def service(temp_home: Path, catalog_url: str | None):  # type: ignore[no-untyped-def]
    svc = ExperimentService.open(temp_home, catalog_url)
    yield svc
    svc.close()


def test_tail_returns_only_points_logged_after_the_cursor(
    temp_home: Path, service: ExperimentService
) -> None:
    b = SpoolBuilder(temp_home).start(name="live")
    b.series("loss", [5.0, 4.0, 3.0]).write()
    service.ingest()
    whole, cursor = service.metric_series_after(b.run_id, "loss")
    np.testing.assert_array_equal(whole.values, [5.0, 4.0, 3.0])

    same, again = service.metric_series_after(b.run_id, "loss", cursor)
    assert same.values.size == 0 and again == cursor  # nothing new: nothing read

    b.series("loss", [2.0, 1.0], first_step=3).series("acc", [0.5]).write()
    service.ingest()
    b.series("loss", [0.5], first_step=5).write()
    service.ingest()
    rows_read: list[int] = []

    def count_rows(conn, cursor_, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "metric_chunk" in statement:
            rows_read.append(cursor_.rowcount)

    engine = service.catalog.engine
    event.listen(engine, "after_cursor_execute", count_rows)
    try:
        tail, moved = service.metric_series_after(b.run_id, "loss", cursor)
    finally:
        event.remove(engine, "after_cursor_execute", count_rows)
    np.testing.assert_array_equal(tail.values, [2.0, 1.0, 0.5])
    np.testing.assert_array_equal(tail.steps, [3, 4, 5])
    assert moved[0] > cursor[0] and len(rows_read) == 1
    whole_now, _ = service.metric_series_after(b.run_id, "loss")
    np.testing.assert_array_equal(whole_now.values, [5.0, 4.0, 3.0, 2.0, 1.0, 0.5])


def test_tail_rereads_a_chunk_that_grew(temp_home: Path, service: ExperimentService) -> None:
    b = SpoolBuilder(temp_home).start(name="grown")
    b.series("loss", [1.0, 2.0, 3.0, 4.0]).write()
    service.ingest()
    _whole, (seq_first, n) = service.metric_series_after(b.run_id, "loss")
    # a cursor taken when the chunk held 2 points: only its last 2 are new
    tail, cursor = service.metric_series_after(b.run_id, "loss", (seq_first, 2))
    np.testing.assert_array_equal(tail.values, [3.0, 4.0])
    assert cursor == (seq_first, n) == (seq_first, 4)


def test_tail_errors(temp_home: Path, service: ExperimentService) -> None:
    b = SpoolBuilder(temp_home).start(name="x")
    b.series("loss", [1.0]).write()
    service.ingest()
    with pytest.raises(MetricNotFound):
        service.metric_series_after(b.run_id, "nope")
    empty, cursor = service.metric_series_after(b.run_id, "nope", (7, 1))
    assert empty.values.size == 0 and cursor == (7, 1)
    with pytest.raises(RunNotFound):
        service.metric_series_after("ffffffff", "loss")
