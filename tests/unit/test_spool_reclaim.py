"""Spools of ended runs are reclaimed once ingested; the keep setting keeps them (issue 11)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from catalog_spools import SpoolBuilder, write_simple_run

import mlops_desktop as mlops
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking.home import LOG_FILENAME, SYSTEM_FILENAME
from mlops_desktop.tracking.spool import read_spool


def _age(path: Path, seconds: float = 3600) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_an_ended_runs_spool_is_reclaimed_after_ingest(temp_home: Path) -> None:
    b = write_simple_run(temp_home, points=5000, batch=500)
    (b.path.parent / LOG_FILENAME).write_text("hello\n")
    system = b.path.parent / SYSTEM_FILENAME
    sysb = SpoolBuilder(temp_home, b.run_id)
    sysb.path = system
    sysb.series("sys/cpu_percent", [1.0] * 300).write()
    running = SpoolBuilder(temp_home).start(pid=os.getpid()).series("x", [1.0] * 2000)
    running.write()
    before = b.path.stat().st_size
    for path in (b.path, system, running.path):
        _age(path)
    svc = ExperimentService.open(temp_home)
    try:
        assert svc.ingest().points == 5000 + 300 + 2000
        assert b.path.stat().st_size < 300 < before  # one line kept: its sequence numbers
        assert system.stat().st_size < 300
        assert (b.path.parent / LOG_FILENAME).read_text() == "hello\n"
        assert running.path.stat().st_size > 20_000  # a running run's spool stays whole
        assert svc.get_run(b.run_id).metric_counts["loss"] == 5000
        assert svc.ingest().points == 0 and svc.ingest().changed_runs == frozenset()
        # more events appended later (a relaunch attaching to the run) are still read once
        b.seq = read_spool(b.path).events[-1]["seq"] + 1
        b.series("loss", [0.5], first_step=5000).write()
        assert svc.ingest().points == 1
        assert svc.get_run(b.run_id).metric_counts["loss"] == 5001
    finally:
        svc.close()


def test_a_run_logged_by_the_client_resumes_after_reclaim(temp_home: Path) -> None:
    with mlops.start_run("e", system_metrics=False, capture_env=False) as run:
        for i in range(3000):
            run.log_metric("loss", float(i))
    _age(run.events_path)
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        assert run.events_path.stat().st_size < 300
        from mlops_desktop.tracking.writer import BufferedSpool

        spool = BufferedSpool(run.events_path, run.id)  # a writer reopening the spool
        spool.put_event({"type": "tags", "tags": {"again": "yes"}})
        assert spool.close()
        svc.ingest()
        assert svc.get_run(run.id).summary.tags["again"] == "yes"
        assert svc.get_run(run.id).metric_counts == {"loss": 3000}
    finally:
        svc.close()


def test_keep_spools_keeps_the_raw_files(temp_home: Path) -> None:
    b = write_simple_run(temp_home, points=5000, batch=500)
    _age(b.path)
    size = b.path.stat().st_size
    svc = ExperimentService.open(temp_home)
    try:
        svc.keep_spools = True
        assert svc.ingest().points == 5000
        assert b.path.stat().st_size == size
    finally:
        svc.close()


def test_a_recently_written_spool_waits(temp_home: Path) -> None:
    b = write_simple_run(temp_home, points=5000, batch=500)
    size = b.path.stat().st_size
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        assert b.path.stat().st_size == size  # a writer may still be closing it
        _age(b.path)
        svc.ingest()
        assert b.path.stat().st_size < 300
    finally:
        svc.close()


def test_the_cli_honours_the_keep_spools_setting(temp_home: Path) -> None:
    from mlops_desktop.cli import main
    from mlops_desktop.settings import Settings

    Settings(keep_spools=True).save(temp_home)
    kept = write_simple_run(temp_home, points=5000, batch=500)
    _age(kept.path)
    size = kept.path.stat().st_size
    assert main(["runs", "list", "--json"]) == 0
    assert kept.path.stat().st_size == size
    Settings(keep_spools=False).save(temp_home)
    assert main(["runs", "list", "--json"]) == 0
    assert kept.path.stat().st_size < 300
