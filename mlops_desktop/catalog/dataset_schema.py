"""The catalog's dataset tables (imported by :mod:`mlops_desktop.catalog.schema`).

A version's files are one ``dataset_file`` row each, keyed by (version, path): a version of
100,000 files is 100,000 rows written with one executemany. ``dataset_profile`` caches the
profile of each table file of a version as JSON (computed once, on first ask).
Changing a table here needs a new Alembic revision in ``migrations/versions``.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mlops_desktop.catalog.schema import Base


class DatasetRow(Base):
    __tablename__ = "dataset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[float] = mapped_column(Float)


class DatasetVersionRow(Base):
    """One version; ``number`` is allocated inside the write transaction that adds it."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "number", name="uq_dataset_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(80), index=True)
    files: Mapped[int] = mapped_column(BigInteger)
    bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[Any] = mapped_column(JSON, nullable=True)
    source_path: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[str] = mapped_column(String(32), default="files")
    user: Mapped[str | None] = mapped_column(String(255), nullable=True)  # who added it
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)  # on which machine


class DatasetFileRow(Base):
    """One file of a version (its primary key's first column indexes the version)."""

    __tablename__ = "dataset_file"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_version.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(80))


class DatasetProfileRow(Base):
    """The cached profile of one table file of a version (a TableProfile as JSON)."""

    __tablename__ = "dataset_profile"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("dataset_version.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    payload: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)


dataset_t = cast(Table, DatasetRow.__table__)
dataset_version_t = cast(Table, DatasetVersionRow.__table__)
dataset_file_t = cast(Table, DatasetFileRow.__table__)
dataset_profile_t = cast(Table, DatasetProfileRow.__table__)
