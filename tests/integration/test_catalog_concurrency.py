"""Many processes on one catalog: a fresh schema made once, spools ingested exactly once."""

from __future__ import annotations

import multiprocessing as mp
import traceback
from pathlib import Path
from typing import Any

import pytest
from catalog_spools import SpoolBuilder, write_simple_run
from sqlalchemy import func, select, text

from mlops_desktop.catalog.schema import chunk_t, latest_t, param_t, run_t
from mlops_desktop.services.experiments import ExperimentService

pytestmark = pytest.mark.slow
PROCESSES = 8


def _worker(home: str, url: str | None, barrier: Any, index: int, out: Any) -> None:
    """Open the catalog at the same moment as the others, then write and ingest."""
    try:
        barrier.wait(timeout=60)
        svc = ExperimentService.open(Path(home), url)
        upgraded = svc.catalog.schema_upgraded
        points = svc.ingest().points  # the shared spools, raced by every process
        own = write_simple_run(Path(home), points=500, batch=50, experiment=f"p{index}", i=index)
        points += svc.ingest().points
        svc.set_notes(own.run_id, f"written by {index}")
        points += svc.ingest().points
        svc.close()
        out.put((index, upgraded, points, None))
    except BaseException:
        out.put((index, False, 0, traceback.format_exc()))


def _run_processes(home: Path, url: str | None, count: int) -> list[tuple[Any, ...]]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(count)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(str(home), url, barrier, i, out)) for i in range(count)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return results


def test_eight_processes_open_a_fresh_catalog_at_once(
    temp_home: Path, catalog_url: str | None
) -> None:
    shared = [write_simple_run(temp_home, points=1000, batch=100, lr=0.1) for _ in range(3)]
    results = _run_processes(temp_home, catalog_url, PROCESSES)
    errors = [err for *_, err in results if err]
    assert not errors, errors[0]
    assert sum(1 for _, upgraded, _, _ in results if upgraded) == 1
    assert sum(points for _, _, points, _ in results) == 3 * 1000 + PROCESSES * 500
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        with svc.catalog.session_scope() as s:

            def count(table: Any) -> int:
                return int(s.execute(select(func.count()).select_from(table)).scalar_one())

            assert s.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
            assert count(run_t) == 3 + PROCESSES
            assert count(param_t) == 3 + PROCESSES
            stored = s.execute(select(func.sum(chunk_t.c.n))).scalar_one()
            assert stored == 3 * 1000 + PROCESSES * 500
            total = s.execute(select(func.sum(latest_t.c.count))).scalar_one()
            assert total == 3 * 1000 + PROCESSES * 500
        for b in shared:
            assert svc.metric_series(b.run_id, "loss").steps.tolist() == list(range(1000))
        notes = {r.notes for r in map(svc.get_run, [r.id for r in svc.list_runs()])}
        assert {f"written by {i}" for i in range(PROCESSES)} <= notes
    finally:
        svc.close()


def _ingest_loop(home: str, url: str | None, stop: Any, ready: Any, out: Any) -> None:
    try:
        svc = ExperimentService.open(Path(home), url)
        ready.put(True)
        total = 0
        while not stop.is_set():
            total += svc.ingest().points
        total += svc.ingest().points
        svc.close()
        out.put((total, None))
    except BaseException:
        out.put((0, traceback.format_exc()))


def test_two_ingesting_processes_store_everything_once(
    temp_home: Path, catalog_url: str | None
) -> None:
    ExperimentService.open(temp_home, catalog_url).close()
    b = SpoolBuilder(temp_home).start()
    b.write()
    ctx = mp.get_context("spawn")
    stop, ready, out = ctx.Event(), ctx.Queue(), ctx.Queue()
    procs = [
        ctx.Process(target=_ingest_loop, args=(str(temp_home), catalog_url, stop, ready, out))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    try:
        for batch in range(300):
            b.series("loss", [float(i) for i in range(10)], first_step=batch * 10).write()
    finally:
        stop.set()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert not [e for _, e in results if e], results
    assert sum(t for t, _ in results) == 3000
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        assert svc.metric_series(b.run_id, "loss").steps.tolist() == list(range(3000))
    finally:
        svc.close()
