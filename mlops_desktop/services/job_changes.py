"""What to write into a job's row after its executor answered a poll.

A local job's launcher keeps its own records (``job.json``, ``exit.json`` in the run dir) with
the exact start and end times and the GPUs it leased; they are preferred over the time of the
poll.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo


def after_poll(job: JobInfo, state: str, exit_code: int | None, detail: str) -> dict[str, Any]:
    """The fields of ``job`` that change now that a poll answered ``(state, exit_code,
    detail)`` ({} when nothing changed)."""
    changes: dict[str, Any] = {}
    record = _local_record(job)
    if state != job.state:
        changes["state"] = state
    if state == "running" and job.started_at is None:
        changes["started_at"] = record.get("started_at") or time.time()
    if state in TERMINAL_STATES:
        changes["ended_at"] = _local_record(job, "exit.json").get("ended_at") or time.time()
        changes["exit_code"] = exit_code
        if job.started_at is None and record.get("started_at"):
            changes["started_at"] = record["started_at"]
    gpus = record.get("gpus") or job.handle.get("gpus")
    if isinstance(gpus, list) and gpus and gpus != job.gpus:
        changes["gpus"] = [int(g) for g in gpus]
    if detail != job.detail:
        changes["detail"] = detail
    return changes


def _local_record(job: JobInfo, name: str = "job.json") -> dict[str, Any]:
    """The launcher's ``job.json`` (or ``exit.json``) of a local job ({} when absent or
    remote)."""
    run_dir = job.handle.get("run_dir")
    if job.target != "local" or not isinstance(run_dir, str):
        return {}
    try:
        data = json.loads((Path(run_dir) / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
