"""Turning core dataclasses into the JSON documents and text tables of the command line.

JSON keys follow ../shared/INTERFACES.md. Non-finite floats become the strings "NaN",
"Infinity" and "-Infinity" (as in the protobuf JSON mapping), so every document is strict JSON.
"""

from __future__ import annotations

import json
import math
import sys
import time
from datetime import datetime
from typing import Any

from mlops_desktop.core.compute import HostInfo, JobInfo
from mlops_desktop.core.datasets import DatasetDiff, DatasetUse, DatasetVersion, TableProfile
from mlops_desktop.core.models import (
    AuditEntry,
    ModelCard,
    ModelSummary,
    ModelVersion,
    VersionComparison,
)
from mlops_desktop.core.run_documents import iso_time as iso
from mlops_desktop.core.runs import MetricSeries, RunDetail, RunSummary


def json_number(x: float) -> float | str:
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def dumps(doc: Any) -> str:
    """Strict JSON text of ``doc``."""
    return json.dumps(_clean(doc), allow_nan=False, ensure_ascii=False)


def metric_doc(series: MetricSeries) -> dict[str, Any]:
    points = [
        [int(s), float(t), float(v)]
        for s, t, v in zip(
            series.steps.tolist(), series.timestamps.tolist(), series.values.tolist()
        )
    ]
    return {"run": series.run_id, "key": series.key, "points": points}


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def runs_table(runs: list[RunSummary], max_metrics: int = 3) -> str:
    """A plain-text table of runs for a terminal."""
    if not runs:
        return "No runs. Log one with mlops_desktop.start_run(...) or run `mlops-desktop demo`."
    keys: list[str] = []
    for r in runs:
        for k in r.metrics:
            if k not in keys:
                keys.append(k)
    keys = keys[:max_metrics]
    header = ["ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", *keys]
    rows = [header]
    for r in runs:
        started = datetime.fromtimestamp(r.started_at).strftime("%Y-%m-%d %H:%M")
        metrics = [_fmt_value(r.metrics[k]) if k in r.metrics else "" for k in keys]
        rows.append([r.id[:8], r.experiment, r.name, r.status, started, *metrics])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def run_detail_text(detail: RunDetail) -> str:
    s = detail.summary
    lines = [
        f"Run {s.id}  ({s.name})",
        f"  experiment  {s.experiment}",
        f"  status      {s.status}",
        f"  started     {iso(s.started_at)}",
        f"  ended       {iso(s.ended_at) or '-'}",
        f"  target      {s.target}",
        f"  command     {detail.command}",
    ]
    if detail.git is not None:
        dirty = " (uncommitted changes)" if detail.git.dirty else ""
        lines.append(
            f"  git         {detail.git.commit or '-'} on {detail.git.branch or '-'}{dirty}"
        )
    for title, mapping in (("params", s.params), ("metrics (last)", s.metrics), ("tags", s.tags)):
        if mapping:
            lines.append(f"{title}:")
            lines += [f"  {k} = {_fmt_value(v)}" for k, v in sorted(mapping.items())]
    if detail.metric_counts:
        lines.append(
            "points: " + ", ".join(f"{k}={n}" for k, n in sorted(detail.metric_counts.items()))
        )
    if detail.datasets:
        lines.append("datasets:")
        lines += [
            f"  {d.get('name')}@{d.get('version') or '?'}"
            + (f"  {d['path']}" if d.get("path") else "")
            for d in detail.datasets
        ]
    if detail.artifacts:
        lines.append("artifacts:")
        lines += [f"  {a.name}  {a.size} bytes  {a.digest[:19]}" for a in detail.artifacts]
    return "\n".join(lines)


def dataset_version_doc(v: DatasetVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "fingerprint": v.fingerprint,
        "files": v.files,
        "bytes": v.bytes,
        "created_at": iso(v.created_at),
        "message": v.message,
        "tags": dict(v.tags),
        "source_path": v.source_path,
        "snapshot": v.snapshot,
    }


