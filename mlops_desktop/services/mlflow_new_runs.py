"""The rows of runs new to the catalog, gathered across many runs and inserted in bulk.

Importing 10,000 runs through :func:`~mlops_desktop.catalog.writes.apply_events` one run at a
time costs a dozen statements per run; here each table gets one ``executemany`` per
transaction. The rows are exactly those ``apply_events`` writes for the same events (a start,
params, tags, datasets, metric lines, artifacts, an end, numbered in that order): params as
JSON text, metric points in chunks encoded by :func:`~mlops_desktop.catalog.chunk_codec.
encode_column`, each key's last point and count in ``metric_latest``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.chunk_codec import encode_column
from mlops_desktop.catalog.schema import (
    artifact_t,
    chunk_t,
    latest_t,
    param_t,
    run_input_t,
    run_t,
    tag_t,
)
from mlops_desktop.catalog.upsert import upsert
from mlops_desktop.catalog.writes import _le, experiment_id, latest_value_columns
from mlops_desktop.core.catalog_changes import RUNS
from mlops_desktop.services.mlflow_records import MetricBatch

ZLIB_LEVEL = 1  # fastest: an import writes millions of points; any level decodes alike


class NewRunRows:
    """Rows of new runs waiting for the next transaction."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.runs: list[dict[str, Any]] = []
        self.experiments: list[str] = []  # the experiment name of each row of ``runs``
        self.params: list[dict[str, Any]] = []
        self.tags: list[dict[str, Any]] = []
        self.inputs: list[dict[str, Any]] = []
        self.chunks: list[dict[str, Any]] = []
        self.latest: dict[tuple[str, str], dict[str, Any]] = {}
        self.artifacts: list[dict[str, Any]] = []
        self.points = 0

    def __bool__(self) -> bool:
        return bool(self.runs or self.chunks or self.artifacts or self.params or self.tags)

    def add_run(self, row: dict[str, Any], experiment: str) -> None:
        """A run row (every column but ``experiment_id`` and ``color_index``)."""
        self.runs.append(row)
        self.experiments.append(experiment)

    def add_params(self, run_id: str, params: dict[str, Any]) -> None:
        self.params.extend(
            {"run_id": run_id, "key": str(k), "value": json.dumps(v)} for k, v in params.items()
        )

    def add_tags(self, run_id: str, tags: dict[str, str]) -> None:
        self.tags.extend({"run_id": run_id, "key": k, "value": v} for k, v in tags.items())

    def add_input(self, run_id: str, name: str, version: str, seq: int) -> None:
        self.inputs.append(
            {"run_id": run_id, "dataset": name, "version": version, "path": None, "seq": seq}
        )

    def add_artifact(self, run_id: str, name: str, digest: str, size: int) -> None:
        self.artifacts.append({"run_id": run_id, "name": name, "digest": digest, "size": size})

    def add_metrics(self, run_id: str, batch: MetricBatch, seq: int) -> None:
        """One metric line of ``len(batch.values)`` points whose first has number ``seq``."""
        n = len(batch.values)
        if not n:
            return
        self.chunks.append(
            {
                "run_id": run_id,
                "key": batch.key,
                "seq_first": seq,
                "n": n,
                "steps": encode_column(_le(batch.steps), n, ZLIB_LEVEL),
                "timestamps": encode_column(_le(batch.times), n, ZLIB_LEVEL),
                "values": encode_column(_le(batch.values), n, ZLIB_LEVEL),
            }
        )
        value, nonfinite = latest_value_columns(batch.values[-1])
        prev = self.latest.get((run_id, batch.key))
        self.latest[(run_id, batch.key)] = {
            "run_id": run_id,
            "key": batch.key,
            "seq": seq + n - 1,
            "step": int(batch.steps[-1]),
            "timestamp": float(batch.times[-1]),
            "value": value,
            "nonfinite": nonfinite,
            "count": n + (prev["count"] if prev else 0),
        }
        self.points += n

    def write(self, s: Session) -> None:
        """Insert everything gathered (new runs first), then forget it."""
        ids: dict[str, int] = {}
        colors: dict[int, int] = {}
        for row, name in zip(self.runs, self.experiments):
            if name not in ids:
                ids[name] = experiment_id(s, name)
            exp = ids[name]
            if exp not in colors:
                top = s.execute(
                    select(func.max(run_t.c.color_index)).where(run_t.c.experiment_id == exp)
                ).scalar()
                colors[exp] = -1 if top is None else int(top)
            colors[exp] += 1
            row["experiment_id"] = exp
            row["color_index"] = colors[exp]
        for table, rows in (
            (run_t, self.runs),
            (param_t, self.params),
            (tag_t, self.tags),
            (run_input_t, self.inputs),
            (chunk_t, self.chunks),
            (artifact_t, self.artifacts),
        ):
            if rows:
                s.execute(insert(table), rows)
        upsert(s, latest_t, list(self.latest.values()), ["run_id", "key"], add=["count"])
        new = [str(row["id"]) for row in self.runs]
        touched = {str(r["run_id"]) for rows in (self.params, self.chunks) for r in rows}
        note_change(s, RUNS, touched.union(new), new)
        self.clear()
