"""The read API (``mlops_desktop.client``) on runs and models written by the tracking API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop import client
from mlops_desktop.client import (
    ArtifactNotFoundError,
    ExperimentNotFoundError,
    FileInfo,
    MetricNotFoundError,
    MlopsClient,
    ModelVersionNotFoundError,
    RunNotFoundError,
)
from mlops_desktop.core.errors import QueryError, UserFacingError
from mlops_desktop.services.models import ModelService
from mlops_desktop.tracking import fluent, lifecycle
from mlops_desktop.tracking.who import os_user


@dataclass(frozen=True)
class Logged:
    """The runs the fixture logged: a (finished, lr 0.01), b (failed), c (other experiment)."""

    home: Path
    a: str
    b: str
    c: str
    started: float


@pytest.fixture(autouse=True)
def _fresh_fluent_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fluent, "_experiment", None)
    monkeypatch.setenv("MLOPS_DESKTOP_SYSTEM_METRICS", "0")
    yield
    for run in lifecycle.active_runs():
        run.end()


@pytest.fixture
def logged(temp_home: Path, tmp_path: Path) -> Logged:
    src = tmp_path / "src"
    (src / "model").mkdir(parents=True)
    (src / "fig.png").write_bytes(b"\x89PNG fake")
    (src / "notes.txt").write_text("hello")
    (src / "model" / "model.txt").write_text("weights")
    started = time.time()
    with mlops.start_run(experiment="wine", run_name="a", capture_env=False) as run:
        run.log_params({"lr": 0.01, "optimizer": "adam"})
        for step, acc in enumerate([0.5, 0.7, 0.9]):
            run.log_metric("acc", acc, step=step)
        run.set_tag("team", "vision")
        run.log_artifact(src / "fig.png", "plots")
        run.log_artifact(src / "notes.txt")
        run.log_artifacts(src / "model", "model")
        a = run.id
    run = mlops.start_run(experiment="wine", run_name="b", capture_env=False)
    run.log_param("lr", 0.1)
    run.log_metric("acc", 0.8)
    run.end("FAILED")
    b = run.id
    with mlops.start_run(experiment="digits", run_name="c", capture_env=False) as run:
        run.log_metric("acc", 0.95)
        c = run.id
    return Logged(temp_home, a, b, c, started)


@pytest.fixture
def api(logged: Logged) -> Iterator[MlopsClient]:
    with MlopsClient(logged.home) as c:
        yield c


def ids(runs: list[client.Run]) -> list[str]:
    return [r.info.run_id for r in runs]


def test_get_run_reads_info_and_data_as_mlflow_shapes_them(
    api: MlopsClient, logged: Logged
) -> None:
    run = api.get_run(logged.a)
    wine = api.get_experiment_by_name("wine")
    assert wine is not None and wine.run_count == 2
    info = run.info
    assert (info.run_id, info.run_uuid, info.run_name) == (logged.a, logged.a, "a")
    assert (info.experiment_id, info.experiment_name) == (wine.experiment_id, "wine")
    assert (info.status, info.state, info.lifecycle_stage) == ("FINISHED", "finished", "active")
    assert isinstance(info.start_time, int) and isinstance(info.end_time, int)
    assert logged.started * 1000 - 1000 <= info.start_time <= info.end_time
    assert info.artifact_uri == f"runs:/{logged.a}"
    assert info.user_id == os_user()  # MLflow's user: the OS user whose process logged it
    assert run.data.params == {"lr": "0.01", "optimizer": "adam"}
    assert run.data.metrics == {"acc": 0.9}
    assert run.data.tags["team"] == "vision" and run.data.tags["mlflow.runName"] == "a"
    assert api.get_run(logged.b).info.status == "FAILED"
    assert api.get_run(logged.a[:8]).info.run_id == logged.a  # a unique prefix works
    assert run.to_dictionary()["data"]["params"]["lr"] == "0.01"


def test_search_runs_filters_with_our_language_and_mlflow_spellings(
    api: MlopsClient, logged: Logged
) -> None:
    assert ids(api.search_runs(filter_string='metrics.acc > 0.85 and params.lr = "0.01"')) == [
        logged.a
    ]
    assert ids(api.search_runs(filter_string="attributes.status = 'FAILED'")) == [logged.b]
    assert ids(api.search_runs(filter_string="attributes.status != 'FAILED'")) == [
        logged.c,
        logged.a,
    ]
    assert ids(api.search_runs(filter_string="tags.`mlflow.runName` = 'b'")) == [logged.b]
    assert ids(api.search_runs(filter_string="attributes.run_name ILIKE 'C'")) == [logged.c]
    assert ids(api.search_runs(filter_string="metric.acc >= 0.95")) == [logged.c]
    since = int(logged.started * 1000) - 1000
    assert len(api.search_runs(filter_string=f"attributes.start_time > {since}")) == 3
    assert api.search_runs(filter_string=f"attributes.start_time < {since}") == []
    assert ids(api.search_runs(filter_string="status in ('FINISHED', 'KILLED')")) == [
        logged.c,
        logged.a,
    ]


def test_search_runs_by_experiment_order_and_max_results(api: MlopsClient, logged: Logged) -> None:
    assert ids(api.search_runs(order_by=["metrics.acc DESC"])) == [logged.c, logged.a, logged.b]
    assert ids(api.search_runs(order_by=["metrics.acc"])) == [logged.b, logged.a, logged.c]
    assert ids(api.search_runs(order_by=["params.lr DESC"]))[:2] == [logged.b, logged.a]
    assert ids(api.search_runs(order_by=["attributes.start_time ASC"])) == [
        logged.a,
        logged.b,
        logged.c,
    ]
    assert set(ids(api.search_runs(experiment_names=["wine"]))) == {logged.a, logged.b}
    assert ids(api.search_runs(experiment="digits")) == [logged.c]
    wine = api.get_experiment_by_name("wine")
    assert wine is not None
    assert set(ids(api.search_runs([wine.experiment_id]))) == {logged.a, logged.b}
    assert len(api.search_runs(max_results=1)) == 1
    with pytest.raises(ExperimentNotFoundError, match="no experiment named 'nope'"):
        api.search_runs(experiment_names=["nope"])
    with pytest.raises(ExperimentNotFoundError):
        api.search_runs(["999"])
    with pytest.raises(UserFacingError, match="Cannot order by 'bogus'"):
        api.search_runs(order_by=["bogus DESC"])


def test_a_malformed_filter_is_one_clear_error_pointing_at_the_given_text(
    api: MlopsClient,
) -> None:
    text = "attributes.status = 'FINISHED' and metrics.acc > > 1"
    with pytest.raises(QueryError) as err:
        api.search_runs(filter_string=text)
    assert err.value.query == text
    assert err.value.column == text.index("> 1") + 1
    with pytest.raises(QueryError, match="unknown attribute 'bogus'"):
        api.search_runs(filter_string="attributes.bogus = 1")
    with pytest.raises(QueryError, match="unterminated string"):
        api.search_runs(filter_string="params.lr = '0.01")


def test_metric_history_lists_every_point(api: MlopsClient, logged: Logged) -> None:
    history = api.get_metric_history(logged.a, "acc")
    assert [(m.key, m.value, m.step) for m in history] == [
        ("acc", 0.5, 0),
        ("acc", 0.7, 1),
        ("acc", 0.9, 2),
    ]
    assert all(isinstance(m.timestamp, int) and m.timestamp > 1e12 for m in history)
    with pytest.raises(MetricNotFoundError) as err:
        api.get_metric_history(logged.a, "loss")
    assert isinstance(err.value, LookupError)


def test_list_artifacts_shows_folders_and_files(api: MlopsClient, logged: Logged) -> None:
    assert api.list_artifacts(logged.a) == [
        FileInfo("model", True, None),
        FileInfo("notes.txt", False, 5),
        FileInfo("plots", True, None),
    ]
    assert api.list_artifacts(logged.a, "plots/") == [FileInfo("plots/fig.png", False, 9)]
    assert api.list_artifacts(logged.a, "nothing") == []
    assert api.list_artifacts(logged.c) == []


def test_download_artifacts_copies_files_and_folders_out_of_the_store(
    api: MlopsClient, logged: Logged, tmp_path: Path
) -> None:
    dst = tmp_path / "out"
    got = api.download_artifacts(logged.a, "plots/fig.png", dst)
    assert got == str(dst / "plots" / "fig.png")
    assert Path(got).read_bytes() == b"\x89PNG fake"
    folder = api.download_artifacts(logged.a, "model", dst)
    assert (Path(folder) / "model.txt").read_text() == "weights"
    everything = Path(api.download_artifacts(logged.a))  # a new temp folder
    assert sorted(p.relative_to(everything).as_posix() for p in everything.rglob("*.*")) == [
        "model/model.txt",
        "notes.txt",
        "plots/fig.png",
    ]
    with pytest.raises(ArtifactNotFoundError, match="has no artifact 'nope'"):
        api.download_artifacts(logged.a, "nope", dst)


def test_download_keeps_every_path_inside_the_destination(tmp_path: Path) -> None:
    from mlops_desktop.client.artifacts import download
    from mlops_desktop.core.errors import ArtifactUnreadable
    from mlops_desktop.core.runs import ArtifactRef

    blob = tmp_path / "blob"
    blob.write_text("x")
    dst = tmp_path / "dst"
    for hostile in ("../evil.txt", "/etc/evil.txt", "a/../../evil.txt"):
        with pytest.raises(ArtifactUnreadable, match="would leave"):
            download("r" * 32, [ArtifactRef(hostile, "sha256:0", 1, str(blob))], "", dst)
    outside = tmp_path / "outside"
    outside.mkdir()
    dst.mkdir(exist_ok=True)
    (dst / "link").symlink_to(outside)
    with pytest.raises(ArtifactUnreadable, match="through a link"):
        download("r" * 32, [ArtifactRef("link/f.txt", "sha256:0", 1, str(blob))], "", dst)
    assert not list(outside.iterdir()) and not (tmp_path / "evil.txt").exists()


def test_unknown_things_are_lookup_errors_with_one_sentence(api: MlopsClient) -> None:
    with pytest.raises(RunNotFoundError) as err:
        api.get_run("no-such-run-id")
    assert isinstance(err.value, LookupError)
    assert str(err.value).startswith("No run has an id starting with 'no-such-run-id'")
    with pytest.raises(RunNotFoundError):
        api.list_artifacts("no-such-run-id")
    with pytest.raises(ModelVersionNotFoundError) as merr:
        api.get_model_version("nope", 1)
    assert isinstance(merr.value, LookupError)


def test_model_versions_by_number_alias_and_search(api: MlopsClient, logged: Logged) -> None:
    api.get_run(logged.a)  # the client ingests the spools; registering does not
    models = ModelService.open(logged.home)
    try:
        models.register("wine-model", logged.a, artifact="model", tags={"stage": "prod"})
        models.register("wine-model", logged.a, artifact="plots/fig.png")
        models.set_alias("wine-model", 1, "champion")
    finally:
        models.close()
    v1 = api.get_model_version("wine-model", "1")
    assert (v1.name, v1.version, v1.number, v1.run_id) == ("wine-model", "1", 1, logged.a)
    assert v1.aliases == ["champion"] and v1.tags == {"stage": "prod"}
    assert v1.files == [FileInfo("model.txt", False, 7)] and v1.fingerprint.startswith("blake3:")
    assert api.get_model_version_by_alias("wine-model", "champion") == v1
    assert api.get_latest_version("wine-model").number == 2
    found = api.search_model_versions("name = 'wine-model'")
    assert [v.number for v in found] == [2, 1]
    assert [v.number for v in api.search_model_versions("tags.stage = 'prod'")] == [1]
    assert [v.number for v in api.search_model_versions(f"run_id = '{logged.a}'")] == [2, 1]
    assert api.search_model_versions("name like 'WINE%' and version_number > 1")[0].number == 2
    with pytest.raises(ModelVersionNotFoundError, match="no version 9"):
        api.get_model_version("wine-model", 9)
    with pytest.raises(ModelVersionNotFoundError, match="no alias 'gone'"):
        api.get_model_version_by_alias("wine-model", "gone")
    with pytest.raises(QueryError, match="unknown field 'colour'"):
        api.search_model_versions("colour = 'red'")


def test_search_experiments(api: MlopsClient) -> None:
    names = [e.name for e in api.search_experiments(order_by=["name DESC"])]
    assert names == ["wine", "digits"]
    assert [e.name for e in api.search_experiments("name like 'w%'")] == ["wine"]
    assert api.get_experiment_by_name("nope") is None


def test_pandas_output_has_mlflow_columns(api: MlopsClient, logged: Logged) -> None:
    pd = pytest.importorskip("pandas")
    frame = api.search_runs(output_format="pandas", order_by=["metrics.acc DESC"])
    assert list(frame["run_id"]) == [logged.c, logged.a, logged.b]
    assert {"experiment_id", "status", "start_time", "end_time", "artifact_uri"} <= set(frame)
    assert list(frame["metrics.acc"]) == [0.95, 0.9, 0.8]
    assert frame["params.lr"].tolist()[1:] == ["0.01", "0.1"]
    assert frame["tags.mlflow.runName"].tolist() == ["c", "a", "b"]
    assert isinstance(frame["start_time"].dtype, pd.DatetimeTZDtype)
    module_level = client.search_runs(filter_string="params.optimizer = 'adam'")
    assert isinstance(module_level, pd.DataFrame) and list(module_level["run_id"]) == [logged.a]


def test_module_level_functions_use_the_default_home(logged: Logged, tmp_path: Path) -> None:
    runs = client.search_runs(filter_string="params.lr = 0.01", output_format="list")
    assert ids(runs) == [logged.a]
    assert client.get_run(logged.a).info.run_name == "a"
    assert len(client.get_metric_history(logged.a, "acc")) == 3
    assert FileInfo("plots", True, None) in client.list_artifacts(logged.a)
    got = client.download_artifacts(logged.a, "notes.txt", tmp_path / "dl")
    assert Path(got).read_text() == "hello"
    assert client.get_experiment_by_name("digits") is not None
    assert [e.name for e in client.search_experiments()] == ["digits", "wine"]
    assert client.search_model_versions() == []


def test_reads_what_a_live_run_logged_since_the_last_call(api: MlopsClient) -> None:
    run = mlops.start_run(experiment="live", run_name="live", capture_env=False)
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    assert api.get_run(run.id).info.status == "RUNNING"
    run.log_metric("loss", 0.5, step=1)
    run.flush()
    assert [m.value for m in api.get_metric_history(run.id, "loss")] == [1.0, 0.5]
    run.end()
    assert api.get_run(run.id).info.status == "FINISHED"


def test_import_mlops_desktop_loads_neither_the_client_nor_sqlalchemy() -> None:
    code = (
        "import json, sys, mlops_desktop; "
        "print(json.dumps([m for m in ('sqlalchemy', 'mlops_desktop.client', "
        "'mlops_desktop.catalog') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_child_runs_carry_mlflows_parent_tag_and_order_puts_missing_last(
    api: MlopsClient, logged: Logged
) -> None:
    with (
        mlops.start_run(experiment="wine", run_name="parent", capture_env=False) as parent,
        mlops.start_run(run_name="child", nested=True, capture_env=False) as child,
    ):
        child.log_param("lr", "auto")
    got = api.get_run(child.id)
    assert got.data.tags["mlflow.parentRunId"] == parent.id
    assert got.info.experiment_name == "wine"
    ordered = ids(api.search_runs(experiment="wine", order_by=["params.lr DESC"]))
    assert ordered == [child.id, logged.b, logged.a, parent.id]  # text, numbers, missing
    ordered = ids(api.search_runs(experiment="wine", order_by=["params.lr ASC", "run_name"]))
    assert ordered == [logged.a, logged.b, child.id, parent.id]
