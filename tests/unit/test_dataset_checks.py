"""use_dataset and log_input are checked against the catalog; ingest never invents a version."""

from __future__ import annotations

import json
import sqlite3
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import mlops_desktop as mlflow
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking import lifecycle
from mlops_desktop.tracking.spool import read_spool
from tests.catalog_spools import SpoolBuilder


@pytest.fixture(autouse=True)
def _no_system_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MLOPS_DESKTOP_SYSTEM_METRICS", "0")
    yield
    for run in lifecycle.active_runs():
        run.end()


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    """A catalog holding the dataset wine with versions v1 and v2."""
    with Services.open(temp_home) as services:
        data = tmp_path / "wine"
        data.mkdir()
        (data / "wine.csv").write_text("a;b\n1;2\n")
        services.datasets.add(data, "wine")
        (data / "wine.csv").write_text("a;b\n1;2\n3;4\n")
        services.datasets.add(data, "wine")
        yield services


def dataset_events(run: mlflow.Run) -> list[tuple[str, str | None]]:
    events = read_spool(run.events_path).events
    return [(e["name"], e["version"]) for e in events if e["type"] == "dataset"]


def test_an_unknown_dataset_or_version_is_an_error_at_the_call(services: Services) -> None:
    with mlflow.start_run(run_name="checked", capture_env=False) as run:
        with pytest.raises(
            mlflow.UnknownDatasetError, match=r"No dataset is named 'no-such'.*wine"
        ):
            run.use_dataset("no-such")
        with pytest.raises(ValueError, match=r"has no version 'v9' \(its versions: v1, v2\)"):
            run.use_dataset("wine", version="v9")
        with pytest.raises(ValueError, match="has no version 'newest'"):
            run.use_dataset("wine", version="newest")
        run.use_dataset("wine", version="2")
        run.use_dataset("wine", version="v1")
        run.use_dataset("wine")
    assert dataset_events(run) == [("wine", "2"), ("wine", "v1"), ("wine", None)]
    services.experiments.ingest()
    # the run's detail lists each version once
    assert [d["version"] for d in services.experiments.get_run(run.id).datasets] == ["v2", "v1"]


def test_strict_false_warns_and_ingest_records_no_version_but_a_flag(
    services: Services,
) -> None:
    with mlflow.start_run(run_name="lenient", capture_env=False) as run:
        with pytest.warns(UserWarning, match="has no version 'v9'.*recorded unchecked"):
            run.use_dataset("wine", version="v9", strict=False)
        with pytest.warns(UserWarning, match="No dataset is named 'ghost'"):
            run.use_dataset("ghost", strict=False)
    services.experiments.ingest()
    detail = services.experiments.get_run(run.id)
    assert [(d["name"], d["version"]) for d in detail.datasets] == [("wine", None), ("ghost", None)]
    assert detail.summary.tags["mlops.input.wine.unresolved"] == (
        "Dataset 'wine' has no version v9 (it has v1, v2)."
    )
    ghost = detail.summary.tags["mlops.input.ghost.unresolved"]
    assert ghost == "No dataset named 'ghost' is registered."
    assert [u.version for u in services.datasets.used_by("wine")] == [None]


def test_an_old_spool_with_an_unknown_version_is_flagged_not_invented(
    services: Services, temp_home: Path
) -> None:
    b = SpoolBuilder(temp_home).start()
    b.event("dataset", name="wine", version="v9", path=None)
    b.event("dataset", name="wine", version="v1", path=None)
    b.event("dataset", name="wine", version="not-a-version", path=None)
    b.end().write()
    services.experiments.ingest()
    detail = services.experiments.get_run(b.run_id)
    assert [d["version"] for d in detail.datasets] == [None, "v1"]  # each version listed once
    assert "no version not-a-version" in detail.summary.tags["mlops.input.wine.unresolved"]
    assert {u.version for u in services.datasets.used_by("wine")} == {None, "v1"}


