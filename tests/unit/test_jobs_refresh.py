"""JobService.refresh with fake remote executors: a hanging host never blocks the others."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.catalog import job_repo
from mlops_desktop.core.compute import JobInfo
from mlops_desktop.services import compute
from mlops_desktop.services.compute import JobService


class FakeRemote:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.synced: list[str] = []

    def poll(self, handle: dict[str, Any]) -> tuple[str, int | None, str]:
        if self.gate is not None:
            self.gate.wait(10)
        return "finished", 0, ""

    def sync(self, handle: dict[str, Any], spool_dir: Path) -> int:
        self.synced.append(spool_dir.name)
        return 0


def test_a_hanging_host_does_not_block_the_others(
    temp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compute, "REMOTE_POLL_TIMEOUT_S", 0.5)
    jobs = JobService.open(temp_home)
    gate = threading.Event()
    fakes = {"ssh:slow": FakeRemote(gate), "ssh:fast": FakeRemote()}
    monkeypatch.setattr(jobs.targets, "executor", lambda target: fakes[target])
    try:
        with jobs.catalog.session_scope(write=True) as s:
            for rid, target in (("slow0001", "ssh:slow"), ("fast0001", "ssh:fast")):
                job = JobInfo(rid, target, "running", time.time(), handle={"x": 1})
                job_repo.insert_job(s, job, {})
        t0 = time.monotonic()
        changed = jobs.refresh()
        assert time.monotonic() - t0 < 3
        assert [j.run_id for j in changed] == ["fast0001"]
        assert fakes["ssh:fast"].synced == ["fast0001"]
        assert jobs.refresh() == []  # the slow host is still busy: not polled twice
        gate.set()
        deadline = time.monotonic() + 5
        while jobs.get("slow0001").state != "finished" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert jobs.get("slow0001").state == "finished"
    finally:
        gate.set()
        jobs.close()


def test_a_launch_that_never_got_a_handle_becomes_lost(temp_home: Path) -> None:
    jobs = JobService.open(temp_home)
    try:
        with jobs.catalog.session_scope(write=True) as s:
            job_repo.insert_job(s, JobInfo("dead0001", "local", "starting", 1.0), {})
        assert [j.state for j in jobs.refresh()] == ["lost"]
    finally:
        jobs.close()
