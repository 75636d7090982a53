"""The catalog's ``lab_setting`` table (imported by :mod:`mlops_desktop.catalog.schema`).

Settings that belong to the catalog, so every desktop that opens it finds them: one row per key
(``store``: where the lab store is). Changing the table here needs a new Alembic revision.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Float, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from mlops_desktop.catalog.schema import Base


class LabSettingRow(Base):
    """One setting of the whole catalog."""

    __tablename__ = "lab_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str | None] = mapped_column(String(255), nullable=True)  # user@host


lab_setting_t = cast(Table, LabSettingRow.__table__)
