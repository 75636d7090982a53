"""Nested runs in the catalog: ``run.parent_run_id`` from the tags and the start event, on
SQLite and PostgreSQL; the child joins its parent's experiment; migration 0010 backfills."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

import mlops_desktop as mlops
from mlops_desktop.catalog.engine import catalog_url_for, make_engine
from mlops_desktop.catalog.migrate import HEAD, MIGRATIONS_DIR, current_revision
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking import fluent


@pytest.fixture(autouse=True)
def _no_experiment_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fluent, "_experiment", None)  # set_experiment elsewhere must not leak


def test_children_link_to_their_parent_on_both_databases(
    temp_home: Path, catalog_url: str | None
) -> None:
    with mlops.start_run(experiment="sweep", name="parent", capture_env=False) as parent:
        with (
            mlops.start_run(run_name="a", nested=True, capture_env=False) as a,
            mlops.start_run(run_name="a1", nested=True, capture_env=False) as a1,
        ):
            mlops.log_metric("loss", 0.1)
        with mlops.start_run(run_name="b", nested=True, capture_env=False) as b:
            pass
    # an MLflow-style child that names its parent by tag only, in another experiment
    with mlops.start_run(
        experiment="elsewhere",
        name="imported",
        tags={"mlflow.parentRunId": parent.id},
        capture_env=False,
    ) as tagged:
        pass
    with Services.open(temp_home, catalog_url) as services:
        services.experiments.ingest()
        runs = {r.name: r for r in services.experiments.list_runs(None, None)}
        assert runs["parent"].parent_run_id is None
        assert runs["a"].parent_run_id == runs["b"].parent_run_id == parent.id
        assert runs["a1"].parent_run_id == a.id
        assert runs["imported"].parent_run_id == parent.id
        assert {runs[n].experiment for n in ("a", "a1", "b")} == {"sweep"}
        assert runs["imported"].experiment == "elsewhere"  # named its own: kept
        children = services.experiments.list_runs(None, f'parent_run_id = "{parent.id}"')
        assert {r.id for r in children} == {a.id, b.id, tagged.id}
        tops = services.experiments.list_runs("sweep", "parent_run_id is null")
        assert [r.id for r in tops] == [parent.id]
        detail = services.experiments.get_run(parent.id)
        assert [cid for cid, _ in detail.children] == [a.id, b.id, tagged.id]
        assert services.experiments.get_run(a1.id).parent_name == "a"
        # trash the parent: every descendant goes with it, and comes back with it
        moved = services.experiments.trash_runs([parent.id[:8]])
        assert moved[0] == parent.id and set(moved) == {parent.id, a.id, a1.id, b.id, tagged.id}
        assert services.experiments.list_runs(None, None) == []
        assert set(services.experiments.restore_runs([parent.id])) == set(moved)
        # the parent tag edited by hand moves the link
        services.experiments.tag_run(b.id, {"mlops.parent_run_id": a.id})
        assert services.experiments.get_run(b.id).summary.parent_run_id == a.id
        services.experiments.tag_run(b.id, remove=["mlops.parent_run_id"])
        assert services.experiments.get_run(b.id).summary.parent_run_id is None


def test_a_child_ingested_first_still_joins_its_known_parent(temp_home: Path) -> None:
    """The experiment the child's process guessed loses to the parent's in the catalog."""
    with Services.open(temp_home) as services:
        with mlops.start_run(experiment="real", name="p", capture_env=False) as parent:
            pass
        services.experiments.ingest()
        child = mlops.start_run(parent_run_id=parent.id, run_name="c", capture_env=False)
        assert child.experiment == "Default"  # this process cannot know "real"
        child.end()
        services.experiments.ingest()
        assert services.experiments.get_run(child.id).summary.experiment == "real"


def test_migration_0010_backfills_parents_from_tags(
    temp_home: Path, catalog_url: str | None
) -> None:
    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
        conn.commit()
        conn.execute(text("INSERT INTO experiment (id, name, created_at) VALUES (1, 'old', 1.0)"))
        for rid in ("p", "ours", "mlflow", "both", "self", "lone"):
            conn.execute(
                text(
                    "INSERT INTO run (id, experiment_id, name, status, started_at, target,"
                    " command, cwd, notes, has_start) VALUES"
                    " (:id, 1, :id, 'finished', 1.0, 'local', '', '', '', true)"
                ),
                {"id": rid},
            )
        tags = [
            ("ours", "mlops.parent_run_id", "p"),
            ("mlflow", "mlflow.parentRunId", "p"),
            ("both", "mlflow.parentRunId", "other"),
            ("both", "mlops.parent_run_id", "p"),
            ("self", "mlops.parent_run_id", "self"),
            ("lone", "team", "x"),
        ]
        for rid, key, value in tags:
            conn.execute(
                text("INSERT INTO tag (run_id, key, value) VALUES (:r, :k, :v)"),
                {"r": rid, "k": key, "v": value},
            )
        conn.commit()
    engine.dispose()
    with Services.open(temp_home, catalog_url) as services:
        with services.experiments.catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        parents = {r.id: r.parent_run_id for r in services.experiments.list_runs(None, None)}
    assert parents == {
        "p": None,
        "ours": "p",
        "mlflow": "p",
        "both": "p",
        "self": None,
        "lone": None,
    }
