"""The catalog's model registry tables (imported by :mod:`mlops_desktop.catalog.schema`).

A model has numbered versions; a version's files are rows of ``model_file`` referencing blobs
of the artifact store by SHA-256 digest (the same digests runs' artifacts have). Aliases are
unique per model (primary key (model, alias)); every change is a ``model_audit`` row written in
the same transaction as the change. Changing a table here needs a new Alembic revision.
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


class ModelRow(Base):
    __tablename__ = "model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[float] = mapped_column(Float)


class ModelVersionRow(Base):
    """One version; ``number`` is allocated under the model's row lock."""

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("model_id", "number", name="uq_model_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(80))
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("run.id", ondelete="SET NULL"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)  # where it was made


class ModelFileRow(Base):
    __tablename__ = "model_file"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_version.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(80), index=True)


class ModelAliasRow(Base):
    __tablename__ = "model_alias"
    __table_args__ = (UniqueConstraint("model_id", "alias", name="uq_model_alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(255))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_version.id", ondelete="CASCADE"), index=True
    )


class ModelTagRow(Base):
    __tablename__ = "model_tag"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_version.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ModelAuditRow(Base):
    """One change; ``version`` is the version number it concerns (None: the model)."""

    __tablename__ = "model_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id", ondelete="CASCADE"), index=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[float] = mapped_column(Float)
    user: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)  # where it was done
    detail: Mapped[Any] = mapped_column(JSON, nullable=True)


model_t = cast(Table, ModelRow.__table__)
model_version_t = cast(Table, ModelVersionRow.__table__)
model_file_t = cast(Table, ModelFileRow.__table__)
model_alias_t = cast(Table, ModelAliasRow.__table__)
model_tag_t = cast(Table, ModelTagRow.__table__)
model_audit_t = cast(Table, ModelAuditRow.__table__)
