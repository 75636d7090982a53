"""The catalog's ``job`` table (imported by :mod:`mlops_desktop.catalog.schema`).

One row per launched run: where it runs, its state, and the executor's ``handle`` (pid and start
ticks, run dir, host, Slurm job id) so the app finds the job again after a restart. ``run_id``
has no foreign key: the run's own row is made by the ingester when the run's spool arrives,
which for a queued or remote job may be much later than the launch. Changing the table here
needs a new Alembic revision.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import JSON, Float, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from mlops_desktop.catalog.schema import RUN_ID_LEN, Base


class JobRow(Base):
    """One job; ``spec`` is the RunSpec as launched, ``handle`` the executor's record."""

    __tablename__ = "job"

    run_id: Mapped[str] = mapped_column(String(RUN_ID_LEN), primary_key=True)
    target: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), index=True)
    submitted_at: Mapped[float] = mapped_column(Float, index=True)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    gpus: Mapped[Any] = mapped_column(JSON, nullable=True)
    command: Mapped[Any] = mapped_column(JSON, nullable=True)
    spec: Mapped[Any] = mapped_column(JSON, nullable=True)
    handle: Mapped[Any] = mapped_column(JSON, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[float] = mapped_column(Float)
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)  # who launched it
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)  # from which machine


job_t = cast(Table, JobRow.__table__)
