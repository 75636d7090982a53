"""Ingest of damaged spools: torn tails of dead writers, bad points, fused lines (issue 11)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from catalog_spools import SpoolBuilder
from sqlalchemy import select, text

from mlops_desktop.catalog.schema import tag_t
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking.spool import encode_event, parse_lines

TORN_TAG = "mlops.spool_torn_bytes"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _integrity_ok(svc: ExperimentService) -> bool:
    with svc.catalog.session_scope() as s:
        return s.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"


def _tags(svc: ExperimentService, run_id: str) -> dict[str, str]:
    with svc.catalog.session_scope() as s:
        rows = s.execute(select(tag_t.c.key, tag_t.c.value).where(tag_t.c.run_id == run_id))
        return dict(rows.all())


def _metrics_line(run_id: str, seq: int, steps: list[object], values: list[float]) -> bytes:
    event = {
        "v": 1,
        "type": "metrics",
        "run": run_id,
        "seq": seq,
        "n": len(values),
        "cols": {"loss": [steps, [time.time()] * len(values), values]},
    }
    return encode_event(event)


def test_dead_writer_with_a_torn_tail_is_killed_and_the_tail_reported(temp_home: Path) -> None:
    b = SpoolBuilder(temp_home).start(pid=_dead_pid(), host=socket.gethostname())
    b.series("loss", [1.0, 2.0, 3.0]).write()
    tail = b'{"v":1,"type":"metrics","run":"' + b.run_id.encode() + b'","seq":'
    b.write_raw(tail)
    alive = SpoolBuilder(temp_home).start(pid=os.getpid(), host=socket.gethostname())
    alive.series("loss", [1.0]).write()
    alive.write_raw(b'{"v":1,"type":"met')
    svc = ExperimentService.open(temp_home)
    try:
        report = svc.ingest()
        runs = {r.id: r for r in svc.list_runs()}
        assert runs[b.run_id].status == "killed"
        assert runs[b.run_id].ended_at == os.stat(b.path).st_mtime
        assert svc.metric_series(b.run_id, "loss").values.tolist() == [1.0, 2.0, 3.0]
        assert _tags(svc, b.run_id)[TORN_TAG] == str(len(tail))
        assert any(b.run_id in p and "incomplete last line" in p for p in report.problems)
        assert runs[alive.run_id].status == "running"  # a live writer may still finish it
        assert TORN_TAG not in _tags(svc, alive.run_id)
        assert not svc.ingest().problems  # reported once
    finally:
        svc.close()


def test_a_step_out_of_range_loses_only_its_point(temp_home: Path) -> None:
    b = SpoolBuilder(temp_home).start()
    b.write()
    steps: list[object] = list(range(100))
    steps[40] = 2**63
    b.write_raw(_metrics_line(b.run_id, b.seq, steps, [float(i) for i in range(100)]))
    b.seq += 100
    steps = list(range(100, 200))
    steps[7] = float("nan")
    b.write_raw(_metrics_line(b.run_id, b.seq, steps, [float(i) for i in range(100, 200)]))
    b.seq += 100
    b.end().write()
    svc = ExperimentService.open(temp_home)
    try:
        report = svc.ingest()
        assert report.points == 198
        series = svc.metric_series(b.run_id, "loss")
        assert len(series.steps) == 198
        assert 40 not in series.steps.tolist() and 107 not in series.steps.tolist()
        assert svc.get_run(b.run_id).metric_counts == {"loss": 198}
        assert len(report.problems) == 2 and all("1 of 100 points" in p for p in report.problems)
        assert svc.get_run(b.run_id).summary.status == "finished"
        assert svc.ingest().points == 0 and _integrity_ok(svc)
    finally:
        svc.close()


def test_bad_values_and_timestamps_lose_only_their_points() -> None:
    values: list[object] = [1.0, "x", 3.0, 4.0, 5.0]
    line = _metrics_line("r", 0, [0, 1, 2, 1.5, 4], values)  # type: ignore[arg-type]
    read = parse_lines(line)
    (event,) = read.events
    steps, _times, values = event["cols"]["loss"]
    assert list(steps) == [0, 2, 4] and list(values) == [1.0, 3.0, 5.0]
    assert event["n"] == 5  # the line's sequence numbers stay taken
    assert read.problems == ["byte 0: metric 'loss': 2 of 5 points skipped (bad step or value)"]


def test_garbage_without_newline_does_not_take_the_next_line(temp_home: Path) -> None:
    b = SpoolBuilder(temp_home).start()
    b.write()
    b.write_raw(b"\x00\xff garbage {not json")
    b.series("loss", [float(i) for i in range(100)]).write()
    b.write_raw(b'{"v":1,"type":"metrics","run":"x","seq":5')  # a torn event fused too
    b.series("loss", [float(i) for i in range(100, 150)], first_step=100).end().write()
    svc = ExperimentService.open(temp_home)
    try:
        report = svc.ingest()
        assert report.points == 150
        assert svc.metric_series(b.run_id, "loss").steps.tolist() == list(range(150))
        assert len(report.problems) == 2
        assert all("bytes before an event skipped" in p for p in report.problems)
        assert svc.get_run(b.run_id).summary.status == "finished"
        assert svc.ingest().points == 0 and _integrity_ok(svc)
    finally:
        svc.close()
