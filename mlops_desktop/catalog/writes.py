"""Apply spool events of one run to the catalog inside a write transaction.

This is the write side the ingester uses; benchmarks and tests may call :func:`apply_events`
directly with events whose metric columns are already ``array`` objects (as the spool reader
hands them out) to fill a catalog without writing spools.
"""

from __future__ import annotations

import json
import math
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.chunk_codec import encode_column
from mlops_desktop.catalog.lineage import DatasetResolver
from mlops_desktop.catalog.model_events import register_logged_model
from mlops_desktop.catalog.schema import (
    RUN_ID_LEN,
    artifact_t,
    chunk_t,
    experiment_t,
    latest_t,
    param_t,
    run_input_t,
    run_t,
    tag_t,
)
from mlops_desktop.catalog.upsert import insert_ignore, upsert
from mlops_desktop.core.catalog_changes import RUNS
from mlops_desktop.core.runs import RunStatus
from mlops_desktop.tracking.run_inputs import UNRESOLVED_KEY, input_tag
from mlops_desktop.tracking.who import who_fields

DEFAULT_EXPERIMENT = "Default"
# tags naming a run's parent: ours first, then MLflow's (see tracking.fluent.parent_run_id)
PARENT_TAGS = ("mlops.parent_run_id", "mlflow.parentRunId")
CHUNK_POINTS = 65_536  # consecutive lines of a key are joined into chunks up to about this
_BIG_ENDIAN = sys.byteorder == "big"


def _le(arr: array[Any]) -> bytes:
    """Little-endian bytes of an int64/float64 array."""
    if _BIG_ENDIAN:
        arr = array(arr.typecode, arr)
        arr.byteswap()
    return arr.tobytes()


def experiment_id(session: Session, name: str) -> int:
    """The id of the experiment ``name``, creating it when missing (safe against races)."""
    found = session.execute(select(experiment_t.c.id).where(experiment_t.c.name == name)).scalar()
    if found is not None:
        return int(found)
    insert_ignore(session, experiment_t, {"name": name, "created_at": time.time()}, ["name"])
    return int(
        session.execute(select(experiment_t.c.id).where(experiment_t.c.name == name)).scalar_one()
    )


def latest_value_columns(value: float) -> tuple[float | None, str | None]:
    """``(value, nonfinite)`` as ``metric_latest`` stores a value so NaN survives SQLite."""
    if math.isfinite(value):
        return value, None
    return None, ("nan" if value != value else ("inf" if value > 0 else "-inf"))


@dataclass
class Applied:
    """What :func:`apply_events` did."""

    points: int = 0
    new_run: bool = False
    problems: list[str] = field(default_factory=list)


def next_color_index(experiment: int) -> Any:
    """The ``color_index`` of a run added to ``experiment`` now: one past its runs' highest
    (a scalar subquery, evaluated in the insert itself)."""
    highest = func.max(run_t.c.color_index)
    return (
        select(func.coalesce(highest + 1, 0))
        .where(run_t.c.experiment_id == experiment)
        .scalar_subquery()
    )


def _ensure_run(session: Session, run_id: str, events: list[dict[str, Any]]) -> bool:
    """Create a placeholder run unless it exists; returns True when it was created."""
    exists = session.execute(select(run_t.c.id).where(run_t.c.id == run_id)).first()
    if exists is not None:
        return False
    start = next((e for e in events if e["type"] == "start"), None)
    exp = start["experiment"] if start else DEFAULT_EXPERIMENT
    started = start.get("started_at") if start else None
    exp_id = experiment_id(session, exp)
    row = {
        "id": run_id,
        "experiment_id": exp_id,
        "color_index": next_color_index(exp_id),
        "name": "",
        "status": "running",
        "started_at": float(started) if isinstance(started, (int, float)) else time.time(),
        "target": "local",
        "command": "",
        "cwd": "",
        "notes": "",
        "has_start": False,
    }
    insert_ignore(session, run_t, row, ["id"])
    return True


def _valid_parent(run_id: str, parent: Any) -> str | None:
    """``parent`` as a ``run.parent_run_id`` (None when it is no run id, or the run itself)."""
    if not isinstance(parent, str) or not parent.strip() or parent == run_id:
        return None
    return parent.strip()[:RUN_ID_LEN]


def parent_from_tags(run_id: str, tags: dict[str, Any]) -> str | None:
    """The parent that a run's tags name (ours before MLflow's), or None."""
    for key in PARENT_TAGS:
        parent = _valid_parent(run_id, tags.get(key))
        if parent is not None:
            return parent
    return None


def _parent_experiment(session: Session, parent: str | None) -> int | None:
    """The experiment id of the run ``parent`` when the catalog has it, else None."""
    if parent is None:
        return None
    found = session.execute(select(run_t.c.experiment_id).where(run_t.c.id == parent)).scalar()
    return None if found is None else int(found)


