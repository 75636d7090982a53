"""Repository of what pipelines keep besides their runs: the stage cache
(``pipeline_stage_cache``), triggers (``pipeline_trigger``) and gates (``pipeline_gate``).

Functions take an open session and return core dataclasses. The stage cache stores the engine's
documents as JSON text and returns them as :class:`CachedStageDoc` (the catalog may not import
the engine, which is above it; ``services/pipeline_stage_cache.py`` turns them into the
engine's ``CachedStage``). :func:`record_trigger` inserts at most one row per ``dedupe_key``,
on SQLite and PostgreSQL alike, so two desktops hearing one event start one run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.pipeline_schema import (
    pipeline_gate_t,
    pipeline_run_t,
    pipeline_stage_cache_t,
    pipeline_trigger_t,
)
from mlops_desktop.catalog.upsert import insert_new, upsert
from mlops_desktop.core.catalog_changes import PIPELINE
from mlops_desktop.core.pipelines import (
    APPROVAL_STATES,
    TRIGGER_KINDS,
    GateResult,
    PipelineTriggers,
    TriggerEvent,
)
from mlops_desktop.tracking.who import host_name, os_user

_C, _T, _G = pipeline_stage_cache_t.c, pipeline_trigger_t.c, pipeline_gate_t.c


def triggers_from_json(text: str | None) -> PipelineTriggers:
    """A pipeline's triggers from the JSON its row keeps (none for unreadable text)."""
    try:
        body = json.loads(text or "{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    schedule = body.get("schedule_s")
    return PipelineTriggers(
        datasets=tuple(str(d) for d in body.get("datasets") or ()),
        monitors=tuple(str(m) for m in body.get("monitors") or ()),
        schedule_s=float(schedule) if isinstance(schedule, (int, float)) else None,
    )


# --- the stage cache ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedStageDoc:
    """A stage cache row: ``inputs`` is a ``StageInputs.to_json()`` document, ``outs`` maps
    each out's path to an ``OutRecord.to_json()`` document."""

    pipeline: str
    stage: str
    fingerprint: str
    inputs: dict[str, Any]
    outs: dict[str, Any]
    run_id: str | None
    created_at: float


def save_cached_stage(s: Session, doc: CachedStageDoc) -> None:
    """Keep what a stage made for its fingerprint (replacing an older row of that
    fingerprint). No change notification: the stage run that made it sends one."""
    row = {
        "pipeline": doc.pipeline,
        "stage": doc.stage,
        "fingerprint": doc.fingerprint,
        "inputs_json": json.dumps(doc.inputs, sort_keys=True),
        "outs_json": json.dumps(doc.outs, sort_keys=True),
        "run_id": doc.run_id,
        "created_at": doc.created_at,
    }
    upsert(s, pipeline_stage_cache_t, [row], ["pipeline", "stage", "fingerprint"])


def _doc(row: Row[Any] | None) -> CachedStageDoc | None:
    if row is None:
        return None
    return CachedStageDoc(
        pipeline=row.pipeline,
        stage=row.stage,
        fingerprint=row.fingerprint,
        inputs=json.loads(row.inputs_json),
        outs=json.loads(row.outs_json),
        run_id=row.run_id,
        created_at=float(row.created_at),
    )


def lookup_cached_stage(
    s: Session, pipeline: str, stage: str, fingerprint: str
) -> CachedStageDoc | None:
    """What ``stage`` made for ``fingerprint``, or None."""
    query = select(pipeline_stage_cache_t).where(
        _C.pipeline == pipeline, _C.stage == stage, _C.fingerprint == fingerprint
    )
    return _doc(s.execute(query).first())


def last_cached_stage(s: Session, pipeline: str, stage: str) -> CachedStageDoc | None:
    """The newest row of ``stage``, whatever its fingerprint (what changed is told from it)."""
    query = (
        select(pipeline_stage_cache_t)
        .where(_C.pipeline == pipeline, _C.stage == stage)
        .order_by(_C.created_at.desc(), _C.fingerprint)
        .limit(1)
    )
    return _doc(s.execute(query).first())


# --- triggers ------------------------------------------------------------------------------


def _event(row: Row[Any]) -> TriggerEvent:
    return TriggerEvent(
        id=int(row.id),
        pipeline=row.pipeline,
        kind=row.kind,
        detail=row.detail or "",
        at=float(row.at),
        pipeline_run_id=row.pipeline_run_id,
        outcome=row.outcome or "",
        user=row.user,
        host=row.host,
    )


def record_trigger(
    s: Session,
    pipeline: str,
    kind: str,
    detail: str,
    dedupe_key: str | None = None,
    at: float | None = None,
    outcome: str = "",
) -> TriggerEvent | None:
    """Record that a trigger fired; None when one with ``dedupe_key`` was recorded already
    (by this desktop or another). ``dedupe_key`` None: never a duplicate (manual runs)."""
    if kind not in TRIGGER_KINDS:
        raise ValueError(f"unknown trigger kind {kind!r}")
    row = {
        "pipeline": pipeline,
        "kind": kind,
        "detail": detail,
        "at": time.time() if at is None else at,
        "pipeline_run_id": None,
        "outcome": outcome,
        "user": os_user(),
        "host": host_name() or None,
        "dedupe_key": dedupe_key,
    }
    new_id = insert_new(s, pipeline_trigger_t, row, ["dedupe_key"], _T.id)
    if new_id is None:
        return None
    note_change(s, PIPELINE, [pipeline])
    return _event(s.execute(select(pipeline_trigger_t).where(_T.id == new_id)).one())


def trigger_exists(s: Session, dedupe_key: str) -> bool:
    """Whether a trigger with ``dedupe_key`` was recorded (a read: checked before writing)."""
    found = s.execute(select(_T.id).where(_T.dedupe_key == dedupe_key)).first()
    return found is not None


def set_trigger_outcome(
    s: Session, trigger_id: int, pipeline_run_id: str | None, outcome: str = ""
) -> None:
    """Record what a trigger started (``pipeline_run_id``) or why it started nothing."""
    s.execute(
        update(pipeline_trigger_t)
        .where(_T.id == trigger_id)
        .values(pipeline_run_id=pipeline_run_id, outcome=outcome)
    )
    pipeline = s.execute(select(_T.pipeline).where(_T.id == trigger_id)).scalar()
    note_change(s, PIPELINE, [pipeline or ""])


def list_triggers(
    s: Session, pipeline: str | None = None, kind: str | None = None, limit: int | None = 100
) -> list[TriggerEvent]:
    """Triggers that fired, newest first (of one pipeline, of one kind, when given)."""
    query = select(pipeline_trigger_t).order_by(_T.at.desc(), _T.id.desc())
    if pipeline is not None:
        query = query.where(_T.pipeline == pipeline)
    if kind is not None:
        query = query.where(_T.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    return [_event(row) for row in s.execute(query)]


# --- gates ---------------------------------------------------------------------------------


def save_gate(s: Session, gate: GateResult) -> None:
    """Record a gate's decision (replacing what was recorded for that run's stage)."""
    if gate.approval not in APPROVAL_STATES:
        raise ValueError(f"unknown approval {gate.approval!r}")
    row = {
        "pipeline_run_id": gate.pipeline_run_id,
        "stage": gate.stage,
        "model": gate.model,
        "passed": gate.passed,
        "evidence_json": evidence_json(gate),
        "metrics_json": json.dumps(gate.metrics, sort_keys=True),
        "version": gate.version,
        "alias": gate.alias,
        "approval": gate.approval,
        "decided_by": gate.decided_by,
        "decided_at": gate.decided_at,
        "decided_host": (host_name() or None) if gate.decided_by else None,
    }
    upsert(s, pipeline_gate_t, [row], ["pipeline_run_id", "stage"])
    _note_run(s, gate.pipeline_run_id)


def decide_gate(
    s: Session, pipeline_run_id: str, stage: str, approval: str, at: float | None = None
) -> GateResult | None:
    """Approve or reject a waiting gate (by this user, on this machine): the gate as it is
    now, or None when no gate of that run and stage waits (decided already, or none)."""
    if approval not in ("approved", "rejected"):
        raise ValueError(f"a gate is approved or rejected, not {approval!r}")
    done: Any = s.execute(
        update(pipeline_gate_t)
        .where(_G.pipeline_run_id == pipeline_run_id, _G.stage == stage, _G.approval == "waiting")
        .values(
            approval=approval,
            decided_by=os_user(),
            decided_at=time.time() if at is None else at,
            decided_host=host_name() or None,
        )
    )
    if not done.rowcount:
        return None
    _note_run(s, pipeline_run_id)
    return get_gate(s, pipeline_run_id, stage)


def _note_run(s: Session, pipeline_run_id: str) -> None:
    pipeline = s.execute(
        select(pipeline_run_t.c.pipeline).where(pipeline_run_t.c.run_id == pipeline_run_id)
    ).scalar()
    note_change(s, PIPELINE, [pipeline or ""])


def evidence_json(gate: GateResult) -> str:
    """The gate's evidence for ``evidence_json``: a list with one item per line, a string, or
    ``[line, held]`` for a line that reports a condition (its :attr:`GateResult.checks`)."""
    held = dict(gate.checks)
    return json.dumps([[line, held[line]] if line in held else line for line in gate.evidence])


def evidence_of(text: str | None) -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """The evidence lines and the checks ``evidence_json`` holds (a plain list of strings,
    as gates recorded before checks were kept, has lines only)."""
    lines: list[str] = []
    checks: list[tuple[str, bool]] = []
    for item in json.loads(text or "[]"):
        if isinstance(item, list) and len(item) == 2:
            line = str(item[0])
            checks.append((line, bool(item[1])))
        else:
            line = str(item)
        lines.append(line)
    return tuple(lines), tuple(checks)


def _gate(row: Row[Any]) -> GateResult:
    evidence, checks = evidence_of(row.evidence_json)
    return GateResult(
        pipeline_run_id=row.pipeline_run_id,
        stage=row.stage,
        model=row.model,
        passed=bool(row.passed),
        evidence=evidence,
        version=row.version,
        alias=row.alias,
        approval=row.approval,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        metrics={str(k): float(v) for k, v in json.loads(row.metrics_json or "{}").items()},
        checks=checks,
    )


def get_gate(s: Session, pipeline_run_id: str, stage: str) -> GateResult | None:
    row = s.execute(
        select(pipeline_gate_t).where(_G.pipeline_run_id == pipeline_run_id, _G.stage == stage)
    ).first()
    return None if row is None else _gate(row)


def gates_of_runs(s: Session, run_ids: Iterable[str]) -> dict[str, list[GateResult]]:
    """The gates of each pipeline run (by stage name)."""
    ids = list(run_ids)
    out: dict[str, list[GateResult]] = {}
    if not ids:
        return out
    query = (
        select(pipeline_gate_t)
        .where(_G.pipeline_run_id.in_(ids))
        .order_by(_G.pipeline_run_id, _G.stage)
    )
    for row in s.execute(query):
        out.setdefault(row.pipeline_run_id, []).append(_gate(row))
    return out


def waiting_gates(s: Session, pipelines: Sequence[str] | None = None) -> list[GateResult]:
    """Gates waiting for a person's approval, oldest run first."""
    query = (
        select(pipeline_gate_t)
        .join(pipeline_run_t, pipeline_run_t.c.run_id == _G.pipeline_run_id)
        .where(_G.approval == "waiting")
        .order_by(pipeline_run_t.c.started_at, _G.stage)
    )
    if pipelines is not None:
        query = query.where(pipeline_run_t.c.pipeline.in_(list(pipelines)))
    return [_gate(row) for row in s.execute(query)]