def dataset_diff_doc(d: DatasetDiff) -> dict[str, Any]:
    return {
        "dataset": d.dataset,
        "old": d.old,
        "new": d.new,
        "added": list(d.added),
        "removed": list(d.removed),
        "changed": list(d.changed),
        "tables": [
            {
                "path": t.path,
                "rows_added": t.rows_added,
                "rows_removed": t.rows_removed,
                "rows_old": t.rows_old,
                "rows_new": t.rows_new,
                "columns": [
                    {
                        "column": c.column,
                        "change": c.change,
                        "old_type": c.old_type,
                        "new_type": c.new_type,
                        "stats": {k: [_plain(a), _plain(b)] for k, (a, b) in c.stats.items()},
                    }
                    for c in t.columns
                ],
            }
            for t in d.tables
        ],
        "problems": list(d.problems),
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) else str(value)


def dataset_use_doc(u: DatasetUse) -> dict[str, Any]:
    return {
        "run": u.run_id,
        "name": u.run_name,
        "experiment": u.experiment,
        "status": u.status,
        "started_at": iso(u.started_at),
        "dataset": u.dataset,
        "version": u.version,
    }


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def profile_doc(p: TableProfile) -> dict[str, Any]:
    from mlops_desktop.core.profile_codec import profile_to_json

    doc = profile_to_json(p)
    doc.pop("payload_version", None)
    return doc


# -- models -------------------------------------------------------------------------------


def model_summary_doc(m: ModelSummary) -> dict[str, Any]:
    return {
        "name": m.name,
        "latest": m.latest,
        "versions": m.versions,
        "aliases": dict(m.aliases),
        "updated_at": iso(m.updated_at),
    }


def model_summary_line(m: ModelSummary) -> str:
    aliases = " ".join(f"@{a}={v}" for a, v in m.aliases.items())
    latest = f"v{m.latest}" if m.latest is not None else "-"
    return f"{m.name}\t{latest}\t{m.versions} versions\t{aliases}".rstrip()


def model_version_doc(v: ModelVersion) -> dict[str, Any]:
    return {
        "name": v.name,
        "version": v.version,
        "fingerprint": v.fingerprint,
        "run": v.run_id,
        "source": v.source,
        "created_at": iso(v.created_at),
        "created_by": v.created_by,
        "aliases": list(v.aliases),
        "tags": dict(v.tags),
        "archived": v.archived,
        "files": len(v.files),
        "bytes": v.size,
    }


def model_version_line(v: ModelVersion) -> str:
    flags = " ".join([*(f"@{a}" for a in v.aliases), *(["archived"] if v.archived else [])])
    return (
        f"{v.version}\t{iso(v.created_at)}\t{v.created_by}\t{human_bytes(v.size)}\t"
        f"{(v.run_id or '-')[:8]}\t{flags}"
    ).rstrip()


def audit_doc(e: AuditEntry) -> dict[str, Any]:
    return {
        "at": iso(e.at),
        "user": e.user,
        "model": e.model,
        "version": e.version,
        "action": e.action,
        "detail": dict(e.detail),
    }


def audit_line(e: AuditEntry) -> str:
    detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if k != "fingerprint")
    version = f":{e.version}" if e.version is not None else ""
    return f"{iso(e.at)}\t{e.user}\t{e.model}{version}\t{e.action}\t{detail}".rstrip()


def model_show_doc(card: ModelCard, full: dict[str, Any]) -> dict[str, Any]:
    """INTERFACES keys {name, version, aliases, tags, fingerprint, lineage: {run, datasets,
    code}, history} plus the card's other fields (``full`` is its plain-data form)."""
    doc = dict(full)
    doc["lineage"] = {
        "run": card.version.run_id,
        "datasets": [dict(d) for d in card.datasets],
        "code": card.code,
        **full["lineage"],
    }
    doc["history"] = [audit_doc(e) for e in card.history]
    return doc


def kv_text(values: dict[str, Any]) -> str:
    return "\n".join(f"  {k}: {v}" for k, v in values.items())