def _start_values(session: Session, run_id: str, e: dict[str, Any]) -> dict[str, Any]:
    """The ``run`` columns a start event sets.

    A child run that named no experiment itself (``experiment_from_parent``) joins its
    parent's experiment when the catalog has the parent, whatever the child's process guessed
    (a launched job's script may not know the experiment the app put its run in).
    """
    parent = _valid_parent(run_id, e.get("parent_run_id"))
    exp_id = _parent_experiment(session, parent) if e.get("experiment_from_parent") else None
    vals: dict[str, Any] = {
        "experiment_id": exp_id if exp_id is not None else experiment_id(session, e["experiment"]),
        "has_start": True,
    }
    if parent is not None:
        vals["parent_run_id"] = parent
    for key, kind in (("name", str), ("command", str), ("cwd", str), ("target", str)):
        if isinstance(e.get(key), kind):
            vals[key] = e[key]
    if isinstance(e.get("started_at"), (int, float)):
        vals["started_at"] = float(e["started_at"])
    if isinstance(e.get("pid"), int):
        vals["pid"] = e["pid"]
    user, host = who_fields(e)
    if host is not None:
        vals["host"] = host
    if user is not None:
        vals["user"] = user
    if isinstance(e.get("machine"), str):
        vals["machine"] = e["machine"][:255]
    if isinstance(e.get("command"), list):
        vals["command"] = " ".join(map(str, e["command"]))
    return vals


