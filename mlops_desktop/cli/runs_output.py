"""What the ``runs`` commands print: run tables, a run in full and metric series.

The JSON documents of runs come from :mod:`mlops_desktop.core.run_documents`, the converter
model cards use too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops_desktop.cli.output import iso_time, printable, short_value, text_table
from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.run_documents import run_summary_dict, who_text
from mlops_desktop.core.run_edits import EmptiedTrash, TrashedRun
from mlops_desktop.core.runs import MetricSeries, RunDetail, RunSummary

TABLE_METRICS = 3
CHILDREN_LISTED = 10  # `runs show` lists the ids of at most this many children


def runs_document(runs: list[RunSummary]) -> list[dict[str, Any]]:
    """``runs list --json``: [{id, experiment, name, status, params, metrics, tags, ...}]."""
    return [run_summary_dict(r) for r in runs]


def runs_table(runs: list[RunSummary]) -> str:
    """Runs as a table for a terminal: id, experiment, name, status, start and a few metrics."""
    if not runs:
        return "No runs. Log one with mlops_desktop.start_run(...) or run `mlops-desktop demo`."
    keys = list(dict.fromkeys(k for r in runs for k in r.metrics))[:TABLE_METRICS]
    rows = [["ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", *keys]]
    for r in runs:
        started = datetime.fromtimestamp(r.started_at).strftime("%Y-%m-%d %H:%M")
        metrics = [short_value(r.metrics[k]) if k in r.metrics else "" for k in keys]
        rows.append([r.id[:8], r.experiment, r.name, r.status, started, *metrics])
    return text_table(rows)


def run_detail_text(detail: RunDetail) -> str:
    """A run in full for a person: what ran where, params, metrics, tags, data and files
    (control characters in what was logged shown escaped)."""
    s = detail.summary
    lines = [
        f"Run {s.id}  ({printable(s.name)})",
        f"  experiment  {printable(s.experiment)}",
        f"  status      {s.status}",
        f"  started     {iso_time(s.started_at)}",
        f"  ended       {iso_time(s.ended_at) or '-'}",
        f"  target      {printable(s.target)}",
        f"  ran by      {printable(who_text(s.user, s.host))}",
        f"  command     {printable(detail.command)}",
    ]
    if s.parent_run_id is not None:
        parent = printable(detail.parent_name or "") or "not in this catalog"
        lines.append(f"  parent      {s.parent_run_id[:8]} ({parent})")
    if detail.children:
        shown = ", ".join(cid[:8] for cid, _ in detail.children[:CHILDREN_LISTED])
        more = ", ..." if len(detail.children) > CHILDREN_LISTED else ""
        lines.append(f"  children    {len(detail.children)} ({shown}{more})")
    if detail.error:
        lines.append(f"  error       {printable(detail.error)}")
    if detail.deleted_at is not None:
        lines.append(
            f"  in trash    since {iso_time(detail.deleted_at)} (runs restore RUN brings it back)"
        )
    if detail.git is not None:
        dirty = " (uncommitted changes)" if detail.git.dirty else ""
        lines.append(
            f"  git         {detail.git.commit or '-'} on {printable(detail.git.branch or '-')}"
            + dirty
        )
    for title, mapping in (("params", s.params), ("metrics (last)", s.metrics), ("tags", s.tags)):
        if mapping:
            lines.append(f"{title}:")
            lines += [f"  {printable(k)} = {short_value(v)}" for k, v in sorted(mapping.items())]
    if detail.metric_counts:
        counts = ", ".join(f"{printable(k)}={n}" for k, n in sorted(detail.metric_counts.items()))
        lines.append(f"points: {counts}")
    if detail.datasets:
        lines.append("datasets:")
        lines += [
            printable(f"  {d.get('name')}@{d.get('version') or '?'}")
            + (f"  {printable(str(d['path']))}" if d.get("path") else "")
            for d in detail.datasets
        ]
    if detail.artifacts:
        lines.append("artifacts:")
        lines += [
            f"  {printable(a.name)}  {count_noun(a.size, 'byte', thousands=False)}  {a.digest[:19]}"
            for a in detail.artifacts
        ]
    return "\n".join(lines)


def _points(series: MetricSeries) -> zip[tuple[Any, Any, Any]]:
    return zip(series.steps.tolist(), series.timestamps.tolist(), series.values.tolist())


def metric_document(series: MetricSeries) -> dict[str, Any]:
    """``runs metric --json``: {run, key, points: [[step, time (epoch seconds), value]]}."""
    points = [[int(s), float(t), float(v)] for s, t, v in _points(series)]
    return {"run": series.run_id, "key": series.key, "points": points}


def metric_text(series: MetricSeries) -> str:
    """A metric series as tab-separated step, time and value lines under a header."""
    return "\n".join(
        ["step\ttime\tvalue"] + [f"{s}\t{iso_time(t)}\t{v:.6g}" for s, t, v in _points(series)]
    )


@dataclass(frozen=True)
class RunTags:
    """A run after ``runs rename`` or ``runs tag``: its id, name and every tag."""

    id: str
    name: str
    tags: dict[str, str]


@dataclass(frozen=True)
class RunsMoved:
    """Runs that ``runs delete`` moved to the trash (``trashed``) or ``runs restore`` took
    out of it (``restored``); ``children``: those of ``ids`` that went along with their
    parent."""

    action: str
    ids: list[str]
    children: list[str] = field(default_factory=list)


def run_tags_document(run: RunTags) -> dict[str, Any]:
    """``runs rename|tag --json``: {id, name, tags}."""
    return {"id": run.id, "name": run.name, "tags": dict(run.tags)}


def renamed_text(run: RunTags) -> str:
    return f"Run {run.id[:8]} is now named {printable(run.name)!r}."


def run_tags_text(run: RunTags) -> str:
    if not run.tags:
        return f"Run {run.id[:8]} has no tags."
    lines = [f"Tags of run {run.id[:8]}:"]
    lines += [f"  {printable(k)} = {printable(v)}" for k, v in sorted(run.tags.items())]
    return "\n".join(lines)


def moved_document(moved: RunsMoved) -> dict[str, Any]:
    """``runs delete --json``: {trashed: [ids], children: [ids]}; ``runs restore --json``:
    {restored: [ids], children: [ids]}; ``children`` are those of the ids that went along
    with their parent."""
    return {moved.action: list(moved.ids), "children": list(moved.children)}


def _runs_word(n: int) -> str:
    return count_noun(n, "run")


def moved_text(moved: RunsMoved) -> str:
    named = [i for i in moved.ids if i not in moved.children]
    ids = ", ".join(i[:8] for i in named)
    along = ""
    if moved.children:
        kids = count_noun(len(moved.children), "child run")
        along = f" with their {kids}" if len(named) > 1 else f" with its {kids}"
    if moved.action == "trashed":
        return (
            f"Moved {_runs_word(len(named))} to the trash ({ids}){along}; "
            "`runs restore RUN` brings one back" + (" with its children." if along else ".")
        )
    return f"Restored {_runs_word(len(named))} from the trash ({ids}){along}."


def trash_document(runs: list[TrashedRun]) -> list[dict[str, Any]]:
    """``runs trash --json``: [{id, experiment, name, status, started_at, deleted_at}]."""
    return [
        {
            "id": r.id,
            "experiment": r.experiment,
            "name": r.name,
            "status": r.status,
            "started_at": iso_time(r.started_at),
            "deleted_at": iso_time(r.deleted_at),
        }
        for r in runs
    ]


def trash_text(runs: list[TrashedRun]) -> str:
    if not runs:
        return "The trash is empty."
    rows = [["ID", "EXPERIMENT", "NAME", "STATUS", "TRASHED"]]
    for r in runs:
        trashed = datetime.fromtimestamp(r.deleted_at).strftime("%Y-%m-%d %H:%M")
        rows.append([r.id[:8], r.experiment, r.name, r.status, trashed])
    hint = "`runs restore RUN` brings one back; `runs trash --empty` deletes them for good."
    return text_table(rows) + "\n" + hint


def emptied_document(emptied: EmptiedTrash) -> dict[str, Any]:
    """``runs trash --empty --json``: {deleted: [ids], kept: [{id, name, reason}]}."""
    return {
        "deleted": list(emptied.deleted),
        "kept": [{"id": k.id, "name": k.name, "reason": k.reason} for k in emptied.kept],
    }


def emptied_text(emptied: EmptiedTrash) -> str:
    lines = [f"Deleted {_runs_word(len(emptied.deleted))} for good."]
    lines += [f"Kept run {k.id[:8]} ({printable(k.name)}): {k.reason}." for k in emptied.kept]
    if emptied.deleted:
        lines.append("Their artifact files are freed by `mlops-desktop models gc`.")
    return "\n".join(lines)