def test_the_check_is_a_warning_when_the_catalog_cannot_be_read(
    temp_home: Path,
) -> None:
    unchecked = "wine@v9 was recorded unchecked: there is no catalog"
    with (
        mlflow.start_run(run_name="no-catalog", capture_env=False) as run,
        pytest.warns(UserWarning, match=unchecked),
    ):
        run.use_dataset("wine", version="v9")
    (temp_home / "settings.json").write_text(
        json.dumps({"catalog_url": "postgresql+psycopg://lab@db/catalog"})
    )
    with (
        mlflow.start_run(run_name="server", capture_env=False) as run,
        pytest.warns(UserWarning, match="unchecked: the catalog is a postgresql server"),
    ):
        run.use_dataset("wine")
    assert dataset_events(run) == [("wine", None)]


def test_the_check_reads_a_sqlite_catalog_named_in_settings(
    services: Services, temp_home: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    other = moved / "catalog.db"
    source, copy = sqlite3.connect(temp_home / "catalog.db"), sqlite3.connect(other)
    source.backup(copy)
    source.close()
    copy.close()
    (temp_home / "settings.json").write_text(json.dumps({"catalog_url": f"sqlite:///{other}"}))
    (temp_home / "catalog.db").unlink()
    with (
        mlflow.start_run(run_name="settings", capture_env=False) as run,
        pytest.raises(ValueError, match="its versions: v1, v2"),
    ):
        run.use_dataset("wine", version="v3")


def test_the_check_stays_fast_while_a_writer_holds_the_catalog(
    services: Services, temp_home: Path
) -> None:
    writer = sqlite3.connect(temp_home / "catalog.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE dataset SET created_at = created_at")
    try:
        with mlflow.start_run(run_name="busy", capture_env=False) as run:
            began = time.perf_counter()
            run.use_dataset("wine", version="v2")
            elapsed = time.perf_counter() - began
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert elapsed < 0.1, f"use_dataset took {elapsed * 1000:.0f} ms"


def test_log_input_takes_names_versions_paths_and_mlflow_datasets(
    services: Services, tmp_path: Path
) -> None:
    csv = tmp_path / "wine" / "wine.csv"
    remote = SimpleNamespace(
        name="iris", digest="abc123", source=SimpleNamespace(url="https://example.org/iris.csv")
    )
    local = SimpleNamespace(name="wine-df", digest="d1", source=f"file://{csv}")
    with mlflow.start_run(run_name="inputs", capture_env=False) as run:
        mlflow.log_input("wine@v1", context="training")
        mlflow.log_input("wine", context="eval", tags={"split": "test"})
        mlflow.log_input(str(csv))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mlflow.log_input(remote, context="validation")
        mlflow.log_input(local)
        with pytest.raises(ValueError, match="no version 'v7'"):
            mlflow.log_input("wine@v7")
        with pytest.raises(TypeError, match="object with a name"):
            mlflow.log_input(42)
    assert [str(w.message) for w in caught] == [
        "No dataset is named 'iris' in the catalog (registered: wine); recorded unchecked "
        "(strict=False)."
    ]
    services.experiments.ingest()
    detail = services.experiments.get_run(run.id)
    assert [(d["name"], d["version"]) for d in detail.datasets] == [
        ("wine", "v1"),
        ("wine", "v2"),  # by name, by path and by an MLflow dataset of a local file
        ("iris", None),
    ]
    assert detail.datasets[1]["path"] == str(csv)
    tags = detail.summary.tags
    assert tags["mlops.input.wine.context"] == "eval"
    assert tags["mlops.input.wine.split"] == "test"
    assert tags["mlops.input.iris.context"] == "validation"
    assert tags["mlops.input.iris.digest"] == "abc123"
    assert tags["mlops.input.iris.source"] == "https://example.org/iris.csv"
    assert tags["mlops.input.wine-df.digest"] == "d1"