def _dataset_input(
    resolver: DatasetResolver, run_id: str, e: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The ``run_input`` row of a ``dataset`` event, its version resolved in the registry, and
    why the dataset or version is unknown (None when it is known)."""
    path = e.get("path") if isinstance(e.get("path"), str) else None
    at = e.get("at") if isinstance(e.get("at"), (int, float)) else None
    name, version, problem = resolver.resolve(str(e.get("name", "")), e.get("version"), path, at)
    row = {"run_id": run_id, "dataset": name, "version": version, "path": path, "seq": e["seq"]}
    return row, problem


def _command_inputs(
    resolver: DatasetResolver, run_id: str, e: dict[str, Any]
) -> list[dict[str, Any]]:
    """``run_input`` rows for the registered datasets whose paths the run's command names."""
    at = e.get("started_at") if isinstance(e.get("started_at"), (int, float)) else None
    cwd = str(e["cwd"]) if isinstance(e.get("cwd"), str) else ""
    return [
        {"run_id": run_id, "dataset": name, "version": version, "path": path, "seq": e["seq"]}
        for name, version, path in resolver.from_command(e.get("command"), cwd, at)
    ]


class _RunRows:
    """The rows that one :func:`apply_events` call writes, gathered event by event.

    Consecutive metric lines of one key are joined into chunks of up to about
    :data:`CHUNK_POINTS` points (fewer rows: faster in and out); ``latest`` keeps the last
    point of each key with the count of points added.
    """

    def __init__(self, session: Session, run_id: str) -> None:
        self.session = session
        self.run_id = run_id
        self.points = 0
        self.run_values: dict[str, Any] = {}
        self.started = False  # a start event came: a queued run (launched, waiting) now runs
        self.params: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.artifacts: dict[str, dict[str, Any]] = {}
        self.inputs: list[dict[str, Any]] = []
        self.models: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.chunks: list[dict[str, Any]] = []
        self.latest: dict[str, dict[str, Any]] = {}
        self.open_chunks: dict[str, list[Any]] = {}  # key -> [seq_first, n, steps, times, values]
        self.resolver = DatasetResolver(session)
        self.by_kind: dict[str, Callable[[dict[str, Any]], None]] = {
            "metrics": self.add_metrics,
            "params": self.add_params,
            "tags": self.add_tags,
            "start": self.add_start,
            "env": self.add_env,
            "artifact": self.add_artifact,
            "dataset": self.add_dataset,
            "model": self.models.append,
            "end": self.add_end,
        }

    def add_metrics(self, e: dict[str, Any]) -> None:
        seq = e["seq"]
        last_seq = seq + e["n"] - 1
        open_chunks, latest, run_id = self.open_chunks, self.latest, self.run_id
        for key, (steps, times, values) in e["cols"].items():
            n = len(values)
            if not n:
                continue
            chunk = open_chunks.get(key)
            if chunk is None:
                chunk = open_chunks[key] = [seq, 0, [], [], []]
            chunk[1] += n
            chunk[2].append(_le(steps))
            chunk[3].append(_le(times))
            chunk[4].append(_le(values))
            if chunk[1] >= CHUNK_POINTS:
                self.close_chunk(key)
            prev = latest.get(key)
            value, nonfinite = latest_value_columns(values[-1])
            latest[key] = {
                "run_id": run_id,
                "key": key,
                "seq": last_seq,
                "step": steps[-1],
                "timestamp": times[-1],
                "value": value,
                "nonfinite": nonfinite,
                "count": n + (prev["count"] if prev else 0),
            }
            self.points += n

    def close_chunk(self, key: str) -> None:
        seq_first, n, steps, times, values = self.open_chunks.pop(key)
        self.chunks.append(
            {
                "run_id": self.run_id,
                "key": key,
                "seq_first": seq_first,
                "n": n,
                "steps": encode_column(b"".join(steps), n),
                "timestamps": encode_column(b"".join(times), n),
                "values": encode_column(b"".join(values), n),
            }
        )

    def add_params(self, e: dict[str, Any]) -> None:
        for key, value in e["params"].items():
            self.params[str(key)] = json.dumps(value)

    def add_tags(self, e: dict[str, Any]) -> None:
        for key, value in e["tags"].items():
            self.tags[str(key)] = value if isinstance(value, str) else json.dumps(value)
        parent = parent_from_tags(self.run_id, self.tags)
        if parent is not None:
            self.run_values["parent_run_id"] = parent

    def add_start(self, e: dict[str, Any]) -> None:
        self.started = True
        self.run_values.update(_start_values(self.session, self.run_id, e))
        self.inputs.extend(_command_inputs(self.resolver, self.run_id, e))

    def add_env(self, e: dict[str, Any]) -> None:
        for key in ("env", "git"):
            if key in e:
                self.run_values[key] = e[key]

    def add_artifact(self, e: dict[str, Any]) -> None:
        size = e.get("size")
        self.artifacts[e["name"]] = {
            "run_id": self.run_id,
            "name": e["name"],
            "digest": e["digest"],
            "size": size if isinstance(size, int) else 0,
        }

    def add_dataset(self, e: dict[str, Any]) -> None:
        row, problem = _dataset_input(self.resolver, self.run_id, e)
        self.inputs.append(row)
        if problem:  # flagged on the run: mlops.input.<dataset>.unresolved
            self.tags[input_tag(row["dataset"], UNRESOLVED_KEY)] = problem

    def add_end(self, e: dict[str, Any]) -> None:
        ended = e.get("ended_at")
        self.run_values["status"] = e["status"]
        self.run_values["ended_at"] = (
            float(ended) if isinstance(ended, (int, float)) else time.time()
        )
        self.run_values["error"] = e.get("error")

    def write(self) -> None:
        """Insert and upsert everything gathered (closing the open chunks first)."""
        s, run_id = self.session, self.run_id
        for key in list(self.open_chunks):
            self.close_chunk(key)
        if self.run_values:
            s.execute(update(run_t).where(run_t.c.id == run_id).values(**self.run_values))
        if self.started and "status" not in self.run_values:
            queued = (run_t.c.id == run_id) & (run_t.c.status == RunStatus.QUEUED.value)
            s.execute(update(run_t).where(queued).values(status="running"))
        if self.chunks:
            s.execute(insert(chunk_t), self.chunks)
            upsert(s, latest_t, list(self.latest.values()), ["run_id", "key"], add=["count"])
        for table, values in ((param_t, self.params), (tag_t, self.tags)):
            rows = [{"run_id": run_id, "key": k, "value": v} for k, v in values.items()]
            upsert(s, table, rows, ["run_id", "key"])
        upsert(s, artifact_t, list(self.artifacts.values()), ["run_id", "name"])
        if self.inputs:
            s.execute(insert(run_input_t), self.inputs)
        for event in self.models:  # after the artifacts: the version's files are among them
            problem = register_logged_model(s, run_id, event)
            if problem is not None:
                self.problems.append(problem)


def _queued_starts(session: Session, run_id: str, events: list[dict[str, Any]]) -> bool:
    """Whether a launched run, queued until now, starts with ``events`` (new to watchers)."""
    if not any(e["type"] == "start" for e in events):
        return False
    status = session.execute(select(run_t.c.status).where(run_t.c.id == run_id)).scalar()
    return status == RunStatus.QUEUED.value


def apply_events(session: Session, run_id: str, events: list[dict[str, Any]]) -> Applied:
    """Store ``events`` (valid, of run ``run_id``, not stored before, in sequence order)."""
    new_run = _ensure_run(session, run_id, events) or _queued_starts(session, run_id, events)
    rows = _RunRows(session, run_id)
    by_kind = rows.by_kind
    for e in events:
        add = by_kind.get(e["type"])
        if add is not None:
            add(e)
    rows.write()
    note_change(session, RUNS, [run_id], [run_id] if new_run else [])
    return Applied(points=rows.points, new_run=new_run, problems=rows.problems)
