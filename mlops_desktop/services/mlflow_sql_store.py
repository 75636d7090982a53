"""Reading an MLflow SQLite store (``mlflow.db``, ``sqlite:///path``) of any schema revision.

The file is opened read-only with the standard library's ``sqlite3`` (it is not our catalog).
Which tables and columns exist is looked up first, so stores from MLflow 1.x (no ``step``, no
``is_nan``, no datasets) to 3.x read alike. Rows are streamed: metrics come in batches of
:data:`FETCH_ROWS` rows from a cursor, never all at once. When the store has an index on
``run_uuid`` (MLflow >= 1.x revisions add one) each run's rows are read with their own query;
otherwise one ordered scan is merged with the runs, which are read in ``run_uuid`` order.
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from collections.abc import Iterator, Mapping
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np

from mlops_desktop.services.mlflow_records import (
    MAX_FLOAT,
    MetricBatch,
    MlflowExperiment,
    MlflowInput,
    MlflowModel,
    MlflowModelVersion,
    MlflowRun,
    local_path,
)

FETCH_ROWS = 50_000


class MlflowSqlStore:
    """An MLflow tracking (and model registry) database in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        self.db.execute("PRAGMA query_only = 1")
        self.tables = {
            r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "runs" not in self.tables or "experiments" not in self.tables:
            raise sqlite3.DatabaseError("no runs or experiments table")
        self.revision = self._revision()
        self._metric_rows: Any = None

    def _revision(self) -> str:
        if "alembic_version" not in self.tables:
            return ""
        row = self.db.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else ""

    def columns(self, table: str) -> set[str]:
        if table not in self.tables:
            return set()
        return {r[1] for r in self.db.execute(f'PRAGMA table_info("{table}")')}

    def _indexed_by_run(self, table: str) -> bool:
        """Whether an index of ``table`` starts with ``run_uuid`` (per-run queries are cheap)."""
        for index in self.db.execute(f'PRAGMA index_list("{table}")').fetchall():
            first = self.db.execute(f'PRAGMA index_info("{index[1]}")').fetchone()
            if first is not None and first[2] == "run_uuid":
                return True
        return False

    def close(self) -> None:
        self.db.close()

    # -- experiments and runs ---------------------------------------------------------------

    def experiments(self) -> list[MlflowExperiment]:
        cols = self.columns("experiments")
        stage = "lifecycle_stage" if "lifecycle_stage" in cols else "'active'"
        rows = self.db.execute(f"SELECT experiment_id, name, {stage} FROM experiments")
        return [MlflowExperiment(str(i), str(n), s == "deleted") for i, n, s in rows]

    def run_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM runs").fetchone()[0])

    def runs(self) -> Iterator[MlflowRun]:
        cols = self.columns("runs")

        def col(name: str, default: str = "NULL") -> str:
            return name if name in cols else default

        empty, active = "''", "'active'"
        query = (
            f"SELECT run_uuid, experiment_id, {col('name', empty)}, status, start_time,"
            f" end_time, {col('lifecycle_stage', active)}, {col('deleted_time')},"
            f" {col('artifact_uri', empty)} FROM runs ORDER BY run_uuid"
        )
        params = self._per_run("params", "key, value")
        tags = self._per_run("tags", "key, value")
        inputs = self._inputs_query()
        cursor = self.db.execute(query)
        while rows := cursor.fetchmany(500):
            for rid, exp, name, status, start, end, stage, deleted, uri in rows:
                run = MlflowRun(
                    id=str(rid),
                    experiment_id=str(exp),
                    name=str(name or ""),
                    status=str(status or "FINISHED"),
                    start_time=_int(start),
                    end_time=_int(end),
                    deleted=stage == "deleted",
                    deleted_time=_int(deleted),
                    artifact_uri=str(uri or ""),
                )
                run.params = {str(k): "" if v is None else str(v) for k, v in params(run.id)}
                run.tags = {str(k): "" if v is None else str(v) for k, v in tags(run.id)}
                if inputs is not None:
                    run.inputs = [
                        MlflowInput(str(n), str(d or ""), str(c or ""))
                        for n, d, c in self.db.execute(inputs, (run.id,))
                    ]
                yield run

    def _per_run(self, table: str, select: str, order: str = "") -> Any:
        """A function run id -> rows of ``table`` for the run (an indexed query, or a merge
        with one ordered scan when ``run_uuid`` has no index)."""
        if table not in self.tables:
            return lambda _run_id: iter(())
        order_by = f", {order}" if order else ""
        if self._indexed_by_run(table):
            query = f"SELECT {select} FROM {table} WHERE run_uuid = ?"
            if order:
                query += f" ORDER BY {order}"
            return lambda run_id: _stream(self.db.execute(query, (run_id,)))
        scan = _OrderedRows(
            self.db.execute(f"SELECT run_uuid, {select} FROM {table} ORDER BY run_uuid{order_by}")
        )
        return scan.rows_of

    def _inputs_query(self) -> str | None:
        if not {"inputs", "datasets"} <= self.tables:
            return None
        context = "NULL"
        if "input_tags" in self.tables:
            context = (
                "(SELECT value FROM input_tags t WHERE t.input_uuid = i.input_uuid"
                " AND t.name = 'mlflow.data.context')"
            )
        return (
            f"SELECT d.name, d.digest, {context} FROM inputs i JOIN datasets d"
            " ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET'"
            " AND i.destination_type = 'RUN' AND i.destination_id = ? ORDER BY d.name, d.digest"
        )

    # -- metrics ------------------------------------------------------------------------------

    def metrics(self, run: MlflowRun, imported: Mapping[str, int]) -> Iterator[MetricBatch]:
        if self._metric_rows is None:
            cols = self.columns("metrics")
            step = "step" if "step" in cols else "0"
            is_nan = "is_nan" if "is_nan" in cols else "0"
            order = "key, step, timestamp, value" if "step" in cols else "key, timestamp, value"
            select = f"key, {step}, timestamp, value, {is_nan}"
            self._metric_rows = self._per_run("metrics", select, order)
        skip = dict(imported)
        rows = self._metric_rows(run.id)
        while chunk := _take(rows, FETCH_ROWS):
            yield from _batches(chunk, skip)

    def artifact_folder(self, run: MlflowRun) -> str | None:
        path = local_path(run.artifact_uri)
        if path is None:
            return None
        folder = Path(path)
        if not folder.is_absolute():
            folder = self.path.parent / folder
        return str(folder) if folder.is_dir() else None

    # -- model registry -----------------------------------------------------------------------

    def models(self) -> Iterator[MlflowModel]:
        if "registered_models" not in self.tables or "model_versions" not in self.tables:
            return
        cols = self.columns("model_versions")
        storage = "storage_location" if "storage_location" in cols else "NULL"
        stage = "current_stage" if "current_stage" in cols else "NULL"
        names = [r[0] for r in self.db.execute("SELECT name FROM registered_models ORDER BY name")]
        for name in names:
            row = self.db.execute(
                "SELECT description FROM registered_models WHERE name = ?", (name,)
            ).fetchone()
            model = MlflowModel(name=name, description=str(row[0] or ""))
            if "registered_model_tags" in self.tables:
                model.tags = dict(
                    self.db.execute(
                        "SELECT key, value FROM registered_model_tags WHERE name = ?", (name,)
                    ).fetchall()
                )
            if "registered_model_aliases" in self.tables:
                model.aliases = {
                    str(a): int(v)
                    for a, v in self.db.execute(
                        "SELECT alias, version FROM registered_model_aliases WHERE name = ?",
                        (name,),
                    )
                }
            for version, created, user, desc, run_id, source, where, st in self.db.execute(
                f"SELECT version, creation_time, user_id, description, run_id, source, {storage},"
                f" {stage} FROM model_versions WHERE name = ? ORDER BY version",
                (name,),
            ).fetchall():
                tags: dict[str, str] = {}
                if "model_version_tags" in self.tables:
                    tags = dict(
                        self.db.execute(
                            "SELECT key, value FROM model_version_tags"
                            " WHERE name = ? AND version = ?",
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

    def logged_model_folder(self, model_id: str) -> str | None:
        """The local artifact folder of an MLflow 3 logged model (``models:/m-...``)."""
        if "logged_models" not in self.tables:
            return None
        row = self.db.execute(
            "SELECT artifact_location FROM logged_models WHERE model_id = ?", (model_id,)
        ).fetchone()
        return local_path(str(row[0])) if row and row[0] else None


class _OrderedRows:
    """One scan ordered by run id, handed out run by run (runs asked for in the same order)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.cursor = cursor
        self.pending: list[Any] = []
        self.at = 0
        self.done = False

    def _peek(self) -> Any:
        if self.at >= len(self.pending):
            if self.done:
                return None
            self.pending, self.at = self.cursor.fetchmany(FETCH_ROWS), 0
            if not self.pending:
                self.done = True
                return None
        return self.pending[self.at]

    def rows_of(self, run_id: str) -> Iterator[tuple[Any, ...]]:
        while (row := self._peek()) is not None and row[0] < run_id:
            self.at += 1
        while (row := self._peek()) is not None and row[0] == run_id:
            self.at += 1
            yield row[1:]


def _stream(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
    while rows := cursor.fetchmany(FETCH_ROWS):
        yield from rows


def _take(rows: Iterator[tuple[Any, ...]], n: int) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        out.append(row)
        if len(out) >= n:
            break
    return out


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _batches(rows: list[tuple[Any, ...]], skip: dict[str, int]) -> Iterator[MetricBatch]:
    """Rows (key, step, timestamp ms, value, is_nan) as one batch per key, NaN and +-inf back,
    leaving out the first ``skip[key]`` points of each key (already imported)."""
    at = 0
    for key, group in groupby(rows, key=lambda r: r[0]):
        n = sum(1 for _ in group)
        start, at = at, at + n
        drop = min(skip.get(key, 0), n)
        if drop:
            skip[key] -= drop
            start += drop
        if start >= at:
            continue
        _, steps, times, values, nans = zip(*rows[start:at])
        yield MetricBatch(str(key), array("q", steps), _seconds(times), _values(values, nans))


def _seconds(times: tuple[Any, ...]) -> array[float]:
    out = array("d", times)
    view = np.frombuffer(out, dtype=np.float64)
    view /= 1000.0
    return out


def _values(values: tuple[Any, ...], nans: tuple[Any, ...]) -> array[float]:
    if None in values:  # a REAL NaN that SQLite stored as NULL (stores before is_nan)
        values = tuple(math.nan if v is None else v for v in values)
    out = array("d", values)
    view = np.frombuffer(out, dtype=np.float64)
    if any(nans):
        view[np.array(nans, dtype=bool)] = np.nan
    view[view >= MAX_FLOAT] = np.inf
    view[view <= -MAX_FLOAT] = -np.inf
    return out
