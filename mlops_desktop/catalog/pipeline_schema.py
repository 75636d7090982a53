"""The catalog's pipeline tables (imported by :mod:`mlops_desktop.catalog.schema`).

- ``pipeline``: one row per pipeline file the app knows (its name is unique).
- ``pipeline_run``: one row per run of a pipeline; its ``run_id`` is also a row of ``run`` (the
  parent run of the stages' runs), so deleting that run deletes the pipeline run with it.
- ``pipeline_stage_run``: each stage within a pipeline run, in graph order (``position``).
- ``pipeline_stage_cache``: what a stage made for one fingerprint (its inputs and outs as JSON
  text, the engine's ``StageInputs`` and ``OutRecord`` documents): the stage cache.
- ``pipeline_trigger``: every trigger that fired and what it started; ``dedupe_key`` (unique,
  NULL for manual runs) makes two desktops hearing one event record it once.
- ``pipeline_gate``: what a ``register`` gate decided, with its evidence, and the approval.

Times are epoch seconds; ``user``/``host`` say who acted, from which machine. Changing a table
here needs a new Alembic revision.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from mlops_desktop.catalog.schema import RUN_ID_LEN, Base

NAME_LEN = 255
FINGERPRINT_LEN = 128
_PIPELINE_RUN_FK = "pipeline_run.run_id"


class PipelineRow(Base):
    """A pipeline file; ``triggers_json`` is its ``PipelineTriggers`` as JSON text."""

    __tablename__ = "pipeline"

    name: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    stages: Mapped[int] = mapped_column(Integer, default=0)
    triggers_json: Mapped[str] = mapped_column(Text, default="{}")
    added_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)


class PipelineRunRow(Base):
    """One run of a pipeline (its parent run is the ``run`` row of the same id)."""

    __tablename__ = "pipeline_run"

    run_id: Mapped[str] = mapped_column(
        String(RUN_ID_LEN), ForeignKey("run.id", ondelete="CASCADE"), primary_key=True
    )
    pipeline: Mapped[str] = mapped_column(String(NAME_LEN), index=True)
    path: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16), default="manual")
    trigger_detail: Mapped[str] = mapped_column(Text, default="")
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class PipelineStageRunRow(Base):
    """A stage within a pipeline run; ``reasons_json`` is a JSON list of phrases."""

    __tablename__ = "pipeline_stage_run"

    pipeline_run_id: Mapped[str] = mapped_column(
        String(RUN_ID_LEN), ForeignKey(_PIPELINE_RUN_FK, ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LEN), nullable=True, index=True)
    source_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LEN), nullable=True)
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_LEN), default="")
    target: Mapped[str] = mapped_column(String(255), default="local")
    detail: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class PipelineStageCacheRow(Base):
    """What a stage made for one fingerprint (the engine's ``CachedStage``)."""

    __tablename__ = "pipeline_stage_cache"

    pipeline: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    stage: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(FINGERPRINT_LEN), primary_key=True)
    inputs_json: Mapped[str] = mapped_column(Text)
    outs_json: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LEN), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


class PipelineTriggerRow(Base):
    """A trigger that fired; ``pipeline_run_id`` is what it started (NULL: nothing yet, or
    nothing, as ``outcome`` says)."""

    __tablename__ = "pipeline_trigger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pipeline: Mapped[str] = mapped_column(String(NAME_LEN), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[float] = mapped_column(Float)
    pipeline_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LEN), nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(512), nullable=True, unique=True)


class PipelineGateRow(Base):
    """What a register gate decided (``evidence_json``: list of lines, a condition's as
    ``[line, held]``; ``metrics_json``: the metrics it compared) and who approved or rejected
    the promotion."""

    __tablename__ = "pipeline_gate"

    pipeline_run_id: Mapped[str] = mapped_column(
        String(RUN_ID_LEN), ForeignKey(_PIPELINE_RUN_FK, ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    model: Mapped[str] = mapped_column(String(NAME_LEN))
    passed: Mapped[bool] = mapped_column(Boolean)
    evidence_json: Mapped[str] = mapped_column(Text, default="[]")
    metrics_json: Mapped[str] = mapped_column(Text, default="{}")
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    alias: Mapped[str] = mapped_column(String(255), default="challenger")
    approval: Mapped[str] = mapped_column(String(16), default="none", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decided_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    decided_host: Mapped[str | None] = mapped_column(String(255), nullable=True)


Index(
    "ix_pipeline_stage_cache_last",
    PipelineStageCacheRow.pipeline,
    PipelineStageCacheRow.stage,
    PipelineStageCacheRow.created_at,
)

pipeline_t = cast(Table, PipelineRow.__table__)
pipeline_run_t = cast(Table, PipelineRunRow.__table__)
pipeline_stage_run_t = cast(Table, PipelineStageRunRow.__table__)
pipeline_stage_cache_t = cast(Table, PipelineStageCacheRow.__table__)
pipeline_trigger_t = cast(Table, PipelineTriggerRow.__table__)
pipeline_gate_t = cast(Table, PipelineGateRow.__table__)
