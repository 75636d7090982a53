"""Upgrading a catalog made by schema 0001 adds the dataset tables and keeps every run."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from mlops_desktop.catalog.engine import catalog_url_for, make_engine
from mlops_desktop.catalog.migrate import HEAD, MIGRATIONS_DIR, current_revision
from mlops_desktop.services.bundle import Services


def test_upgrade_from_0001_keeps_runs(
    temp_home: Path, catalog_url: str | None, tmp_path: Path
) -> None:
    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.commit()
        conn.execute(text("INSERT INTO experiment (id, name, created_at) VALUES (1, 'old', 1.0)"))
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO run (id, experiment_id, name, status, started_at, target,"
                    " command, cwd, notes, has_start) VALUES"
                    " (:id, 1, :name, 'finished', :t, 'local', '', '', '', true)"
                ),
                {"id": f"run{i}", "name": f"r{i}", "t": 100.0 + i},
            )
        conn.execute(
            text(
                "INSERT INTO run_input (run_id, dataset, version, path, seq)"
                " VALUES ('run0', 'legacy', NULL, NULL, 3)"
            )
        )
        conn.commit()
        assert current_revision(conn) == "0001"
    engine.dispose()

    with Services.open(temp_home, catalog_url) as services:
        experiments, datasets = services.experiments, services.datasets
        assert experiments.catalog.schema_upgraded
        with experiments.catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        runs = experiments.list_runs()
        assert [r.id for r in runs] == ["run2", "run1", "run0"]
        assert [r.color_index for r in runs] == [2, 1, 0]  # 0009 numbers them by start
        assert experiments.get_run("run0").datasets == [
            {"name": "legacy", "version": None, "path": None}
        ]
        assert datasets.list_datasets() == []
        (tmp_path / "f.txt").write_text("x")
        assert datasets.add(tmp_path / "f.txt", "legacy").version == "v1"
        assert [u.run_id for u in datasets.used_by("legacy")] == ["run0"]
