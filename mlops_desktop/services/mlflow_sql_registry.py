"""The model registry tables of an MLflow SQLite store (``registered_models``, ``model_versions``,
their tags and aliases), read with the columns each schema revision has."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from mlops_desktop.services.mlflow_records import MlflowModel, MlflowModelVersion


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def registered_models(
    db: sqlite3.Connection, tables: set[str], columns: Callable[[str], set[str]]
) -> Iterator[MlflowModel]:
    """The registered models with their versions, aliases and tags (none before MLflow 1.2)."""
    if "registered_models" not in tables or "model_versions" not in tables:
        return
    cols = columns("model_versions")
    storage = "storage_location" if "storage_location" in cols else "NULL"
    stage = "current_stage" if "current_stage" in cols else "NULL"
    names = [r[0] for r in db.execute("SELECT name FROM registered_models ORDER BY name")]
    for name in names:
        row = db.execute(
            "SELECT description FROM registered_models WHERE name = ?", (name,)
        ).fetchone()
        model = MlflowModel(name=name, description=str(row[0] or ""))
        if "registered_model_tags" in tables:
            model.tags = dict(
                db.execute(
                    "SELECT key, value FROM registered_model_tags WHERE name = ?", (name,)
                ).fetchall()
            )
        if "registered_model_aliases" in tables:
            model.aliases = {
                str(a): int(v)
                for a, v in db.execute(
                    "SELECT alias, version FROM registered_model_aliases WHERE name = ?",
                    (name,),
                )
            }
        for version, created, user, desc, run_id, source, where, st in db.execute(
            f"SELECT version, creation_time, user_id, description, run_id, source, {storage},"
            f" {stage} FROM model_versions WHERE name = ? ORDER BY version",
            (name,),
        ).fetchall():
            tags: dict[str, str] = {}
            if "model_version_tags" in tables:
                tags = dict(
                    db.execute(
                        "SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?",
                        (name, version),
                    ).fetchall()
                )
            model.versions.append(
                MlflowModelVersion(
                    version=int(version),
                    creation_time=_int(created),
                    user=str(user or ""),
                    description=str(desc or ""),
                    run_id=str(run_id) if run_id else None,
                    source=str(source or ""),
                    storage_location=str(where or ""),
                    stage=str(st or ""),
                    tags=tags,
                )
            )
        yield model
