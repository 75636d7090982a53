"""The catalog's ``hw_history`` table (imported by :mod:`mlops_desktop.catalog.schema`).

One row per machine and minute: ``data`` is JSON text ``{series key: [min, mean, max, count]}``
(keys of :func:`~mlops_desktop.core.hardware.sample_series`). Changing the table here needs a
new Alembic revision.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Float, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from mlops_desktop.catalog.schema import Base


class HwHistoryRow(Base):
    """One minute of one machine's hardware history."""

    __tablename__ = "hw_history"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    bucket_start: Mapped[float] = mapped_column(Float, primary_key=True, index=True)
    data: Mapped[str] = mapped_column(Text)


hw_history_t = cast(Table, HwHistoryRow.__table__)
