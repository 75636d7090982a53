"""ExperimentService reads: listings, filters, run lookup, series, notes and logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from catalog_spools import SpoolBuilder, write_simple_run

from mlops_desktop.catalog.artifacts import BadDigest, blob_path
from mlops_desktop.core.errors import (
    ExperimentNotFound,
    MetricNotFound,
    QueryError,
    RunNotFound,
)
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking.home import LOG_FILENAME, run_spool_dir


@pytest.fixture
def service(temp_home: Path, catalog_url: str | None):  # type: ignore[no-untyped-def]
    svc = ExperimentService.open(temp_home, catalog_url)
    yield svc
    svc.close()


def test_list_runs_newest_first_and_filtered(temp_home: Path, service: ExperimentService) -> None:
    for i, exp in enumerate(["a", "a", "b"]):
        b = SpoolBuilder(temp_home).start(experiment=exp, name=f"r{i}", started_at=1000.0 + i)
        b.params(lr=0.1 * (i + 1)).tags(team="vision" if i else "nlp")
        b.series("acc", [0.5 + 0.2 * i]).end().write()
    service.ingest()
    assert [r.name for r in service.list_runs()] == ["r2", "r1", "r0"]
    assert [r.name for r in service.list_runs("a")] == ["r1", "r0"]
    assert [r.name for r in service.list_runs(query="metrics.acc > 0.6")] == ["r2", "r1"]
    got = service.list_runs("a", 'tags.team = "nlp" or params.lr > 0.15')
    assert [r.name for r in got] == ["r1", "r0"]
    exps = service.list_experiments()
    assert [(e.name, e.run_count, e.last_run_at) for e in exps] == [
        ("a", 2, 1001.0),
        ("b", 1, 1002.0),
    ]
    with pytest.raises(ExperimentNotFound):
        service.list_runs("nope")
    with pytest.raises(QueryError):
        service.list_runs(query="metrics.acc >")


def test_get_run_by_prefix_and_detail(temp_home: Path, service: ExperimentService) -> None:
    b = SpoolBuilder(temp_home, "abcd1234" + "0" * 24).start(name="x")
    git = {
        "commit": "c0ffee",
        "branch": "main",
        "dirty": True,
        "diff": "+x",
        "diff_bytes": 2,
        "diff_truncated": False,
        "cap_bytes": 1000,
    }
    b.event("env", env={"python": "3.11"}, git=git)
    b.event("artifact", name="model.bin", digest="sha256:" + "ab" * 32, size=10)
    b.event("dataset", name="digits", version="v2", path=None)
    b.series("loss", [1.0, 2.0]).write()
    SpoolBuilder(temp_home, "abcd9999" + "0" * 24).start().write()
    log = run_spool_dir(temp_home, b.run_id) / LOG_FILENAME
    log.write_text("hello\n")
    service.ingest()
    run = service.get_run("abcd12")
    assert run.summary.id == b.run_id and run.metric_counts == {"loss": 2}
    assert run.git is not None and run.git.commit == "c0ffee" and run.git.dirty
    assert run.env == {"python": "3.11"} and run.log_path == str(log)
    # digits is not registered here: the use is kept without a version, and flagged
    assert run.datasets == [{"name": "digits", "version": None, "path": None}]
    assert "digits" in run.summary.tags["mlops.input.digits.unresolved"]
    (art,) = run.artifacts
    assert art.path.endswith("artifacts/sha256/ab/" + "ab" * 32) and art.size == 10
    assert service.get_run(b.run_id).summary.name == "x"
    for bad in ("abcd", "abc", "ffff", ""):
        with pytest.raises(RunNotFound):
            service.get_run(bad)
    assert service.metric_keys([b.run_id, "abcd9999" + "0" * 24]) == ["loss"]
    with pytest.raises(MetricNotFound):
        service.metric_series(b.run_id, "nope")
    with pytest.raises(RunNotFound):
        service.metric_series("ffffffff", "loss")


def test_set_notes(temp_home: Path, service: ExperimentService) -> None:
    b = write_simple_run(temp_home, points=3)
    service.ingest()
    service.set_notes(b.run_id[:6], "# Good run\nkeep")
    assert service.get_run(b.run_id).notes == "# Good run\nkeep"
    with pytest.raises(RunNotFound):
        service.set_notes("ffffffff", "x")


def test_read_log_never_splits_a_character(temp_home: Path, service: ExperimentService) -> None:
    b = write_simple_run(temp_home, points=1)
    service.ingest()
    assert service.read_log(b.run_id) == ("", 0)
    log = run_spool_dir(temp_home, b.run_id) / LOG_FILENAME
    text = "épocha 1 ✓\nlöss 0.5 ✓\n"
    log.write_bytes(text.encode() + "€".encode()[:2])  # a writer mid-character
    got, offset = service.read_log(b.run_id)
    assert got == text and offset == len(text.encode())
    first, off1 = service.read_log(b.run_id, 0, max_bytes=15)
    assert first == "épocha 1 ✓\n"
    with open(log, "ab") as fh:
        fh.write("€".encode()[2:] + b"\n")
    rest, _ = service.read_log(b.run_id, off1)
    assert first + rest == text + "€\n"


def test_artifact_paths_stay_in_the_store(temp_home: Path) -> None:
    good = "sha256:" + "0f" * 32
    assert blob_path(temp_home, good) == temp_home / "artifacts/sha256/0f" / ("0f" * 32)
    for bad in ("sha256:../../etc/passwd", "sha256:" + "AB" * 32, "md5:00", "sha256:" + "0" * 63):
        with pytest.raises(BadDigest):
            blob_path(temp_home, bad)


def test_list_runs_json_serialisable(temp_home: Path, service: ExperimentService) -> None:
    write_simple_run(temp_home, points=2, lr=0.5)
    service.ingest()
    (run,) = service.list_runs()
    json.dumps({"params": run.params, "metrics": run.metrics, "tags": run.tags})
