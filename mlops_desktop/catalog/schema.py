"""The catalog's tables as a SQLAlchemy 2 typed ORM.

Metric points are never stored one row per point: a ``metric_chunk`` row holds the points of
one key from one spool ``metrics`` line, or from consecutive lines ingested in one transaction
(up to ``writes.CHUNK_POINTS``), as little-endian blobs (int64 steps, float64 timestamps and
values); ``metric_latest`` keeps each key's last point and point count for listings.
Changing a table here needs a new Alembic revision in ``migrations/versions``.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

RUN_ID_LEN = 64


class Base(DeclarativeBase):
    """Base of every catalog table."""


class ExperimentRow(Base):
    __tablename__ = "experiment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[float] = mapped_column(Float)


class RunRow(Base):
    """One run. ``has_start`` is false for a placeholder made before its start event arrived;
    ``deleted_at`` is set while the run is in the trash."""

    __tablename__ = "run"

    id: Mapped[str] = mapped_column(String(RUN_ID_LEN), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiment.id"))
    name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    target: Mapped[str] = mapped_column(String(255), default="local")
    command: Mapped[str] = mapped_column(Text, default="")
    cwd: Mapped[str] = mapped_column(Text, default="")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)  # OS user; NULL: unknown
    machine: Mapped[str | None] = mapped_column(String(255), nullable=True)  # machine:boot id
    notes: Mapped[str] = mapped_column(Text, default="")
    git: Mapped[Any] = mapped_column(JSON, nullable=True)
    env: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    has_start: Mapped[bool] = mapped_column(default=False)
    # when the run was moved to the trash; NULL: not in the trash (listings skip trashed runs)
    deleted_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # the run's place among its experiment's runs (0, 1, ...): its colour in every chart
    color_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the run this one is a child of (a nested run); not a foreign key: a child may be
    # ingested before its parent, and a parent may be imported later or never
    parent_run_id: Mapped[str | None] = mapped_column(String(RUN_ID_LEN), nullable=True, index=True)


class ParamRow(Base):
    """A parameter; ``value`` is JSON text so the logged type (int, float, str, bool) is kept."""

    __tablename__ = "param"

    run_id: Mapped[str] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TagRow(Base):
    __tablename__ = "tag"

    run_id: Mapped[str] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class MetricChunkRow(Base):
    """``n`` points of one key from consecutive spool lines, the first at ``seq_first``.

    A series is its chunks ordered by ``seq_first``, concatenated.
    """

    __tablename__ = "metric_chunk"

    run_id: Mapped[str] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seq_first: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    steps: Mapped[bytes] = mapped_column(LargeBinary)  # '<i8'
    timestamps: Mapped[bytes] = mapped_column(LargeBinary)  # '<f8'
    values: Mapped[bytes] = mapped_column(LargeBinary)  # '<f8'


class MetricLatestRow(Base):
    """Each key's last point (highest sequence number) and how many points it has.

    ``value`` is NULL when the value is not finite; ``nonfinite`` then holds "nan", "inf" or
    "-inf" (SQLite's REAL turns NaN into NULL).
    """

    __tablename__ = "metric_latest"

    run_id: Mapped[str] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[float] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    nonfinite: Mapped[str | None] = mapped_column(String(8), nullable=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ArtifactRow(Base):
    __tablename__ = "artifact"

    run_id: Mapped[str] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(1024), primary_key=True)
    digest: Mapped[str] = mapped_column(String(80), index=True)
    size: Mapped[int] = mapped_column(BigInteger)


class RunInputRow(Base):
    """A dataset (version) that a run used."""

    __tablename__ = "run_input"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    dataset: Mapped[str] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(255), nullable=True)
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class IngestStateRow(Base):
    """How far the ingester got in one run's spool."""

    __tablename__ = "ingest_state"

    run_id: Mapped[str] = mapped_column(String(RUN_ID_LEN), primary_key=True)
    byte_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=-1)
    updated_at: Mapped[float] = mapped_column(Float, default=0.0)


Index("ix_run_experiment_started", RunRow.experiment_id, RunRow.started_at)

experiment_t = cast(Table, ExperimentRow.__table__)
run_t = cast(Table, RunRow.__table__)
param_t = cast(Table, ParamRow.__table__)
tag_t = cast(Table, TagRow.__table__)
chunk_t = cast(Table, MetricChunkRow.__table__)
latest_t = cast(Table, MetricLatestRow.__table__)
artifact_t = cast(Table, ArtifactRow.__table__)
run_input_t = cast(Table, RunInputRow.__table__)
ingest_state_t = cast(Table, IngestStateRow.__table__)

# The dataset tables live in their own module; importing it here keeps the metadata complete.
from mlops_desktop.catalog import dataset_schema as _dataset_schema  # noqa: E402, F401
from mlops_desktop.catalog import hw_schema as _hw_schema  # noqa: E402, F401
from mlops_desktop.catalog import job_schema as _job_schema  # noqa: E402, F401
from mlops_desktop.catalog import lab_schema as _lab_schema  # noqa: E402, F401
from mlops_desktop.catalog import model_schema as _model_schema  # noqa: E402, F401
from mlops_desktop.catalog import monitor_schema as _monitor_schema  # noqa: E402, F401
from mlops_desktop.catalog import pipeline_schema as _pipeline_schema  # noqa: E402, F401
