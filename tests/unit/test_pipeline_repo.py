"""The pipeline tables on a real catalog (SQLite in a temp home, and PostgreSQL when it is
installed): pipelines, pipeline runs with their parent run, stage runs, the stage cache,
triggers with dedupe, gates and approvals; the schema matches migration 0013."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select, update

from mlops_desktop.catalog import pipeline_records as records
from mlops_desktop.catalog import pipeline_repo as repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.migrate import HEAD, current_revision
from mlops_desktop.catalog.pipeline_records import CachedStageDoc
from mlops_desktop.catalog.pipeline_schema import pipeline_gate_t
from mlops_desktop.catalog.schema import Base, run_t, tag_t
from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import (
    GateResult,
    Pipeline,
    PipelineTriggers,
    Stage,
    StageRun,
)
from mlops_desktop.services.catalog_open import open_catalog
from mlops_desktop.tracking.who import os_user


@pytest.fixture
def catalog(temp_home: Path, catalog_url: str | None) -> Iterator[Catalog]:
    cat = open_catalog(temp_home, catalog_url)
    yield cat
    cat.dispose()


def _pipeline(tmp_path: Path, name: str = "wine", stages: int = 3) -> Pipeline:
    return Pipeline(
        path=tmp_path / "pipeline.yaml",
        root=tmp_path,
        name=name,
        kind="mlops",
        stages=tuple(Stage(f"s{i}", cmd=("true",)) for i in range(stages)),
        triggers=PipelineTriggers(datasets=("wine",), monitors=("drift",), schedule_s=3600.0),
    )


def test_the_schema_matches_migration_0013(catalog: Catalog) -> None:
    with catalog.engine.connect() as conn:
        assert current_revision(conn) == HEAD == "0013"
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "pipeline" in str(d)] == []


def test_a_pipeline_is_added_refreshed_and_listed(catalog: Catalog, tmp_path: Path) -> None:
    with catalog.session_scope(write=True) as s:
        first = repo.save_pipeline(s, _pipeline(tmp_path), at=10.0)
    assert (first.name, first.kind, first.stages, first.added_at) == ("wine", "mlops", 3, 10.0)
    assert first.triggers == PipelineTriggers(("wine",), ("drift",), 3600.0)
    assert first.last_run_id is None and first.waiting_approvals == 0
    with catalog.session_scope(write=True) as s:
        again = repo.save_pipeline(s, _pipeline(tmp_path, stages=5), at=20.0)
        repo.save_pipeline(s, _pipeline(tmp_path, name="another"))
    assert (again.stages, again.added_at) == (5, 10.0)  # refreshed, first added at 10
    with catalog.session_scope() as s:
        assert [p.name for p in repo.list_pipelines(s)] == ["another", "wine"]
        assert repo.get_pipeline(s, "nope") is None
    with catalog.session_scope(write=True) as s:
        assert repo.remove_pipeline(s, "another")
        assert not repo.remove_pipeline(s, "another")


def test_a_pipeline_run_is_a_parent_run_and_ends_with_it(catalog: Catalog, tmp_path: Path) -> None:
    stages = (StageRun("prepare", "cached", source_run_id="old"), StageRun("train", "stale"))
    with catalog.session_scope(write=True) as s:
        repo.save_pipeline(s, _pipeline(tmp_path))
        info = repo.create_pipeline_run(
            s,
            pipeline="wine",
            path=str(tmp_path / "pipeline.yaml"),
            experiment="wine-exp",
            trigger="dataset",
            trigger_detail="wine v4",
            at=100.0,
            stages=stages,
        )
    assert info.state == "running" and info.trigger == "dataset" and info.user == os_user()
    assert [(st.stage, st.state) for st in info.stages] == [
        ("prepare", "cached"),
        ("train", "stale"),
    ]
    with catalog.session_scope() as s:
        run = s.execute(select(run_t).where(run_t.c.id == info.run_id)).one()
        tags = {k: v for k, v in s.execute(select(tag_t.c.key, tag_t.c.value))}
    assert (run.name, run.status, run.started_at) == ("wine-1", "running", 100.0)
    assert tags == {"mlops.pipeline": "wine", "mlops.pipeline.trigger": "dataset"}

    train = StageRun("train", "failed", run_id="child", reasons=("never ran",), detail="boom")
    with catalog.session_scope(write=True) as s:
        repo.save_stage_run(s, info.run_id, train, 1)
        assert repo.end_pipeline_run(s, info.run_id, "failed", at=130.0, detail="train failed")
        assert not repo.end_pipeline_run(s, info.run_id, "done")  # ended already
    with catalog.session_scope() as s:
        shown = repo.get_pipeline_run(s, info.run_id)
        run = s.execute(select(run_t).where(run_t.c.id == info.run_id)).one()
        listed = repo.list_pipelines(s)[0]
    assert shown is not None and shown.state == "failed" and shown.ended_at == 130.0
    assert shown.stages[1] == train
    assert (run.status, run.ended_at, run.error) == ("failed", 130.0, "train failed")
    assert (listed.last_run_id, listed.last_state) == (info.run_id, "failed")

    with catalog.session_scope(write=True) as s:
        second = repo.create_pipeline_run(s, pipeline="wine", path="p", experiment="wine-exp")
        repo.end_pipeline_run(s, second.run_id, "cancelled")
    with catalog.session_scope() as s:
        status = s.execute(select(run_t.c.status).where(run_t.c.id == second.run_id)).scalar()
        runs = repo.list_pipeline_runs(s, "wine")
        assert [r.run_id for r in runs] == [second.run_id, info.run_id]
        assert repo.list_pipeline_runs(s, "wine", state="failed") == [shown]
        assert repo.resolve_pipeline_run_id(s, info.run_id[:8]) == info.run_id
        with pytest.raises(PipelineError, match="No pipeline run has the id 'zzzzzz'"):
            repo.resolve_pipeline_run_id(s, "zzzzzz")
    assert status == "killed"
    with catalog.session_scope(write=True) as s:  # emptying the trash deletes the parent run
        s.execute(delete(run_t).where(run_t.c.id == second.run_id))
    with catalog.session_scope() as s:
        assert repo.get_pipeline_run(s, second.run_id) is None
        assert [r.run_id for r in repo.list_pipeline_runs(s)] == [info.run_id]
    with catalog.session_scope(write=True) as s, pytest.raises(ValueError):
        repo.end_pipeline_run(s, second.run_id, "finished")


def test_the_stage_cache_finds_a_fingerprint_and_the_newest(catalog: Catalog) -> None:
    def doc(fp: str, at: float) -> CachedStageDoc:
        outs = {"model.joblib": {"path": "model.joblib", "digest": fp}}
        return CachedStageDoc("wine", "train", fp, {"cmd": ["python t.py"]}, outs, "r-" + fp, at)

    with catalog.session_scope(write=True) as s:
        records.save_cached_stage(s, doc("aa", 1.0))
        records.save_cached_stage(s, doc("bb", 2.0))
        records.save_cached_stage(s, doc("aa", 3.0))  # made again: now the newest
    with catalog.session_scope() as s:
        assert records.lookup_cached_stage(s, "wine", "train", "bb") == doc("bb", 2.0)
        assert records.lookup_cached_stage(s, "wine", "train", "cc") is None
        assert records.lookup_cached_stage(s, "wine", "prepare", "aa") is None
        assert records.last_cached_stage(s, "wine", "train") == doc("aa", 3.0)
        assert records.last_cached_stage(s, "other", "train") is None


def test_a_trigger_with_a_seen_dedupe_key_is_not_recorded_again(catalog: Catalog) -> None:
    with catalog.session_scope(write=True) as s:
        first = records.record_trigger(s, "wine", "dataset", "wine v4", "dataset:wine:4", at=5.0)
        assert first is not None and first.detail == "wine v4" and first.user == os_user()
        assert records.record_trigger(s, "wine", "dataset", "wine v4", "dataset:wine:4") is None
        manual = [records.record_trigger(s, "wine", "manual", "", None) for _ in range(2)]
        assert all(m is not None for m in manual)  # no key: never a duplicate
    with catalog.session_scope(write=True) as s:  # another transaction: still a duplicate
        assert records.record_trigger(s, "other", "dataset", "x", "dataset:wine:4") is None
        records.set_trigger_outcome(s, first.id, "prun", "started wine-1")
        with pytest.raises(ValueError):
            records.record_trigger(s, "wine", "cron", "")
    with catalog.session_scope() as s:
        events = records.list_triggers(s, "wine")
        only_data = records.list_triggers(s, kind="dataset")
    assert len(events) == 3 and [e.id for e in only_data] == [first.id]
    assert (only_data[0].pipeline_run_id, only_data[0].outcome) == ("prun", "started wine-1")


def test_a_gate_waits_and_is_approved_once(catalog: Catalog, tmp_path: Path) -> None:
    with catalog.session_scope(write=True) as s:
        repo.save_pipeline(s, _pipeline(tmp_path))
        run = repo.create_pipeline_run(s, pipeline="wine", path="p", experiment="e")
        gate = GateResult(
            run.run_id,
            "register",
            "clf",
            True,
            ("champion clf:2 (metrics from its tags)", _HOLDS, "passed: registered clf:3"),
            version=3,
            approval="waiting",
            metrics={"acc": 0.93},
            checks=((_HOLDS, True),),
        )
        records.save_gate(s, gate)
    with catalog.session_scope() as s:
        assert records.get_gate(s, run.run_id, "register") == gate
        assert records.waiting_gates(s) == [gate]
        assert repo.list_pipelines(s)[0].waiting_approvals == 1
        assert repo.get_pipeline_run(s, run.run_id).gates == (gate,)  # type: ignore[union-attr]
    with catalog.session_scope(write=True) as s:
        approved = records.decide_gate(s, run.run_id, "register", "approved", at=50.0)
        assert records.decide_gate(s, run.run_id, "register", "rejected") is None
    assert approved is not None and approved.approval == "approved"
    assert (approved.decided_by, approved.decided_at) == (os_user(), 50.0)
    with catalog.session_scope() as s:
        assert records.waiting_gates(s, ["wine"]) == []
        assert repo.list_pipelines(s)[0].waiting_approvals == 0


_HOLDS = "metrics.acc 0.93 >= champion 0.91 + 0.005 = 0.915: holds"


def test_a_gate_keeps_which_conditions_held_and_reads_evidence_without_them(
    catalog: Catalog, tmp_path: Path
) -> None:
    fails = "metrics.f1 0.5 >= 0.6: fails"
    gate = GateResult("r", "register", "clf", False, ("champion clf:2", _HOLDS, fails, "refused"))
    gate = replace(gate, checks=((_HOLDS, True), (fails, False)))
    stored = json.loads(records.evidence_json(gate))
    assert stored == ["champion clf:2", [_HOLDS, True], [fails, False], "refused"]
    assert records.evidence_of(json.dumps(stored)) == (gate.evidence, gate.checks)
    assert (gate.held(_HOLDS), gate.held(fails), gate.held("refused")) == (True, False, None)
    # a gate recorded as a plain list of lines (before checks were kept): lines, no checks
    with catalog.session_scope(write=True) as s:
        repo.save_pipeline(s, _pipeline(tmp_path))
        run = repo.create_pipeline_run(s, pipeline="wine", path="p", experiment="e")
        records.save_gate(s, replace(gate, pipeline_run_id=run.run_id))
        s.execute(update(pipeline_gate_t).values(evidence_json=json.dumps(list(gate.evidence))))
    with catalog.session_scope() as s:
        old = records.get_gate(s, run.run_id, "register")
    assert old is not None and (old.evidence, old.checks) == (gate.evidence, ())
    assert old.held(_HOLDS) is None
