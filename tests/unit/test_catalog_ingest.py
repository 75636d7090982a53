"""The ingester: exactly-once ingest, torn and corrupt lines, placeholders, killed runs."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from catalog_spools import SpoolBuilder, write_simple_run
from sqlalchemy import func, select, update

from mlops_desktop.catalog.schema import chunk_t, ingest_state_t, latest_t, param_t
from mlops_desktop.catalog.writes import apply_events
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking.spool import encode_event, parse_lines


def _count(svc: ExperimentService, table) -> int:  # type: ignore[no-untyped-def]
    with svc.catalog.session_scope() as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())


def test_roundtrip_keeps_types(temp_home: Path, catalog_url: str | None) -> None:
    b = SpoolBuilder(temp_home).start(experiment="digits", name="first")
    b.params(lr=0.01, depth=3, opt="adam", flag=True, nothing=None).tags(team="vision")
    b.series("loss", [0.5, 0.25]).end("failed", error="boom").write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        report = svc.ingest()
        assert report.points == 2 and report.new_runs == {b.run_id} and not report.problems
        (run,) = svc.list_runs("digits")
        assert run.params == {"lr": 0.01, "depth": 3, "opt": "adam", "flag": True, "nothing": None}
        assert type(run.params["depth"]) is int and type(run.params["flag"]) is bool
        assert run.tags == {"team": "vision"} and run.metrics == {"loss": 0.25}
        assert run.status == "failed" and run.name == "first" and run.ended_at is not None
    finally:
        svc.close()


def test_reingest_is_idempotent(temp_home: Path, catalog_url: str | None) -> None:
    b = write_simple_run(temp_home, points=1000, batch=100, lr=0.1)
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        assert svc.ingest().points == 1000
        assert svc.ingest().points == 0
        # Lose the offset (as if the catalog were restored): the seq check still drops all.
        with svc.catalog.session_scope(write=True) as s:
            s.execute(update(ingest_state_t).values(byte_offset=0))
        again = svc.ingest()
        assert again.points == 0 and again.changed_runs == frozenset()
        assert _count(svc, chunk_t) == 1 and _count(svc, param_t) == 1  # lines joined
        assert len(svc.metric_series(b.run_id, "loss")) == 1000
        with svc.catalog.session_scope() as s:
            assert s.execute(select(latest_t.c.count)).scalar_one() == 1000
    finally:
        svc.close()


def test_nan_and_inf_round_trip(temp_home: Path, catalog_url: str | None) -> None:
    values = [1.5, math.nan, math.inf, -math.inf, -0.0]
    b = SpoolBuilder(temp_home).start()
    for key, last in (("a", math.nan), ("b", math.inf), ("c", -math.inf), ("d", 2.0)):
        b.series(key, [*values, last])
    b.write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        svc.ingest()
        series = svc.metric_series(b.run_id, "a")
        assert series.steps.dtype.str == "<i8" and series.values.dtype.str == "<f8"
        got = series.values.tolist()
        assert got[0] == 1.5 and math.isnan(got[1]) and got[2] == math.inf
        assert got[3] == -math.inf and math.copysign(1, got[4]) == -1
        (run,) = svc.list_runs()
        assert math.isnan(run.metrics["a"]) and run.metrics["b"] == math.inf
        assert run.metrics["c"] == -math.inf and run.metrics["d"] == 2.0
        series.values[0] = 0.0  # the arrays are writable
    finally:
        svc.close()


def test_torn_last_line_is_read_once_complete(temp_home: Path, catalog_url: str | None) -> None:
    b = SpoolBuilder(temp_home).start().series("loss", [1.0, 2.0])
    b.write()
    line = encode_event(
        {
            "v": 1,
            "type": "metrics",
            "run": b.run_id,
            "seq": b.seq,
            "n": 1,
            "cols": {"loss": [[2], [0.0], [3.0]]},
        }
    )
    b.write_raw(line[:17])
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        report = svc.ingest()
        assert report.points == 2 and not report.problems
        assert svc.ingest().points == 0
        b.write_raw(line[17:])
        assert svc.ingest().points == 1
        assert svc.metric_series(b.run_id, "loss").values.tolist() == [1.0, 2.0, 3.0]
    finally:
        svc.close()


def test_corrupt_middle_line_is_reported_not_raised(
    temp_home: Path, catalog_url: str | None
) -> None:
    b = SpoolBuilder(temp_home).start().series("loss", [1.0])
    b.write()
    b.write_raw(b'{"v":1,"type":"metrics",garbage\n')
    b.write_raw(b'{"v":1,"type":"nonsense","run":"x","seq":99}\n')
    b.series("loss", [2.0], first_step=1).write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        report = svc.ingest()
        assert report.points == 2
        assert len(report.problems) == 2 and all(b.run_id in p for p in report.problems)
        assert "not valid JSON" in report.problems[0]
        assert not svc.ingest().problems  # reported once, then passed
    finally:
        svc.close()


def test_events_before_start_make_a_placeholder(temp_home: Path, catalog_url: str | None) -> None:
    b = SpoolBuilder(temp_home)
    b.seq = 1
    b.series("loss", [1.0]).params(lr=1).write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        assert svc.ingest().new_runs == {b.run_id}
        (run,) = svc.list_runs("Default")
        assert run.metrics == {"loss": 1.0} and run.params == {"lr": 1}
        start = SpoolBuilder(temp_home, b.run_id).start(experiment="late", name="fixed")
        events = parse_lines(b"".join(start.pending)).events
        with svc.catalog.session_scope(write=True) as s:
            apply_events(s, b.run_id, events)
        (run,) = svc.list_runs("late")
        assert run.name == "fixed" and run.metrics == {"loss": 1.0}
    finally:
        svc.close()


def test_dead_process_run_is_marked_killed(temp_home: Path, catalog_url: str | None) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = SpoolBuilder(temp_home).start(pid=proc.pid, host=socket.gethostname())
    dead.series("loss", [1.0]).write()
    alive = SpoolBuilder(temp_home).start(pid=os.getpid()).series("loss", [1.0])
    alive.write()
    remote = SpoolBuilder(temp_home).start(pid=proc.pid, host="elsewhere").series("x", [1.0])
    remote.write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        svc.ingest()
        runs = {r.id: r for r in svc.list_runs()}
        assert runs[dead.run_id].status == "killed"
        assert runs[dead.run_id].ended_at == os.stat(dead.path).st_mtime
        assert runs[alive.run_id].status == "running"
        assert runs[remote.run_id].status == "running"
    finally:
        svc.close()


def test_two_ingesting_threads_store_everything_once(
    temp_home: Path, catalog_url: str | None
) -> None:
    b = SpoolBuilder(temp_home).start()
    b.write()
    services = [ExperimentService.open(temp_home, catalog_url) for _ in range(2)]
    stop = threading.Event()
    totals = [0, 0]

    def loop(i: int) -> None:
        while not stop.is_set():
            totals[i] += services[i].ingest().points
        totals[i] += services[i].ingest().points

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        for batch in range(200):
            b.series("loss", [float(i) for i in range(10)], first_step=batch * 10).write()
    finally:
        stop.set()
        for t in threads:
            t.join()
    try:
        services[0].ingest()
        assert sum(totals) == 2000
        series = services[0].metric_series(b.run_id, "loss")
        assert series.steps.tolist() == list(range(2000))
        assert services[0].get_run(b.run_id).metric_counts == {"loss": 2000}
    finally:
        for svc in services:
            svc.close()
