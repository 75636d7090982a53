"""Run management on SQLite and PostgreSQL: rename, tags, the trash (listings skip trashed
runs, restore brings them back, emptying deletes them for good but keeps runs that model
versions came from) and the run's error in its detail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from catalog_spools import SpoolBuilder

from mlops_desktop.core.errors import RunEditError, RunNotFound
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking.home import LOG_FILENAME, run_spool_dir


@pytest.fixture
def service(temp_home: Path, catalog_url: str | None) -> Iterator[ExperimentService]:
    svc = ExperimentService.open(temp_home, catalog_url)
    yield svc
    svc.close()


def _runs(home: Path, service: ExperimentService, statuses: list[str]) -> list[str]:
    ids = []
    for i, status in enumerate(statuses):
        b = SpoolBuilder(home).start(experiment="e", name=f"r{i}", started_at=1000.0 + i)
        b.params(lr=0.1).tags(team="a").series("acc", [0.5, 0.6])
        if status != "running":
            b.end(status)
        b.write()
        ids.append(b.run_id)
    service.ingest()
    return ids


def test_trash_hides_runs_restore_brings_them_back(
    temp_home: Path, service: ExperimentService
) -> None:
    a, b, c = _runs(temp_home, service, ["finished", "failed", "killed"])
    assert service.trash_runs([a[:6], b]) == [a, b]
    assert [r.id for r in service.list_runs()] == [c]
    assert [r.id for r in service.list_runs("e", "metrics.acc > 0.1")] == [c]
    assert service.list_experiments()[0].run_count == 1
    trashed = service.trashed_runs()
    assert {t.id for t in trashed} == {a, b} and all(t.deleted_at > 0 for t in trashed)
    detail = service.get_run(a)  # a trashed run can still be shown, and says so
    assert detail.deleted_at is not None and detail.summary.params == {"lr": 0.1}
    assert service.restore_runs([a]) == [a]
    assert {r.id for r in service.list_runs()} == {a, c}
    assert service.get_run(a).deleted_at is None
    with pytest.raises(RunEditError, match="not in the trash"):
        service.restore_runs([a])
    with pytest.raises(RunNotFound):
        service.trash_runs(["ffffffffff"])


def test_a_running_run_cannot_go_to_the_trash(temp_home: Path, service: ExperimentService) -> None:
    done, live = _runs(temp_home, service, ["finished", "running"])
    with pytest.raises(RunEditError, match="stop it first"):
        service.trash_runs([done, live])
    assert service.trashed_runs() == []  # all or none


def test_rename_and_tags(temp_home: Path, service: ExperimentService) -> None:
    (rid,) = _runs(temp_home, service, ["finished"])
    service.rename_run(rid[:5], "  best one ")
    service.tag_run(rid, {"stage": "prod", "mlops.color": "#ff0000"}, remove=["team"])
    run = service.list_runs()[0]
    assert run.name == "best one"
    assert run.tags == {"stage": "prod", "mlops.color": "#ff0000"}
    with pytest.raises(RunEditError, match="empty"):
        service.rename_run(rid, "   ")
    with pytest.raises(RunEditError, match="no tag 'nope'"):
        service.tag_run(rid, {"x": "1"}, remove=["nope"])
    with pytest.raises(RunEditError, match="holds"):
        service.tag_run(rid, {"a:b": "1"})
    assert "x" not in service.list_runs()[0].tags, "a failed edit changes nothing"


def test_empty_trash_deletes_for_good(temp_home: Path, service: ExperimentService) -> None:
    a, b = _runs(temp_home, service, ["finished", "finished"])
    (run_spool_dir(temp_home, a) / LOG_FILENAME).write_text("hello\n")
    service.trash_runs([a])
    emptied = service.empty_trash()
    assert emptied.deleted == [a] and emptied.kept == []
    assert service.trashed_runs() == []
    assert not run_spool_dir(temp_home, a).exists()
    with pytest.raises(RunNotFound):
        service.get_run(a)
    service.ingest()  # nothing brings it back
    with pytest.raises(RunNotFound):
        service.get_run(a)
    assert [r.id for r in service.list_runs()] == [b]
    assert service.metric_series(b, "acc").values.tolist() == [0.5, 0.6]


def test_empty_trash_keeps_runs_model_versions_came_from(
    temp_home: Path, tmp_path: Path, catalog_url: str | None
) -> None:
    import mlops_desktop as mlops
    from mlops_desktop.catalog.artifacts import blob_path

    (tmp_path / "w.bin").write_bytes(b"weights")
    with Services.open(temp_home, catalog_url) as services:
        with mlops.start_run("m", name="trained") as run:
            run.log_artifact(tmp_path / "w.bin", name="model/w.bin")
        services.experiments.ingest()
        version = services.models.register("m", run_id=run.id, artifact="model/")
        services.experiments.trash_runs([run.id])
        emptied = services.experiments.empty_trash()
        assert emptied.deleted == []
        assert [k.id for k in emptied.kept] == [run.id] and "m v1" in emptied.kept[0].reason
        assert services.models.gc(dry_run=False, grace_s=0).blobs == 0
        assert blob_path(temp_home, version.files[0].digest).exists()


def test_run_error_from_the_store_and_from_the_log(
    temp_home: Path, service: ExperimentService
) -> None:
    stored = SpoolBuilder(temp_home).start(name="stored")
    traceback = 'Traceback (most recent call last):\n  File "t.py", line 1\nValueError: bad lr\n'
    stored.end("failed", error=traceback).write()
    launched = SpoolBuilder(temp_home).start(name="launched")
    launched.end("failed", error="exit code 1").write()
    (run_spool_dir(temp_home, launched.run_id) / LOG_FILENAME).write_text(
        'epoch 1\nTraceback (most recent call last):\n  File "x.py", line 2, in <module>\n'
        "    import torch\nModuleNotFoundError: No module named 'torch'\n"
    )
    logged = SpoolBuilder(temp_home).start(name="log only")
    logged.end("failed").write()
    (run_spool_dir(temp_home, logged.run_id) / LOG_FILENAME).write_text(
        "loading\nRuntimeError: CUDA out of memory\n"
    )
    fine = SpoolBuilder(temp_home).start(name="fine").end("finished").write()
    assert fine
    service.ingest()
    assert service.get_run(stored.run_id).error == "ValueError: bad lr"
    assert service.get_run(launched.run_id).error == (
        "ModuleNotFoundError: No module named 'torch' (exit code 1)"
    )
    assert service.get_run(logged.run_id).error == "RuntimeError: CUDA out of memory"
    assert all(r.name == "fine" or service.get_run(r.id).error for r in service.list_runs())
    fine_id = next(r.id for r in service.list_runs() if r.name == "fine")
    assert service.get_run(fine_id).error is None
