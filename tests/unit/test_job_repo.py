"""The ``job`` table on SQLite and PostgreSQL: insert, update, list, resolve a prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.catalog import job_repo
from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.errors import JobError
from mlops_desktop.services.catalog_open import open_catalog


def _job(run_id: str, at: float, state: str = "running") -> JobInfo:
    return JobInfo(
        run_id=run_id,
        target="local",
        state=state,
        submitted_at=at,
        gpus=[0],
        command=["python", "-c", "print('$(id); `x`')"],
        handle={"pid": 12, "start_ticks": 345, "run_dir": "/tmp/x"},
    )


def test_job_rows_round_trip(temp_home: Path, catalog_url: str | None) -> None:
    catalog = open_catalog(temp_home, catalog_url)
    try:
        with catalog.session_scope(write=True) as s:
            job_repo.insert_job(s, _job("aaaa1111", 1.0), {"experiment": "e", "name": "n"})
            job_repo.insert_job(s, _job("aaaa2222", 2.0, "queued"), {})
            job_repo.insert_job(s, _job("bbbb3333", 3.0, "finished"), {})
        with catalog.session_scope(write=True) as s:
            job_repo.update_job(s, "aaaa1111", state="finished", exit_code=0, ended_at=5.0)
            with pytest.raises(ValueError):
                job_repo.update_job(s, "aaaa1111", command=["other"])
        with catalog.session_scope() as s:
            one = job_repo.get_job(s, "aaaa1111")
            assert one is not None
            assert (one.state, one.exit_code, one.ended_at) == ("finished", 0, 5.0)
            assert one.experiment == "e" and one.name == "n"
            assert one.command == ["python", "-c", "print('$(id); `x`')"]
            assert one.handle == {"pid": 12, "start_ticks": 345, "run_dir": "/tmp/x"}
            assert one.gpus == [0]
            assert [j.run_id for j in job_repo.list_jobs(s)] == ["bbbb3333", "aaaa2222", "aaaa1111"]
            assert [j.run_id for j in job_repo.list_jobs(s, active_only=True)] == ["aaaa2222"]
            assert job_repo.resolve_job_id(s, "bbbb") == "bbbb3333"
            assert job_repo.get_spec(s, "aaaa1111") == {"experiment": "e", "name": "n"}
            with pytest.raises(JobError, match="several"):
                job_repo.resolve_job_id(s, "aaaa")
            with pytest.raises(JobError, match="No job"):
                job_repo.resolve_job_id(s, "cccc")
            with pytest.raises(JobError, match="at least"):
                job_repo.resolve_job_id(s, "a_")
    finally:
        catalog.dispose()
