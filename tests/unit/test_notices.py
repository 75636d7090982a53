"""Notices from what the app observes, and the gate that filters and folds them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from catalog_spools import SpoolBuilder

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.notices import MESSAGE_KIND, Notice, NoticeTarget
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.services.notice_gate import NoticeGate
from mlops_desktop.services.notifications import (
    job_notices,
    monitor_alert_notice,
    run_end_notices,
    tray_runs,
)
from mlops_desktop.settings import Settings

T0 = 1_700_000_000.0


def _run_notice(i: int, kind: str = "run_finished", at: float | None = T0) -> Notice:
    return Notice(kind, f"Run {i}", "ended.", NoticeTarget("run", f"r{i}"), f"run-end:r{i}", at)


def _gate(off: tuple[str, ...] = ()) -> NoticeGate:
    return NoticeGate(lambda kind: kind not in off, started_at=T0)


def test_gate_drops_kinds_turned_off_repeats_and_what_ended_before_the_start() -> None:
    gate = _gate(off=("run_finished",))
    before = _run_notice(1, "run_failed", at=T0 - 3600)
    off = _run_notice(2, "run_finished")
    told = _run_notice(3, "run_failed")
    assert gate.offer([before, off, told, told], now=T0 + 1) == [told]
    assert gate.offer([_run_notice(3, "run_failed")], now=T0 + 2) == []  # its key was told
    message = Notice(MESSAGE_KIND, "Hello", "always on")
    assert gate.offer([message], now=T0 + 3) == [message]


def test_a_burst_of_fifty_run_ends_is_one_summary() -> None:
    gate = _gate()
    burst = [_run_notice(i) for i in range(48)] + [
        _run_notice(i, "run_failed") for i in range(48, 50)
    ]
    out = gate.offer(burst, now=T0)
    assert len(out) == 1
    assert out[0].kind == MESSAGE_KIND
    assert out[0].title == "50 runs ended"
    assert out[0].body == "48 runs finished, 2 runs failed."
    assert gate.held == 0


def test_notices_past_the_burst_wait_and_leave_together() -> None:
    gate = _gate()
    assert len(gate.offer([_run_notice(i) for i in range(3)], now=T0)) == 3
    assert gate.offer([_run_notice(3), _run_notice(4, "job_lost")], now=T0 + 1) == []
    assert gate.held == 2
    assert gate.due(T0 + 1) == pytest.approx(T0 + gate.window_s)
    assert gate.flush(T0 + 5) == []  # the window is not over
    late = gate.flush(T0 + gate.window_s)
    assert [n.title for n in late] == ["Run 3", "Run 4"]
    assert gate.due(T0 + gate.window_s) is None


def _ended_run(home: Path, name: str, status: str | None) -> str:
    b = SpoolBuilder(home).start(experiment="digits", name=name).series("loss", [1.0, 0.5])
    if status is not None:
        b.end(status)
    b.write()
    return b.run_id


def test_run_end_notices_tell_finished_and_failed_runs_of_an_ingest_pass(temp_home: Path) -> None:
    service = ExperimentService.open(temp_home)
    try:
        home = temp_home
        running = _ended_run(home, "still-going", None)
        service.ingest()
        finished = _ended_run(home, "good", "finished")
        failed = _ended_run(home, "bad", "failed")
        _ended_run(home, "stopped", "killed")
        b = SpoolBuilder(home, running)
        b.seq = 3  # after its start and two points
        b.end("finished").write()
        report = service.ingest()
        notices = {n.target.ref: n for n in run_end_notices(service, report.changes) if n.target}
        assert set(notices) == {finished, failed, running}
        assert notices[finished].kind == "run_finished"
        assert notices[finished].title == "Run finished: good"
        assert notices[finished].body.startswith("good in digits finished after ")
        assert notices[failed].kind == "run_failed" and notices[failed].key == f"run-end:{failed}"
        assert notices[running].at is not None and notices[running].at > time.time() - 60
        tray = tray_runs(service, limit=2)
        assert tray.running == 0 and len(tray.recent) == 2
    finally:
        service.close()


def test_tray_runs_count_running_runs_and_keep_the_newest(temp_home: Path) -> None:
    service = ExperimentService.open(temp_home)
    try:
        ids = [_ended_run(temp_home, f"r{i}", None if i % 2 else "finished") for i in range(7)]
        service.ingest()
        tray = tray_runs(service)
        assert tray.running == 3
        assert [r.id for r in tray.recent] == ids[::-1][:5]
    finally:
        service.close()


def test_job_notices_tell_lost_jobs_and_job_ends() -> None:
    now = time.time()
    jobs = [
        JobInfo("a" * 32, "ssh:gpu1", "lost", now, ended_at=now, name="big", detail="no answer"),
        JobInfo("b" * 32, "local", "failed", now, ended_at=now, exit_code=3, name="oops"),
        JobInfo("c" * 32, "local", "running", now, name="busy"),
        JobInfo("d" * 32, "local", "cancelled", now, ended_at=now, name="stopped"),
    ]
    lost, failed = job_notices(jobs)
    assert (lost.kind, lost.title) == ("job_lost", "Job lost: big")
    assert lost.body == "The app lost track of big on ssh:gpu1: no answer."
    assert lost.target == NoticeTarget("job", "a" * 32)
    assert (failed.kind, failed.body) == ("run_failed", "oops on local failed (exit code 3).")
    assert failed.key == f"run-end:{'b' * 32}"  # the same key as the ingest's notice


def test_monitor_alert_notice_opens_the_monitor() -> None:
    notice = monitor_alert_notice("churn", "churn: dataset drift in 3 of the last 5 windows.", 7)
    assert notice.target == NoticeTarget("monitor", "churn") and notice.key == "alert:7"


def test_notice_settings_round_trip(temp_home: Path) -> None:
    settings = Settings(notifications_off=["gpu_idle"], keep_in_tray=True)
    settings.save(temp_home)
    loaded = Settings.load(temp_home)
    assert loaded.notifications_off == ["gpu_idle"] and loaded.keep_in_tray
    assert not loaded.notifies("gpu_idle") and loaded.notifies("run_failed")
    assert Settings().keep_in_tray is False and Settings().notifies("job_lost")
    bad = Settings.from_dict({"notifications_off": ["loud"]})
    assert bad.notifications_off == [] and "notifications_off" in bad.problems[0]