def model_card_text(card: ModelCard) -> str:
    v = card.version
    lines = [f"{v.name}:{v.version}" + (f"  @{' @'.join(v.aliases)}" if v.aliases else "")]
    lines.append(f"  fingerprint {v.fingerprint}  ({len(v.files)} files, {human_bytes(v.size)})")
    lines.append(f"  created {iso(v.created_at)} by {v.created_by}; source {v.source}")
    if v.archived:
        lines.append("  archived")
    if card.run is not None:
        lines.append(f"  run {card.run.id[:8]} {card.run.experiment}/{card.run.name}")
        lines += [f"    {k} = {_fmt_value(x)}" for k, x in card.run.metrics.items()]
    for d in card.datasets:
        lines.append(f"  dataset {d['name']}@{d.get('version')}")
    if card.code:
        lines.append(
            f"  code {card.code.get('commit')} ({card.code.get('branch')}), "
            f"dirty={card.code.get('dirty')}, diff {card.code.get('diff_bytes')} bytes"
        )
    if card.signature:
        lines.append(f"  signature ({card.signature_source}):")
        lines += [f"    {c}: {t}" for c, t in card.signature]
    if v.tags:
        lines.append("  tags:\n" + "\n".join(f"    {k}={x}" for k, x in v.tags.items()))
    if v.description:
        lines.append("  description:\n" + "\n".join(f"    {x}" for x in v.description.splitlines()))
    lines.append("  history:")
    lines += [f"    {audit_line(e)}" for e in card.history]
    return "\n".join(lines)


def comparison_doc(c: VersionComparison) -> dict[str, Any]:
    return {
        "name": c.name,
        "a": c.a,
        "b": c.b,
        "metrics": {k: list(v) for k, v in c.metrics.items()},
        "params": {k: list(v) for k, v in c.params.items()},
        "datasets": {"a": c.datasets[0], "b": c.datasets[1]},
        "code": {k: list(v) for k, v in c.code.items()},
        "packages": {
            "added": dict(c.packages_added),
            "removed": dict(c.packages_removed),
            "changed": {k: list(v) for k, v in c.packages_changed.items()},
        },
    }


def comparison_text(c: VersionComparison) -> str:
    lines = [f"{c.name}: {c.a} vs {c.b}"]
    for title, values in (("metrics", c.metrics), ("params", c.params), ("code", c.code)):
        lines.append(f"  {title}:")
        lines += [f"    {k}: {_fmt_value(a)} | {_fmt_value(b)}" for k, (a, b) in values.items()]
    lines.append(f"  datasets: {', '.join(c.datasets[0])} | {', '.join(c.datasets[1])}")
    lines += [f"  + {k} {v}" for k, v in c.packages_added.items()]
    lines += [f"  - {k} {v}" for k, v in c.packages_removed.items()]
    lines += [f"  ~ {k} {a} -> {b}" for k, (a, b) in c.packages_changed.items()]
    return "\n".join(lines)


def job_doc(job: JobInfo) -> dict[str, Any]:
    """A job for ``jobs list --json``: ``run`` is the run id (as ``launch`` prints it)."""
    end = job.ended_at if job.ended_at is not None else None
    elapsed = None
    if job.started_at is not None:
        elapsed = round((end if end is not None else time.time()) - job.started_at, 3)
    return {
        "run": job.run_id,
        "target": job.target,
        "state": job.state,
        "experiment": job.experiment,
        "name": job.name,
        "command": list(job.command),
        "gpus": list(job.gpus),
        "submitted_at": iso(job.submitted_at),
        "started_at": iso(job.started_at),
        "ended_at": iso(job.ended_at),
        "elapsed_s": elapsed,
        "exit_code": job.exit_code,
        "detail": job.detail,
    }


def job_line(job: JobInfo) -> str:
    """One job as a tab-separated line of ``jobs list``."""
    doc = job_doc(job)
    elapsed = "" if doc["elapsed_s"] is None else f"{doc['elapsed_s']:.0f}s"
    gpus = ",".join(str(g) for g in job.gpus) or "-"
    code = "" if job.exit_code is None else f"exit {job.exit_code}"
    cmd = " ".join(job.command).replace("\n", "\\n")
    if len(cmd) > 60:
        cmd = cmd[:57] + "..."
    return "\t".join([job.run_id[:12], job.target, job.state, gpus, elapsed, code, cmd])


def host_doc(host: HostInfo) -> dict[str, Any]:
    return {
        "name": host.name,
        "kind": host.kind,
        "address": host.address,
        "identity": host.identity,
        "remote_root": host.remote_root,
        "from_ssh_config": host.from_ssh_config,
        "host_key": host.host_key,
    }


def ingest_first(experiments: Any) -> None:
    """Ingest local spools before a command answers, warning about skipped spool lines."""
    report = experiments.ingest()
    for problem in report.problems[:20]:
        print(f"warning: {problem}", file=sys.stderr)
