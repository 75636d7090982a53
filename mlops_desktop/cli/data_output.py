"""What the ``data`` commands print: JSON documents and text of datasets and their versions."""

from __future__ import annotations

from typing import Any, NamedTuple

from mlops_desktop.cli.output import human_bytes, iso_time, short_value
from mlops_desktop.core.datasets import (
    AddResult,
    DatasetDiff,
    DatasetSummary,
    DatasetUse,
    DatasetVersion,
    TableProfile,
)
from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.profile_codec import profile_to_json
from mlops_desktop.core.text import printable


class UsedBy(NamedTuple):
    """The runs that used a dataset (version), and how the person named it."""

    ref: str
    uses: list[DatasetUse]


def added_document(r: AddResult) -> dict[str, Any]:
    """``data add --json``: {dataset, version, fingerprint, files, bytes, new_version, user,
    host}."""
    return {
        "dataset": r.dataset,
        "version": r.version,
        "fingerprint": r.fingerprint,
        "files": r.files,
        "bytes": r.bytes,
        "new_version": r.new_version,
        "user": r.user,
        "host": r.host,
    }


def added_text(r: AddResult) -> str:
    if not r.new_version:
        return f"unchanged: same content as {printable(str(r.version))}, no new version"
    return (
        f"{printable(r.dataset)} {printable(str(r.version))} registered "
        f"({count_noun(r.files, 'file')}, {human_bytes(r.bytes)})"
    )


def datasets_document(items: list[DatasetSummary]) -> list[dict[str, Any]]:
    """``data list --json``: [{name, latest, versions, bytes, files}]."""
    return [
        {
            "name": d.name,
            "latest": d.latest,
            "versions": d.versions,
            "bytes": d.bytes,
            "files": d.files,
        }
        for d in items
    ]


def datasets_text(items: list[DatasetSummary]) -> str:
    if not items:
        return "No datasets yet. Register one with `mlops-desktop data add PATH --name N`."
    return "\n".join(
        f"{printable(d.name)}\t{printable(str(d.latest))}\t{count_noun(d.versions, 'version')}\t"
        f"{count_noun(d.files, 'file')}\t{human_bytes(d.bytes)}"
        for d in items
    )


def version_document(v: DatasetVersion) -> dict[str, Any]:
    """One version in ``data versions --json``."""
    return {
        "version": v.version,
        "fingerprint": v.fingerprint,
        "files": v.files,
        "bytes": v.bytes,
        "created_at": iso_time(v.created_at),
        "message": v.message,
        "tags": dict(v.tags),
        "source_path": v.source_path,
        "snapshot": v.snapshot,
        "user": v.user,
        "host": v.host,
    }


def versions_document(versions: list[DatasetVersion]) -> list[dict[str, Any]]:
    return [version_document(v) for v in versions]


def versions_text(versions: list[DatasetVersion]) -> str:
    return "\n".join(
        f"{v.version}\t{iso_time(v.created_at)}\t{count_noun(v.files, 'file')}\t"
        f"{human_bytes(v.bytes)}\t"
        f"{v.fingerprint[:19]}\t{printable(v.message)}"
        for v in versions
    )


def _plain(value: Any) -> Any:
    """A statistic as plain JSON data (numpy scalars as numbers, anything else as text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def diff_document(d: DatasetDiff) -> dict[str, Any]:
    """``data diff --json``: files added, removed and changed, and what changed in tables."""
    tables = [
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
    ]
    return {
        "dataset": d.dataset,
        "old": d.old,
        "new": d.new,
        "added": list(d.added),
        "removed": list(d.removed),
        "changed": list(d.changed),
        "tables": tables,
        "problems": list(d.problems),
    }


def diff_text(d: DatasetDiff) -> str:
    """Files as ``A``/``R``/``M`` lines, then each table's rows and changed columns."""
    p = printable
    lines = [f"{p(d.dataset)}: {p(str(d.old))} -> {p(str(d.new))}"]
    for mark, paths in (("A", d.added), ("R", d.removed), ("M", d.changed)):
        lines += [f"  {mark} {p(path)}" for path in paths]
    if not (d.added or d.removed or d.changed):
        lines.append("  no file changed")
    for t in d.tables:
        lines.append(
            f"  table {p(t.path)}: {t.rows_old} -> {count_noun(t.rows_new, 'row')} "
            f"(+{t.rows_added} -{t.rows_removed})"
        )
        for c in t.columns:
            types = (
                f" {p(str(c.old_type))} -> {p(str(c.new_type))}" if c.change == "retyped" else ""
            )
            moved = ", ".join(
                f"{p(k)} {short_value(a)} -> {short_value(b)}"
                for k, (a, b) in list(c.stats.items())[:3]
            )
            lines.append(
                f"    column {p(c.column)}: {c.change}{types}{f' ({moved})' if moved else ''}"
            )
    lines += [f"  note: {p(problem)}" for problem in d.problems]
    return "\n".join(lines)


def checkout_text(doc: dict[str, Any]) -> str:
    return (
        f"{printable(doc['dataset'])}@{printable(str(doc['version']))} restored into "
        f"{printable(str(doc['dest']))} "
        f"({count_noun(doc['files'], 'file')}, verified)"
    )


def profiles_document(profiles: list[TableProfile]) -> list[dict[str, Any]]:
    """``data profile --json``: per table its rows and per column type, missing, distinct,
    quantiles, histogram and top values (strict JSON: non-finite statistics are null)."""
    docs = [profile_to_json(p) for p in profiles]
    for doc in docs:
        doc.pop("payload_version", None)
    return docs


def profiles_text(profiles: list[TableProfile]) -> str:
    if not profiles:
        return "No table files in this version."
    lines = []
    for profile in profiles:
        lines.append(
            f"{printable(profile.path)} ({profile.format}, {count_noun(profile.rows, 'row')}, "
            f"{count_noun(len(profile.columns), 'column')})"
        )
        for c in profile.columns:
            extra = f" mean={c.mean:.4g}" if isinstance(c.mean, float) else ""
            distinct = c.distinct if c.distinct is not None else "?"
            lines.append(
                f"  {printable(c.name)}\t{printable(str(c.type))}\t"
                f"missing {c.missing_share:.1%}\tdistinct {distinct}{extra}"
            )
        lines += [f"  note: {printable(s)}" for s in profile.problems]
    return "\n".join(lines)


def used_by_document(found: UsedBy) -> list[dict[str, Any]]:
    """``data used-by --json``: [{run, name, experiment, status, started_at, dataset, version}]."""
    return [
        {
            "run": u.run_id,
            "name": u.run_name,
            "experiment": u.experiment,
            "status": u.status,
            "started_at": iso_time(u.started_at),
            "dataset": u.dataset,
            "version": u.version,
        }
        for u in found.uses
    ]


def used_by_text(found: UsedBy) -> str:
    if not found.uses:
        return f"No run used {printable(found.ref)} yet."
    p = printable
    return "\n".join(
        f"{u.run_id[:8]}\t{p(u.experiment)}\t{p(u.run_name)}\t{p(u.status)}\t"
        f"{p(u.dataset)}@{p(str(u.version))}"
        for u in found.uses
    )
