"""Runs for GUI tests: spools written by hand with ``encode_event``, and plain summaries."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.tracking.home import EVENTS_FILENAME, LOG_FILENAME, run_spool_dir
from mlops_desktop.tracking.spool import encode_event


def write_run(
    home: Path,
    experiment: str = "exp",
    name: str | None = None,
    params: dict[str, Any] | None = None,
    metrics: dict[str, list[float]] | None = None,
    status: str | None = "finished",
    log: str = "",
    started_at: float | None = None,
    run_id: str | None = None,
    tags: dict[str, str] | None = None,
    user: str | None = None,
    host: str = "localhost",
) -> str:
    """Write one run's spool (and log) into ``home``; returns its id. ``status=None``: running;
    ``user=None``: a spool from before users were recorded (no ``user`` in its start)."""
    run_id = run_id or uuid.uuid4().hex
    started = started_at if started_at is not None else time.time()
    seq = 0
    lines: list[bytes] = []

    def event(kind: str, n: int = 1, **fields: Any) -> None:
        nonlocal seq
        lines.append(
            encode_event({"v": 1, "type": kind, "run": run_id, "seq": seq, "n": n, **fields})
        )
        seq += n

    event(
        "start",
        experiment=experiment,
        name=name or f"run-{run_id[:4]}",
        started_at=started,
        command="python train.py --fast",
        cwd="/tmp",
        pid=1,
        host=host,
        target="local",
        **({} if user is None else {"user": user}),
    )
    if params:
        event("params", params=params)
    if tags:
        event("tags", tags=tags)
    for key, values in (metrics or {}).items():
        steps = list(range(len(values)))
        event("metrics", n=len(values), cols={key: [steps, [started + s for s in steps], values]})
    if status is not None:
        event("end", status=status, ended_at=started + 12.5, error=None)
    spool = run_spool_dir(home, run_id)
    spool.mkdir(parents=True, exist_ok=True)
    with open(spool / EVENTS_FILENAME, "ab") as fh:
        fh.write(b"".join(lines))
    if log:
        with open(spool / LOG_FILENAME, "a", encoding="utf-8") as fh:
            fh.write(log)
    return run_id


def summary(run_id: str, **fields: Any) -> RunSummary:
    """A RunSummary for model tests, without a catalog."""
    base: dict[str, Any] = {
        "experiment": "exp",
        "name": f"run-{run_id}",
        "status": "finished",
        "started_at": 1_700_000_000.0,
        "ended_at": 1_700_000_060.0,
    }
    base.update(fields)
    return RunSummary(id=run_id, **base)
