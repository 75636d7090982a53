"""Stored hardware history: migration 0005, save/load/prune on SQLite and PostgreSQL, and the
minute buckets that feed it."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from mlops_desktop.catalog import hw_repo
from mlops_desktop.catalog.engine import catalog_url_for, make_engine
from mlops_desktop.catalog.migrate import HEAD, MIGRATIONS_DIR, current_revision
from mlops_desktop.catalog.schema import Base
from mlops_desktop.core.hardware import GpuSample, HostSample, StoredBucket
from mlops_desktop.monitoring.buckets import MinuteBuckets, bucket_start
from mlops_desktop.services.catalog_open import open_catalog

T0 = 1_800_000_000.0  # a whole minute


def _sample(t: float, cpu: float, host: str = "local", **kw: object) -> HostSample:
    return HostSample(host=host, time=t, cpu_percent=cpu, **kw)  # type: ignore[arg-type]


def test_fresh_catalog_has_the_table_and_matches_the_models(
    temp_home: Path, catalog_url: str | None
) -> None:
    catalog = open_catalog(temp_home, catalog_url)
    try:
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert [d for d in diff if "hw_history" in str(d)] == []
    finally:
        catalog.dispose()


def test_upgrade_from_0004_adds_the_table_and_keeps_jobs(
    temp_home: Path, catalog_url: str | None
) -> None:
    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        conn.commit()
        conn.execute(
            text(
                "INSERT INTO job (run_id, target, state, submitted_at, detail, updated_at)"
                " VALUES ('r1', 'local', 'running', 1.0, '', 1.0)"
            )
        )
        conn.commit()
        assert not conn.dialect.has_table(conn, "hw_history")
    engine.dispose()
    catalog = open_catalog(temp_home, catalog_url)
    try:
        assert catalog.schema_upgraded
        with catalog.session_scope() as s:
            assert s.execute(text("SELECT run_id FROM job")).scalars().all() == ["r1"]
        hw_repo.save_buckets(catalog, [StoredBucket("local", T0, {"cpu": (1.0, 2.0, 3.0, 4)})])
        assert hw_repo.load_buckets(catalog, "local", 0.0)[0].values == {"cpu": (1.0, 2.0, 3.0, 4)}
    finally:
        catalog.dispose()


def test_save_load_merge_and_prune(temp_home: Path, catalog_url: str | None) -> None:
    catalog = open_catalog(temp_home, catalog_url)
    try:
        hw_repo.save_buckets(
            catalog,
            [
                StoredBucket("local", T0, {"cpu": (10.0, 20.0, 30.0, 30)}),
                StoredBucket("local", T0 + 60, {"cpu": (5.0, 5.0, 5.0, 60)}),
                StoredBucket("gpu-box", T0, {"gpu0.util": (0.0, 50.0, 100.0, 60)}),
            ],
        )
        # the rest of the first minute, after a restart, plus a new key: merged, not replaced
        rest = {"cpu": (0.0, 50.0, 60.0, 30), "memory": (1.0, 1.0, 1.0, 1)}
        hw_repo.save_buckets(catalog, [StoredBucket("local", T0, rest)])
        got = hw_repo.load_buckets(catalog, "local", T0)
        assert [b.start for b in got] == [T0, T0 + 60]
        assert got[0].values == {"cpu": (0.0, 35.0, 60.0, 60), "memory": (1.0, 1.0, 1.0, 1)}
        assert got[0].host == "local"
        assert [b.start for b in hw_repo.load_buckets(catalog, "local", T0, until=T0 + 60)] == [T0]
        assert hw_repo.load_buckets(catalog, "local", T0 + 61) == []
        assert len(hw_repo.load_buckets(catalog, "gpu-box", 0.0)) == 1
        # one minute given twice in one call is merged too
        hw_repo.save_buckets(
            catalog,
            [
                StoredBucket("x", T0, {"cpu": (1.0, 1.0, 1.0, 1)}),
                StoredBucket("x", T0, {"cpu": (3.0, 3.0, 3.0, 1)}),
            ],
        )
        assert hw_repo.load_buckets(catalog, "x", 0.0)[0].values == {"cpu": (1.0, 2.0, 3.0, 2)}
        hw_repo.save_buckets(catalog, [])
        assert hw_repo.prune(catalog, T0 + 60) == 3
        assert [b.start for b in hw_repo.load_buckets(catalog, "local", 0.0)] == [T0 + 60]
        assert hw_repo.load_buckets(catalog, "gpu-box", 0.0) == []
    finally:
        catalog.dispose()


def test_minute_buckets_min_mean_max_count_per_host() -> None:
    acc = MinuteBuckets()
    gpu = GpuSample(index=0, name="G", util=90.0)
    acc.add(_sample(T0 + 1, 10.0, gpus=(gpu,)))
    acc.add(_sample(T0 + 30, 30.0))
    acc.add(_sample(T0 + 5, 1.0, host="other"))
    assert acc.completed() == []
    acc.add(_sample(T0 + 59.9, 20.0, memory_used=4))
    acc.add(_sample(T0 + 61, 99.0))  # the next minute closes the first one of "local"
    (done,) = acc.completed()
    assert done.host == "local" and done.start == T0
    assert done.values["cpu"] == (10.0, 20.0, 30.0, 3)
    assert done.values["gpu0.util"] == (90.0, 90.0, 90.0, 1)
    assert done.values["memory"] == (4.0, 4.0, 4.0, 1)
    assert acc.completed() == []  # handed out once
    acc.add(_sample(T0 + 62, float("nan")))  # not a figure: left out
    acc.add(_sample(T0 + 20, 1.0, demo=True))  # demo data is not this machine's history
    flushed = acc.flush()
    assert [(b.host, b.start) for b in flushed] == [("other", T0), ("local", T0 + 60)]
    assert flushed[1].values["cpu"] == (99.0, 99.0, 99.0, 1)
    assert acc.flush() == []


@pytest.mark.parametrize("t", [T0, T0 + 0.5, T0 + 59.999])
def test_bucket_start_is_the_minute(t: float) -> None:
    assert bucket_start(t) == T0
