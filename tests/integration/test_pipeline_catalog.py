"""The pipeline tables in a shared catalog: migration 0013 upgrades a catalog at 0012 that has
runs (SQLite and PostgreSQL) and downgrades again; on PostgreSQL, two desktops recording one
event's trigger at the same moment record it once, and a pipeline run started on one desktop
is heard by the other as a ``pipeline`` change (and its parent run as a new run)."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, insert, inspect, select

from mlops_desktop.catalog import pipeline_records, pipeline_repo
from mlops_desktop.catalog.change_listen import PgChangeListener
from mlops_desktop.catalog.engine import catalog_url_for, make_engine
from mlops_desktop.catalog.migrate import HEAD, MIGRATIONS_DIR, current_revision
from mlops_desktop.catalog.pipeline_schema import pipeline_trigger_t
from mlops_desktop.catalog.schema import experiment_t, run_t
from mlops_desktop.core.catalog_changes import PIPELINE, RUNS, CatalogChange
from mlops_desktop.services.bundle import Services

pytestmark = pytest.mark.system

PIPELINE_TABLES = {
    "pipeline",
    "pipeline_run",
    "pipeline_stage_run",
    "pipeline_stage_cache",
    "pipeline_trigger",
    "pipeline_gate",
}


def _alembic(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def test_upgrade_from_0012_keeps_runs_and_adds_the_pipeline_tables(
    temp_home: Path, catalog_url: str | None
) -> None:
    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        command.upgrade(_alembic(conn), "0012")
        conn.execute(insert(experiment_t).values(id=1, name="old", created_at=1.0))
        conn.execute(
            insert(run_t).values(
                id="r0",
                experiment_id=1,
                name="old-run",
                status="finished",
                started_at=1.0,
                has_start=True,
                color_index=0,
            )
        )
        conn.commit()
        assert not PIPELINE_TABLES & set(inspect(conn).get_table_names())
    engine.dispose()

    with Services.open(temp_home, catalog_url) as services:
        catalog = services.catalog
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD == "0013"
            assert set(inspect(conn).get_table_names()) >= PIPELINE_TABLES
        (old,) = services.experiments.list_runs(None, None)
        assert (old.id, old.name, old.status) == ("r0", "old-run", "finished")
        with catalog.session_scope(write=True) as s:
            run = pipeline_repo.create_pipeline_run(s, pipeline="p", path="p", experiment="old")
        runs = {r.id: r for r in services.experiments.list_runs(None, None)}
        assert runs[run.run_id].name == "p-1" and runs[run.run_id].color_index == 1

    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        command.downgrade(_alembic(conn), "0012")
        conn.commit()
        assert current_revision(conn) == "0012"
        assert not PIPELINE_TABLES & set(inspect(conn).get_table_names())
        assert sorted(conn.execute(select(run_t.c.id)).scalars()) == sorted(["r0", run.run_id])
    engine.dispose()


def test_two_desktops_record_one_event_once_and_hear_pipeline_runs(
    tmp_path: Path, pg_url: str
) -> None:
    a = Services.open(tmp_path / "home-a", pg_url)
    b = Services.open(tmp_path / "home-b", pg_url)
    heard: queue.Queue[CatalogChange] = queue.Queue()
    watch = b.changes.watch(heard.put, lambda _problem: None)
    try:
        assert isinstance(watch, PgChangeListener) and watch.wait_listening(10)
        barrier = threading.Barrier(8)
        results: list[tuple[Services, object]] = []

        def fire(services: Services) -> None:
            barrier.wait()
            with services.catalog.session_scope(write=True) as s:
                event = pipeline_records.record_trigger(
                    s, "wine", "dataset", "wine v4", dedupe_key="dataset:wine:4"
                )
            results.append((services, event))

        threads = [threading.Thread(target=fire, args=(d,)) for d in (a, b) * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        winners = [services for services, event in results if event is not None]
        assert len(results) == 8 and len(winners) == 1
        with a.catalog.session_scope() as s:
            assert len(s.execute(select(pipeline_trigger_t.c.id)).all()) == 1
        if winners[0] is a:  # b hears a's trigger (never its own)
            assert heard.get(timeout=5).kind == PIPELINE

        with a.catalog.session_scope(write=True) as s:
            run = pipeline_repo.create_pipeline_run(s, pipeline="wine", path="p", experiment="e")
        changes = [heard.get(timeout=5), heard.get(timeout=5)]
        by_kind = {c.kind: c for c in changes}
        assert by_kind[PIPELINE].ids == {"wine"} and by_kind[PIPELINE].areas == {"pipelines"}
        assert by_kind[RUNS].new_ids == {run.run_id}
        assert all(c.sender == a.catalog.desktop_id for c in changes)
    finally:
        watch.close()
        a.close()
        b.close()
