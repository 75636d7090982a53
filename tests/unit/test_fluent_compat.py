"""MLflow's rules and helpers: params never change, tracking URIs, experiments, run.info/data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

import mlops_desktop as mlflow
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking import fluent, lifecycle, tracking_uri
from mlops_desktop.tracking import start as start_module
from mlops_desktop.tracking.spool import read_spool
from tests.catalog_spools import SpoolBuilder


@pytest.fixture(autouse=True)
def _fresh_fluent_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fluent, "_experiment", None)
    monkeypatch.setattr(fluent, "_last_started", None)
    monkeypatch.setattr(fluent, "_known_experiments", set())
    monkeypatch.setattr(tracking_uri, "_home", None)
    monkeypatch.setenv("MLOPS_DESKTOP_SYSTEM_METRICS", "0")
    yield
    for run in lifecycle.active_runs():
        run.end()


def test_a_param_logged_again_with_another_value_raises_as_in_mlflow() -> None:
    with mlflow.start_run(run_name="p", capture_env=False, params={"depth": 3}) as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_param("lr", 0.01)  # the same value again is fine
        mlflow.log_params({"lr": "0.01", "batch": 32})  # so is its text
        with pytest.raises(ValueError) as caught:
            mlflow.log_param("lr", 0.02)
        assert str(caught.value) == (
            "Changing param values is not allowed. Param with key='lr' was already logged "
            f"with value='0.01' for run ID='{run.id}'. Attempted logging new value '0.02'."
        )
        with pytest.raises(ValueError, match="key='depth'"):
            run.log_params({"new": 1, "depth": 4})  # nothing of a refused call is logged
    logged = [e["params"] for e in read_spool(run.events_path).events if e["type"] == "params"]
    assert logged == [{"depth": 3}, {"lr": 0.01}, {"lr": 0.01}, {"lr": "0.01", "batch": 32}]


def test_a_resumed_launched_run_keeps_the_params_its_spool_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    b = SpoolBuilder(tmp_path, "relaunched1")
    b.start().params(lr=0.01).write()
    monkeypatch.setattr(start_module, "_attached", False)
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_ID", "relaunched1")
    monkeypatch.setenv("MLOPS_DESKTOP_SPOOL", str(spool / "relaunched1"))
    with mlflow.start_run(run_id="relaunched1", capture_env=False) as run:
        mlflow.log_param("lr", 0.01)
        with pytest.raises(ValueError, match=r"already logged with value='0\.01'"):
            mlflow.log_param("lr", 0.1)
        assert run.data.params == {"lr": "0.01"}


def test_run_info_and_run_data_as_mlflow_users_read_them() -> None:
    mlflow.set_experiment("compat")
    with mlflow.start_run(run_name="info", capture_env=False) as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.set_tag("team", "vision")
        for step in range(3):
            mlflow.log_metric("rmse", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"r2": 0.7})
        info = mlflow.active_run().info
        assert (info.run_id, info.run_uuid, info.run_name) == (run.id, run.id, "info")
        assert (info.experiment_id, info.status, info.end_time) == ("compat", "RUNNING", None)
        assert info.artifact_uri == f"runs:/{run.id}"
        assert info.start_time is not None and info.start_time > 1_600_000_000_000
        data = run.data
        assert data.params == {"alpha": "0.5"}
        assert data.metrics == {"rmse": pytest.approx(1 / 3), "r2": 0.7}
        assert data.tags == {"team": "vision"}
        assert mlflow.get_artifact_uri() == f"runs:/{run.id}"
        assert mlflow.get_artifact_uri("model/") == f"runs:/{run.id}/model"
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert mlflow.active_run() is None
    assert mlflow.last_active_run() is run


def test_the_tracking_uri_is_a_file_uri_of_the_home_and_can_move_it(
    temp_home: Path, tmp_path: Path
) -> None:
    uri = mlflow.get_tracking_uri()
    assert urlparse(uri).scheme == "file" and Path(urlparse(uri).path) == temp_home.resolve()
    elsewhere = tmp_path / "mlruns"
    mlflow.set_tracking_uri(elsewhere.as_uri())
    assert mlflow.get_tracking_uri() == elsewhere.resolve().as_uri()
    with mlflow.start_run(run_name="moved", capture_env=False) as run:
        mlflow.log_metric("x", 1.0)
    assert run.home == elsewhere.resolve()
    assert run.spool_dir.is_relative_to(elsewhere.resolve())
    with pytest.warns(UserWarning, match="runs stay in the local home"):
        mlflow.set_tracking_uri("http://localhost:5000")
    assert mlflow.get_tracking_uri() == elsewhere.resolve().as_uri()
    mlflow.set_tracking_uri(str(tmp_path / "plain"))
    assert mlflow.get_tracking_uri() == (tmp_path / "plain").resolve().as_uri()
    mlflow.set_tracking_uri(None)
    assert mlflow.get_tracking_uri() == temp_home.resolve().as_uri()
    svc = ExperimentService.open(elsewhere)
    try:
        svc.ingest()
        assert [r.id for r in svc.list_runs()] == [run.id]
    finally:
        svc.close()


def test_a_launched_process_keeps_the_launch_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_ID", "launched2")
    before = mlflow.get_tracking_uri()
    with pytest.warns(UserWarning, match="launched by the app"):
        mlflow.set_tracking_uri("file:./mlruns")
    assert mlflow.get_tracking_uri() == before


def test_experiments_by_name_from_this_process_or_the_catalog(temp_home: Path) -> None:
    assert mlflow.get_experiment_by_name("never") is None  # no catalog yet
    SpoolBuilder(temp_home).start(experiment="in-catalog").end().write()
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
    finally:
        svc.close()
    found = mlflow.get_experiment_by_name("in-catalog")
    assert found is not None and found.experiment_id == found.name == "in-catalog"
    assert mlflow.get_experiment_by_name("never") is None
    assert mlflow.create_experiment("fresh") == "fresh"
    assert mlflow.get_experiment("fresh") is not None
    mlflow.set_experiment("set-here")
    assert mlflow.get_experiment_by_name("set-here") is not None
