"""The catalog's monitor tables (imported by :mod:`mlops_desktop.catalog.schema`).

- ``monitor``: one row per monitor; ``config`` is JSON text (plans, window and alert rules,
  retrain spec, label/prediction columns), ``summary`` the frozen reference summary (JSON
  text from ``ReferenceSummary.to_json``), ``pending`` the rows of a partial window (Arrow IPC
  stream bytes) waiting for more rows.
- ``monitor_window``: the windows checked, with their report, performance and the per-column
  distributions drawn against the reference's bins (so a chart needs no reread).
- ``monitor_alert``: alerts and their evidence; ``rule`` names the rule that raised one.
- ``monitor_seen``: what a monitor has consumed: files (size + mtime), dataset versions,
  prediction-log files (byte offset).
- ``monitor_prediction``: logged prediction lines, unique by (monitor, file, seq).

Changing a table here needs a new Alembic revision.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mlops_desktop.catalog.schema import Base

_MONITOR_FK = "monitor.name"


class MonitorRow(Base):
    """One monitor."""

    __tablename__ = "monitor"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    target: Mapped[str] = mapped_column(String(512), default="")
    reference: Mapped[str] = mapped_column(Text, default="")
    current: Mapped[str] = mapped_column(Text, default="")
    config: Mapped[str] = mapped_column(Text, default="{}")
    summary: Mapped[str] = mapped_column(Text, default="")
    pending: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)  # who made it
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)  # on which machine


class MonitorWindowRow(Base):
    """One checked window of a monitor."""

    __tablename__ = "monitor_window"

    monitor: Mapped[str] = mapped_column(
        ForeignKey(_MONITOR_FK, ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    source: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[str | None] = mapped_column(Text, nullable=True)
    performance: Mapped[str] = mapped_column(Text, default="{}")
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    distributions: Mapped[str] = mapped_column(Text, default="{}")


class MonitorAlertRow(Base):
    """An alert raised by a monitor's rule."""

    __tablename__ = "monitor_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(ForeignKey(_MONITOR_FK, ondelete="CASCADE"), index=True)
    window: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="{}")
    acknowledged_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    retrain_run: Mapped[str | None] = mapped_column(String(64), nullable=True)


class MonitorSeenRow(Base):
    """Something a monitor has consumed: "file:NAME", "dataset:NAME@vN" or "log:FILE"."""

    __tablename__ = "monitor_seen"

    monitor: Mapped[str] = mapped_column(
        ForeignKey(_MONITOR_FK, ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    mtime: Mapped[float] = mapped_column(Float, default=0.0)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    seen_at: Mapped[float] = mapped_column(Float)


class MonitorPredictionRow(Base):
    """One logged prediction line (its rows as JSON text), not yet or already windowed."""

    __tablename__ = "monitor_prediction"
    __table_args__ = (UniqueConstraint("monitor", "file", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(ForeignKey(_MONITOR_FK, ondelete="CASCADE"), index=True)
    file: Mapped[str] = mapped_column(String(255))
    seq: Mapped[int] = mapped_column(BigInteger)
    time: Mapped[float] = mapped_column(Float)
    data: Mapped[str] = mapped_column(Text)


monitor_t = cast(Table, MonitorRow.__table__)
monitor_window_t = cast(Table, MonitorWindowRow.__table__)
monitor_alert_t = cast(Table, MonitorAlertRow.__table__)
monitor_seen_t = cast(Table, MonitorSeenRow.__table__)
monitor_prediction_t = cast(Table, MonitorPredictionRow.__table__)
