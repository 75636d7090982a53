"""Migration 0011 (who did what) on SQLite and PostgreSQL: a catalog at 0010 with a run, a
dataset version, a model version with an alias move, a monitor and a job upgrades in place;
its rows keep everything and read "not recorded" (NULL); new records say who and where; the
downgrade to 0010 drops the columns again."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, insert, inspect

import mlops_desktop as mlops
from mlops_desktop.catalog.dataset_schema import dataset_t, dataset_version_t
from mlops_desktop.catalog.engine import catalog_url_for, make_engine
from mlops_desktop.catalog.job_schema import job_t
from mlops_desktop.catalog.migrate import HEAD, MIGRATIONS_DIR, current_revision
from mlops_desktop.catalog.model_schema import (
    model_alias_t,
    model_audit_t,
    model_t,
    model_version_t,
)
from mlops_desktop.catalog.monitor_schema import monitor_t
from mlops_desktop.catalog.schema import experiment_t, run_t
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.who import os_user

WHO_COLUMNS = {
    "run": {"user"},
    "dataset_version": {"user", "host"},
    "model_version": {"host"},
    "model_audit": {"host"},
    "monitor": {"user", "host"},
    "job": {"user", "host"},
}


def _alembic(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _fill_at_0010(conn: Connection) -> None:
    """One of each record, written as a catalog at 0010 has them (no who columns)."""
    conn.execute(insert(experiment_t).values(id=1, name="old", created_at=1.0))
    conn.execute(
        insert(run_t).values(
            id="r0",
            experiment_id=1,
            name="old-run",
            status="finished",
            started_at=1.0,
            host="box",
            has_start=True,
        )
    )
    conn.execute(insert(dataset_t).values(id=1, name="ds", created_at=1.0))
    conn.execute(
        insert(dataset_version_t).values(
            id=1,
            dataset_id=1,
            number=1,
            fingerprint="blake3:0",
            files=0,
            bytes=0,
            created_at=1.0,
        )
    )
    conn.execute(insert(model_t).values(id=1, name="clf", created_at=1.0))
    for number in (1, 2):
        conn.execute(
            insert(model_version_t).values(
                id=number,
                model_id=1,
                number=number,
                fingerprint="blake3:1",
                run_id="r0",
                created_at=1.0,
                created_by="carol",
            )
        )
    conn.execute(insert(model_alias_t).values(model_id=1, alias="prod", version_id=2))
    conn.execute(
        insert(model_audit_t).values(
            model_id=1,
            version=2,
            at=2.0,
            user="carol",
            action="alias_moved",
            detail={"alias": "prod", "from": 1, "to": 2},
        )
    )
    conn.execute(insert(monitor_t).values(name="mon", created_at=1.0))
    conn.execute(
        insert(job_t).values(
            run_id="r0", target="local", state="finished", submitted_at=1.0, updated_at=1.0
        )
    )


def test_upgrade_from_0010_keeps_rows_and_leaves_who_unknown(
    temp_home: Path, catalog_url: str | None
) -> None:
    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        command.upgrade(_alembic(conn), "0010")
        conn.commit()
        assert not any(WHO_COLUMNS[t] & _columns(conn, t) for t in WHO_COLUMNS)
        _fill_at_0010(conn)
        conn.commit()
    engine.dispose()

    with Services.open(temp_home, catalog_url) as services:
        with services.experiments.catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD >= "0011"
            assert all(WHO_COLUMNS[t] <= _columns(conn, t) for t in WHO_COLUMNS)
        (old,) = services.experiments.list_runs(None, None)
        assert (old.id, old.name, old.user, old.host) == ("r0", "old-run", None, "box")
        (version,) = services.datasets.versions("ds")
        assert (version.fingerprint, version.user, version.host) == ("blake3:0", None, None)
        models = services.models.versions("clf")
        assert [(v.version, v.created_by, v.host) for v in models] == [
            (2, "carol", None),
            (1, "carol", None),
        ]
        (moved,) = services.models.history("clf")
        assert (moved.action, moved.user, moved.host) == ("alias_moved", "carol", None)
        (monitor,) = services.monitors.list_monitors()
        assert (monitor.name, monitor.user, monitor.host) == ("mon", None, None)
        (job,) = services.jobs.jobs()
        assert (job.run_id, job.user, job.host) == ("r0", None, None)
        assert services.experiments.list_runs(None, "user is null") == [old]

        with mlops.start_run("old", name="new-run", capture_env=False) as new:
            pass
        services.experiments.ingest()
        fresh = services.experiments.get_run(new.id).summary
        assert (fresh.user, fresh.host) == (os_user(), socket.gethostname())
        services.models.set_alias("clf", 1, "prod")  # a move after the upgrade says where
        latest = services.models.history("clf")[0]
        assert (latest.action, latest.host) == ("alias_moved", socket.gethostname())


def test_downgrade_to_0010_drops_the_who_columns(temp_home: Path, catalog_url: str | None) -> None:
    with Services.open(temp_home, catalog_url) as services:
        with mlops.start_run("e", name="kept", capture_env=False):
            pass
        services.experiments.ingest()
    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        command.downgrade(_alembic(conn), "0010")
        conn.commit()
        assert current_revision(conn) == "0010"
        assert not any(WHO_COLUMNS[t] & _columns(conn, t) for t in WHO_COLUMNS)
        names: Any = conn.exec_driver_sql("SELECT name FROM run").scalars().all()
        assert names == ["kept"]
    engine.dispose()
