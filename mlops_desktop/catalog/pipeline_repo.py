"""Repository of pipelines and their runs: the ``pipeline``, ``pipeline_run`` and
``pipeline_stage_run`` tables, and the parent run each pipeline run is in ``run``.

Every function takes an open session (``Catalog.session_scope``; writes in a write session) and
returns core dataclasses (:mod:`mlops_desktop.core.pipelines`), never ORM rows. Every write
notes a ``pipeline`` change (a ``runs`` one too when the parent run changes), so other desktops
reload their Pipelines pane (:mod:`mlops_desktop.catalog.change_feed`). The stage cache,
triggers and gates are in :mod:`~mlops_desktop.catalog.pipeline_records`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.pipeline_records import gates_of_runs, triggers_from_json
from mlops_desktop.catalog.pipeline_schema import (
    pipeline_gate_t,
    pipeline_run_t,
    pipeline_stage_run_t,
    pipeline_t,
)
from mlops_desktop.catalog.queued_runs import insert_queued_run
from mlops_desktop.catalog.schema import run_t, tag_t
from mlops_desktop.catalog.shared_queries import ids_starting_with
from mlops_desktop.catalog.upsert import upsert
from mlops_desktop.core.catalog_changes import PIPELINE, RUNS
from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import (
    PIPELINE_RUN_STATES,
    Pipeline,
    PipelineInfo,
    PipelineRunInfo,
    StageRun,
)
from mlops_desktop.core.runs import RunStatus
from mlops_desktop.tracking.who import host_name, os_user

_P, _R, _S = pipeline_t.c, pipeline_run_t.c, pipeline_stage_run_t.c
MIN_PREFIX = 4
PIPELINE_TAG = "mlops.pipeline"  # on the parent run: the pipeline's name
TRIGGER_TAG = "mlops.pipeline.trigger"  # on the parent run: what started it
# the parent run's status when its pipeline run ends in each state
RUN_STATUS_OF_STATE = {
    "done": RunStatus.FINISHED.value,
    "failed": RunStatus.FAILED.value,
    "cancelled": RunStatus.KILLED.value,
}


def _triggers_json(p: Pipeline) -> str:
    t = p.triggers
    body = {"datasets": list(t.datasets), "monitors": list(t.monitors), "schedule_s": t.schedule_s}
    return json.dumps(body, sort_keys=True)


def save_pipeline(s: Session, pipeline: Pipeline, at: float | None = None) -> PipelineInfo:
    """Add the pipeline, or refresh its path, kind, stage count and triggers (keyed by name)."""
    now = time.time() if at is None else at
    row = {
        "name": pipeline.name,
        "path": str(pipeline.path),
        "kind": pipeline.kind,
        "stages": len(pipeline.stages),
        "triggers_json": _triggers_json(pipeline),
        "added_at": now,
        "updated_at": now,
        "user": os_user(),
        "host": host_name() or None,
    }
    existing = s.execute(select(_P.added_at).where(_P.name == pipeline.name)).scalar()
    if existing is not None:
        row["added_at"] = existing
    upsert(s, pipeline_t, [row], ["name"])
    note_change(s, PIPELINE, [pipeline.name])
    info = get_pipeline(s, pipeline.name)
    assert info is not None
    return info


def remove_pipeline(s: Session, name: str) -> bool:
    """Forget a pipeline (its runs stay, as runs do); True when it was known."""
    gone: Any = s.execute(delete(pipeline_t).where(_P.name == name))
    note_change(s, PIPELINE, [name])
    return bool(gone.rowcount)


def _waiting(s: Session, names: Sequence[str]) -> dict[str, int]:
    query = (
        select(_R.pipeline, func.count())
        .join(pipeline_gate_t, pipeline_gate_t.c.pipeline_run_id == _R.run_id)
        .where(pipeline_gate_t.c.approval == "waiting", _R.pipeline.in_(list(names)))
        .group_by(_R.pipeline)
    )
    return {str(name): int(n) for name, n in s.execute(query)}


def _last_runs(s: Session, names: Sequence[str]) -> dict[str, Any]:
    newest = (
        select(_R.pipeline, func.max(_R.started_at).label("at"))
        .where(_R.pipeline.in_(list(names)))
        .group_by(_R.pipeline)
        .subquery()
    )
    query = select(_R.pipeline, _R.run_id, _R.state, _R.started_at).join(
        newest, (newest.c.pipeline == _R.pipeline) & (newest.c.at == _R.started_at)
    )
    return {str(row.pipeline): row for row in s.execute(query)}


def list_pipelines(s: Session, names: Sequence[str] | None = None) -> list[PipelineInfo]:
    """The pipelines the catalog knows (by name), each with its last run and waiting gates."""
    query = select(pipeline_t).order_by(_P.name)
    if names is not None:
        query = query.where(_P.name.in_(list(names)))
    rows = s.execute(query).all()
    known = [str(r.name) for r in rows]
    last = _last_runs(s, known) if known else {}
    waiting = _waiting(s, known) if known else {}
    out = []
    for r in rows:
        run = last.get(r.name)
        out.append(
            PipelineInfo(
                name=r.name,
                path=r.path,
                kind=r.kind,
                stages=int(r.stages),
                added_at=float(r.added_at),
                last_run_id=None if run is None else run.run_id,
                last_state=None if run is None else run.state,
                last_run_at=None if run is None else float(run.started_at),
                triggers=triggers_from_json(r.triggers_json),
                waiting_approvals=waiting.get(r.name, 0),
            )
        )
    return out


def get_pipeline(s: Session, name: str) -> PipelineInfo | None:
    found = list_pipelines(s, [name])
    return found[0] if found else None


def create_pipeline_run(
    s: Session,
    *,
    pipeline: str,
    path: str,
    experiment: str,
    cwd: str = "",
    trigger: str = "manual",
    trigger_detail: str = "",
    run_id: str | None = None,
    name: str | None = None,
    at: float | None = None,
    stages: Sequence[StageRun] = (),
) -> PipelineRunInfo:
    """Record a new pipeline run and its parent run (status running, in ``experiment``,
    named "<pipeline>-<n>" unless ``name`` is given, tagged with the pipeline and trigger),
    with its ``stages`` (in order) when given."""
    now = time.time() if at is None else at
    run_id = run_id or uuid.uuid4().hex
    user, host = os_user(), host_name() or None
    if name is None:
        done = s.execute(select(func.count()).where(_R.pipeline == pipeline)).scalar() or 0
        name = f"{pipeline}-{int(done) + 1}"
    insert_queued_run(s, run_id, experiment, name, f"pipelines run {path}", cwd, "local", now, user)
    s.execute(
        update(run_t).where(run_t.c.id == run_id).values(status=RunStatus.RUNNING.value, host=host)
    )
    tags = [
        {"run_id": run_id, "key": PIPELINE_TAG, "value": pipeline},
        {"run_id": run_id, "key": TRIGGER_TAG, "value": trigger},
    ]
    upsert(s, tag_t, tags, ["run_id", "key"])
    row = {
        "run_id": run_id,
        "pipeline": pipeline,
        "path": path,
        "state": "running",
        "trigger": trigger,
        "trigger_detail": trigger_detail,
        "user": user,
        "host": host,
        "started_at": now,
        "ended_at": None,
    }
    s.execute(pipeline_run_t.insert().values(**row))
    for position, stage in enumerate(stages):
        save_stage_run(s, run_id, stage, position)
    note_change(s, RUNS, [run_id], [run_id])
    note_change(s, PIPELINE, [pipeline])
    info = get_pipeline_run(s, run_id)
    assert info is not None
    return info


def end_pipeline_run(
    s: Session, run_id: str, state: str, at: float | None = None, detail: str = ""
) -> bool:
    """End a running pipeline run as "done", "failed" or "cancelled", and its parent run as
    finished, failed or killed (``detail``: the run's error); False when it had ended."""
    if state not in RUN_STATUS_OF_STATE:
        raise ValueError(f"a pipeline run ends done, failed or cancelled, not {state!r}")
    now = time.time() if at is None else at
    ended: Any = s.execute(
        update(pipeline_run_t)
        .where(_R.run_id == run_id, _R.state == "running")
        .values(state=state, ended_at=now)
    )
    if not ended.rowcount:
        return False
    s.execute(
        update(run_t)
        .where(run_t.c.id == run_id)
        .values(status=RUN_STATUS_OF_STATE[state], ended_at=now, error=detail or None)
    )
    pipeline = s.execute(select(_R.pipeline).where(_R.run_id == run_id)).scalar_one()
    note_change(s, RUNS, [run_id])
    note_change(s, PIPELINE, [pipeline])
    return True


def save_stage_run(s: Session, pipeline_run_id: str, stage: StageRun, position: int) -> None:
    """Record a stage's state in a pipeline run (replacing what was recorded for it)."""
    row = {
        "pipeline_run_id": pipeline_run_id,
        "stage": stage.stage,
        "position": position,
        "state": stage.state,
        "run_id": stage.run_id,
        "source_run_id": stage.source_run_id,
        "reasons_json": json.dumps(list(stage.reasons)),
        "fingerprint": stage.fingerprint,
        "target": stage.target,
        "detail": stage.detail,
        "started_at": stage.started_at,
        "ended_at": stage.ended_at,
    }
    upsert(s, pipeline_stage_run_t, [row], ["pipeline_run_id", "stage"])
    pipeline = s.execute(select(_R.pipeline).where(_R.run_id == pipeline_run_id)).scalar()
    note_change(s, PIPELINE, [pipeline or ""])


def _stage(row: Row[Any]) -> StageRun:
    return StageRun(
        stage=row.stage,
        state=row.state,
        run_id=row.run_id,
        source_run_id=row.source_run_id,
        reasons=tuple(str(r) for r in json.loads(row.reasons_json or "[]")),
        fingerprint=row.fingerprint or "",
        started_at=row.started_at,
        ended_at=row.ended_at,
        target=row.target or "local",
        detail=row.detail or "",
    )


def _runs(s: Session, rows: Sequence[Row[Any]]) -> list[PipelineRunInfo]:
    ids = [str(r.run_id) for r in rows]
    stages: dict[str, list[StageRun]] = {i: [] for i in ids}
    if ids:
        query = (
            select(pipeline_stage_run_t)
            .where(_S.pipeline_run_id.in_(ids))
            .order_by(_S.pipeline_run_id, _S.position, _S.stage)
        )
        for row in s.execute(query):
            stages[row.pipeline_run_id].append(_stage(row))
    gates = gates_of_runs(s, ids)
    return [
        PipelineRunInfo(
            run_id=r.run_id,
            pipeline=r.pipeline,
            path=r.path,
            state=r.state,
            started_at=float(r.started_at),
            ended_at=r.ended_at,
            trigger=r.trigger,
            trigger_detail=r.trigger_detail or "",
            user=r.user,
            host=r.host,
            stages=tuple(stages[r.run_id]),
            gates=tuple(gates.get(r.run_id, ())),
        )
        for r in rows
    ]


def get_pipeline_run(s: Session, run_id: str) -> PipelineRunInfo | None:
    rows = s.execute(select(pipeline_run_t).where(_R.run_id == run_id)).all()
    found = _runs(s, rows)
    return found[0] if found else None


def list_pipeline_runs(
    s: Session, pipeline: str | None = None, limit: int | None = 50, state: str | None = None
) -> list[PipelineRunInfo]:
    """Pipeline runs, newest first (of one pipeline, in one state, when given)."""
    if state is not None and state not in PIPELINE_RUN_STATES:
        raise ValueError(f"unknown pipeline run state {state!r}")
    query = select(pipeline_run_t).order_by(_R.started_at.desc(), _R.run_id)
    if pipeline is not None:
        query = query.where(_R.pipeline == pipeline)
    if state is not None:
        query = query.where(_R.state == state)
    if limit is not None:
        query = query.limit(limit)
    return _runs(s, s.execute(query).all())


def resolve_pipeline_run_id(s: Session, ref: str) -> str:
    """The id of the one pipeline run whose id is ``ref`` or starts with it.

    Raises:
        PipelineError: no pipeline run, or several, have that id.
    """
    ref = ref.strip()
    if s.execute(select(_R.run_id).where(_R.run_id == ref)).first() is not None:
        return ref
    if len(ref) < MIN_PREFIX:
        raise PipelineError(
            f"No pipeline run has the id {ref!r} (give at least {MIN_PREFIX} characters)."
        )
    found = ids_starting_with(s, _R.run_id, ref)
    if not found:
        raise PipelineError(
            f"No pipeline run has the id {ref!r}; `mlops-desktop pipelines list` shows the "
            "pipelines and `pipelines show` their runs."
        )
    if len(found) > 1:
        raise PipelineError(f"{ref!r} matches several pipeline runs; give more of the run id.")
    return found[0]
