"""Runs as plain JSON-able data: the one converter behind ``runs list|show --json`` and model cards.

Times are ISO 8601 text in UTC with milliseconds (``2024-05-01T12:00:00.123+00:00``), the one
time format of every document the app writes for people and scripts. Floats stay floats, NaN
and infinities included: whoever writes strict JSON turns those into text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from mlops_desktop.core.runs import GitInfo, RunDetail, RunSummary

RUN_SUMMARY_KEYS = (
    "id",
    "experiment",
    "name",
    "status",
    "params",
    "metrics",
    "tags",
    "started_at",
    "ended_at",
    "target",
    "parent_run_id",
    "user",
    "host",
)
"""The keys of a run in ``runs list --json``, in their order."""


def iso_time(ts: float | None) -> str | None:
    """Seconds since the epoch as ISO 8601 text in UTC with milliseconds; None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds")


def run_summary_dict(run: RunSummary, keys: Sequence[str] = RUN_SUMMARY_KEYS) -> dict[str, Any]:
    """A run's summary as plain data.

    Args:
        run: the run.
        keys: which of :data:`RUN_SUMMARY_KEYS` to keep, in this order (a model card keeps
            fewer).
    """
    full: dict[str, Any] = {
        "id": run.id,
        "experiment": run.experiment,
        "name": run.name,
        "status": run.status,
        "params": dict(run.params),
        "metrics": dict(run.metrics),
        "tags": dict(run.tags),
        "started_at": iso_time(run.started_at),
        "ended_at": iso_time(run.ended_at),
        "target": run.target,
        "parent_run_id": run.parent_run_id,
        "user": run.user,
        "host": run.host,
    }
    return {key: full[key] for key in keys}


def who_text(user: str | None, host: str | None) -> str:
    """``user@host`` for people; what was not recorded (an older spool or catalog) reads
    "unknown"."""
    return f"{user or 'unknown'}@{host or 'unknown'}"


def git_dict(git: GitInfo) -> dict[str, Any]:
    """The code a run ran: commit, branch, uncommitted changes and the size of their diff."""
    return {
        "commit": git.commit,
        "branch": git.branch,
        "dirty": git.dirty,
        "diff_bytes": git.diff_bytes,
        "diff_truncated": git.diff_truncated,
    }


def run_detail_dict(detail: RunDetail) -> dict[str, Any]:
    """Everything about a run as plain data: its summary, then command, code, environment,
    datasets, artifacts, where its log is, its error (one line, or None), when it was moved
    to the trash (None: not in the trash), its parent's name and its child runs."""
    doc = run_summary_dict(detail.summary)
    doc.update(
        {
            "command": detail.command,
            "notes": detail.notes,
            "metric_counts": dict(detail.metric_counts),
            "git": None if detail.git is None else git_dict(detail.git),
            "env": detail.env,
            "datasets": [
                {"name": d.get("name"), "version": d.get("version"), "path": d.get("path")}
                for d in detail.datasets
            ],
            "artifacts": [asdict(a) for a in detail.artifacts],
            "log_path": detail.log_path,
            "pid": detail.pid,
            "host": detail.host,
            "error": detail.error,
            "deleted_at": iso_time(detail.deleted_at),
            "parent_name": detail.parent_name,
            "children": [{"id": cid, "name": name} for cid, name in detail.children],
        }
    )
    return doc
