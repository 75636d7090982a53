"""The one door: schema versions, the fast open path and environment errors."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from catalog_spools import write_simple_run
from sqlalchemy import text

from mlops_desktop.catalog.engine import Catalog, make_engine
from mlops_desktop.catalog.migrate import HEAD, MIGRATIONS_DIR
from mlops_desktop.core.errors import CatalogUnavailable
from mlops_desktop.services.catalog_open import open_catalog
from mlops_desktop.services.experiments import ExperimentService


def test_head_constant_matches_the_migrations() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_open_creates_schema_once_then_is_fast(temp_home: Path, catalog_url: str | None) -> None:
    first = open_catalog(temp_home, catalog_url)
    assert first.schema_upgraded
    first.dispose()
    t0 = time.perf_counter()
    second = open_catalog(temp_home, catalog_url)
    elapsed = time.perf_counter() - t0
    assert not second.schema_upgraded and elapsed < 0.5
    with second.session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    second.dispose()


def test_sqlite_settings(temp_home: Path) -> None:
    catalog = open_catalog(temp_home)
    try:
        with catalog.session_scope() as s:
            assert s.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert s.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert s.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
            assert s.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
        assert (temp_home / "catalog.db").exists()
    finally:
        catalog.dispose()


def test_read_only_catalog_says_so(temp_home: Path) -> None:
    b = write_simple_run(temp_home, points=3)
    svc = ExperimentService.open(temp_home)
    svc.ingest()
    svc.close()
    db = temp_home / "catalog.db"
    ro = ExperimentService(
        Catalog(make_engine_from(f"sqlite:///file:{db}?mode=ro&uri=true")), temp_home
    )
    try:
        assert [r.id for r in ro.list_runs()] == [b.run_id]  # reading still works
        with pytest.raises(CatalogUnavailable, match="read-only"):
            ro.set_notes(b.run_id, "x")
    finally:
        ro.close()


def make_engine_from(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy.engine import make_url

    return make_engine(make_url(url))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_says_so(temp_home: Path) -> None:  # pragma: no cover - non-root
    b = write_simple_run(temp_home, points=3)
    svc = ExperimentService.open(temp_home)
    svc.ingest()
    svc.close()
    os.chmod(temp_home / "catalog.db", 0o444)
    svc = ExperimentService.open(temp_home)
    try:
        with pytest.raises(CatalogUnavailable, match="read-only"):
            svc.set_notes(b.run_id, "x")
    finally:
        svc.close()


def test_unreachable_server_says_so(temp_home: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CatalogUnavailable, match="PostgreSQL"):
        ExperimentService.open(temp_home, f"postgresql+psycopg://u@127.0.0.1:{port}/x")


def test_locked_catalog_says_so(temp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    import mlops_desktop.catalog.engine as engine_mod

    monkeypatch.setattr(engine_mod, "BUSY_TIMEOUT_S", 0.1)
    svc = ExperimentService.open(temp_home)
    blocker = sqlite3.connect(temp_home / "catalog.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        write_simple_run(temp_home, points=3)
        with pytest.raises(CatalogUnavailable, match="locked"):
            svc.ingest()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        svc.close()


def test_bugs_are_not_disguised(temp_home: Path) -> None:
    catalog = open_catalog(temp_home)
    try:
        with pytest.raises(Exception) as info, catalog.session_scope() as s:
            s.execute(text("SELECT * FROM no_such_table"))
        assert not isinstance(info.value, CatalogUnavailable)
    finally:
        catalog.dispose()


def test_a_file_that_is_not_a_catalog_says_so_and_is_kept(temp_home: Path) -> None:
    junk = bytes(range(256)) * 40
    (temp_home / "catalog.db").write_bytes(junk)
    with pytest.raises(CatalogUnavailable, match="not a SQLite database"):
        ExperimentService.open(temp_home)
    assert (temp_home / "catalog.db").read_bytes() == junk, "nothing is overwritten"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("nonsense://", "not a catalog URL"),
        ("postgresql+nosuchdriver://u@h/db", "not a catalog URL"),
        ("postgresql+psycopg2://u@127.0.0.1:1/db", "driver|not a catalog URL|refuses|reached"),
    ],
)
def test_bad_catalog_urls_say_what_to_do(temp_home: Path, url: str, match: str) -> None:
    with pytest.raises(CatalogUnavailable, match=match):
        ExperimentService.open(temp_home, url)
