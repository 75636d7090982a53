"""The module-level (MLflow) API in-process: statuses, nesting, resuming, artifact folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mlops_desktop as mlflow
from mlops_desktop.tracking import fluent, lifecycle
from mlops_desktop.tracking import start as start_module
from mlops_desktop.tracking.spool import read_spool


@pytest.fixture(autouse=True)
def _fresh_fluent_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fluent, "_experiment", None)
    monkeypatch.setenv("MLOPS_DESKTOP_SYSTEM_METRICS", "0")
    yield
    for run in lifecycle.active_runs():
        run.end()


def events(run: mlflow.Run, kind: str) -> list[dict[str, Any]]:
    return [e for e in read_spool(run.events_path).events if e["type"] == kind]


def tags(run: mlflow.Run) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in events(run, "tags"):
        out.update(e["tags"])
    return out


@pytest.mark.parametrize(
    ("given", "stored"),
    [("FINISHED", "finished"), ("FAILED", "failed"), ("KILLED", "killed"), ("Failed", "failed")],
)
def test_mlflow_status_spellings_on_end_run_and_run_end(given: str, stored: str) -> None:
    mlflow.start_run(capture_env=False)
    mlflow.end_run(given)
    run = mlflow.start_run(capture_env=False)
    run.end(given)
    assert events(run, "end")[0]["status"] == stored
    assert run.info.status == stored.upper()
    with pytest.raises(ValueError, match="status"):
        mlflow.start_run(capture_env=False).end("RUNNING")


def test_end_run_ends_the_active_run_with_finished_by_default() -> None:
    run = mlflow.start_run(run_name="r", capture_env=False)
    assert mlflow.active_run() is run
    mlflow.end_run()
    assert run.status == "finished" and mlflow.active_run() is None
    mlflow.end_run()  # nothing active: nothing happens


def test_a_second_mlflow_style_run_says_to_nest() -> None:
    with mlflow.start_run(run_name="outer", log_system_metrics=False) as outer:
        with pytest.raises(RuntimeError, match=f"Run {outer.id} is already active.*nested=True"):
            mlflow.start_run(run_name="inner")
        assert mlflow.active_run() is outer


def test_nested_runs_stack_record_their_parent_and_keep_its_experiment() -> None:
    mlflow.set_experiment("fluent-a")
    with mlflow.start_run(run_name="outer", capture_env=False) as outer:
        with mlflow.start_run(run_name="inner", nested=True, capture_env=False) as inner:
            with mlflow.start_run(
                nested=True, experiment_name="elsewhere", capture_env=False
            ) as deepest:
                assert mlflow.active_run() is deepest
            assert mlflow.active_run() is inner
        assert mlflow.active_run() is outer
    assert outer.experiment == inner.experiment == "fluent-a"
    assert deepest.experiment == "elsewhere"
    assert tags(inner)[fluent.PARENT_TAG] == outer.id
    assert tags(deepest)[fluent.PARENT_TAG] == inner.id
    assert fluent.PARENT_TAG not in tags(outer)


def test_the_parent_is_read_from_ours_or_mlflows_tag() -> None:
    assert fluent.parent_run_id({"mlops.parent_run_id": "a"}) == "a"
    assert fluent.parent_run_id({"mlflow.parentRunId": "b"}) == "b"
    assert fluent.parent_run_id({"team": "x"}) is None


def test_a_log_call_without_a_run_starts_one_that_stays_active() -> None:
    mlflow.set_experiment("fluent-implicit")
    mlflow.log_metric("loss", 0.5)
    run = mlflow.active_run()
    assert run is not None and run.experiment == "fluent-implicit"
    mlflow.log_param("lr", 0.1)
    assert mlflow.active_run() is run
    mlflow.end_run()
    assert [e["params"] for e in events(run, "params")] == [{"lr": 0.1}]
    assert run.ended


def test_the_0_1_api_still_starts_runs_side_by_side_and_by_positional_experiment() -> None:
    first = mlflow.start_run("fluent-old", name="first", capture_env=False)
    second = mlflow.start_run(experiment="fluent-old", name="second", capture_env=False)
    assert first.experiment == "fluent-old" and mlflow.active_run() is second
    second.end()
    assert mlflow.active_run() is first
    first.end()


def test_run_id_resumes_the_run_the_app_launched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(start_module, "_attached", False)
    spool = tmp_path / "spool" / "launched1"
    spool.mkdir(parents=True)
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_ID", "launched1")
    monkeypatch.setenv("MLOPS_DESKTOP_SPOOL", str(spool))
    mlflow.set_experiment("ignored-for-a-launched-run")
    monkeypatch.setenv("MLOPS_DESKTOP_EXPERIMENT", "launched-exp")
    with mlflow.start_run(run_id="launched1", capture_env=False) as run:
        assert mlflow.start_run(run_id="launched1") is run  # active: the same run again
        mlflow.log_metric("loss", 1.0)
    assert run.id == "launched1" and run.experiment == "launched-exp"
    assert [e["seq"] for e in read_spool(spool / "events.jsonl").events] == [0, 1, 2]


def test_run_id_of_a_run_that_cannot_be_resumed_is_refused(temp_home: Path) -> None:
    with pytest.raises(ValueError, match=f"Run {'a' * 32} cannot be resumed here"):
        mlflow.start_run(run_id="a" * 32)
    ended = mlflow.start_run(name="done", capture_env=False)
    ended.end()
    with pytest.raises(ValueError, match="cannot be resumed"):
        mlflow.start_run(ended.id)
    assert lifecycle.active_runs() == []


def test_artifact_path_is_a_folder_on_the_run_and_the_module(tmp_path: Path) -> None:
    fig = tmp_path / "fig.png"
    fig.write_bytes(b"png")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "a.txt").write_text("a")
    (out / "sub" / "b.txt").write_text("b")
    with mlflow.start_run(run_name="art", capture_env=False) as run:
        run.log_artifact(fig, "plots")
        run.log_artifact(fig, name="renamed.png")  # the stored name itself, as before
        mlflow.log_artifact(str(fig), artifact_path="figures/2024")
        mlflow.log_artifact(fig)
        mlflow.log_artifacts(out, "outputs")
        mlflow.log_artifacts(out)
        with pytest.raises(ValueError, match="not both"):
            run.log_artifact(fig, "plots", name="x.png")
        with pytest.raises(ValueError, match=r"\.\."):
            mlflow.log_artifact(fig, "../escape")
        with pytest.raises(FileNotFoundError, match="no such folder"):
            mlflow.log_artifacts(fig)
    assert [e["name"] for e in events(run, "artifact")] == [
        "plots/fig.png",
        "renamed.png",
        "figures/2024/fig.png",
        "fig.png",
        "outputs/a.txt",
        "outputs/sub/b.txt",
        "a.txt",
        "sub/b.txt",
    ]
