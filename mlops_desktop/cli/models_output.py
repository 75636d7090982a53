"""What the ``models`` commands print: JSON documents and text of models, versions and cards.

``register`` and ``import`` print {name, version, run, fingerprint}; ``show`` prints {name,
version, aliases, tags, fingerprint, lineage: {run, datasets, code}, history} plus the card's
other fields; ``list`` prints [{name, latest, versions, aliases, updated_at}].
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.cli.output import human_bytes, iso_time, key_value_text, short_value
from mlops_desktop.core.model_documents import card_dict, description_rows, version_dict
from mlops_desktop.core.models import (
    AuditEntry,
    GcReport,
    InspectResult,
    ModelCard,
    ModelSummary,
    ModelVersion,
    VersionComparison,
)
from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.text import printable as p
from mlops_desktop.core.text import printable_lines

DESCRIPTION_LABEL = "MLmodel"


def models_document(models: list[ModelSummary]) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "latest": m.latest,
            "versions": m.versions,
            "aliases": dict(m.aliases),
            "updated_at": iso_time(m.updated_at),
        }
        for m in models
    ]


def models_text(models: list[ModelSummary]) -> str:
    if not models:
        return (
            "No models yet. Log a model file in a run (run.log_artifact('model.joblib')), "
            "then `mlops-desktop models register RUN model.joblib --name NAME`."
        )
    lines = []
    for m in models:
        aliases = " ".join(f"@{p(a)}={v}" for a, v in m.aliases.items())
        latest = f"v{m.latest}" if m.latest is not None else "-"
        lines.append(
            f"{p(m.name)}\t{latest}\t{count_noun(m.versions, 'version')}\t{aliases}".rstrip()
        )
    return "\n".join(lines)


VERSION_LIST_KEYS = (
    "name",
    "version",
    "fingerprint",
    "run",
    "source",
    "created_at",
    "created_by",
    "aliases",
    "tags",
    "archived",
    "user",
    "host",
)


def versions_document(versions: list[ModelVersion]) -> list[dict[str, Any]]:
    """``models versions --json``: each version as in its card, with file and byte counts."""
    documents = []
    for v in versions:
        full = version_dict(v)
        documents.append(
            {
                **{key: full[key] for key in VERSION_LIST_KEYS},
                "files": len(v.files),
                "bytes": v.size,
            }
        )
    return documents


def versions_text(versions: list[ModelVersion]) -> str:
    lines = []
    for v in versions:
        flags = " ".join([*(f"@{p(a)}" for a in v.aliases), *(["archived"] if v.archived else [])])
        lines.append(
            f"{v.version}\t{iso_time(v.created_at)}\t{p(v.created_by)}\t{human_bytes(v.size)}\t"
            f"{(v.run_id or '-')[:8]}\t{flags}".rstrip()
        )
    return "\n".join(lines)


def registered_document(v: ModelVersion) -> dict[str, Any]:
    """What ``register`` and ``import`` print: {name, version, run, fingerprint}."""
    return {"name": v.name, "version": v.version, "run": v.run_id, "fingerprint": v.fingerprint}


def _bytes(size: object) -> str:
    return count_noun(size, "byte", thousands=False) if isinstance(size, int) else "? bytes"


def registered_text(v: ModelVersion) -> str:
    files = count_noun(len(v.files), "file")
    return f"{p(v.name)}:{v.version} registered ({files}, {v.fingerprint[:19]})"


def imported_text(v: ModelVersion) -> str:
    return f"imported as {p(v.name)}:{v.version}"


def audit_document(e: AuditEntry) -> dict[str, Any]:
    return {
        "at": iso_time(e.at),
        "user": e.user,
        "model": e.model,
        "version": e.version,
        "action": e.action,
        "detail": dict(e.detail),
        "host": e.host,
    }


def history_document(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    return [audit_document(e) for e in entries]


def audit_line(e: AuditEntry) -> str:
    detail = ", ".join(
        f"{p(str(k))}={p(str(v))}" for k, v in e.detail.items() if k != "fingerprint"
    )
    version = f":{e.version}" if e.version is not None else ""
    return f"{iso_time(e.at)}\t{p(e.user)}\t{p(e.model)}{version}\t{p(e.action)}\t{detail}".rstrip()


def history_text(entries: list[AuditEntry]) -> str:
    return "\n".join(audit_line(e) for e in entries)


def card_document(card: ModelCard) -> dict[str, Any]:
    """``models show --json``: the card's plain data, with the source run, datasets and code
    also under ``lineage`` and the audit trail as ``models history`` writes it.

    For a version imported without its source run, ``run``, ``run_summary``, ``datasets``,
    ``code``, ``environment``, ``signature`` and ``lineage`` hold the archive's values and
    ``lineage.from_archive`` says so (``{archive, model, run, fields}``; None otherwise).
    """
    doc = card_dict(card)
    archived = card.from_archive
    run = card.version.run_id or (archived.get("run") if archived else None)
    doc["run"] = run
    doc["lineage"] = {
        "run": run,
        "datasets": [dict(d) for d in card.datasets],
        "code": card.code,
        **doc["lineage"],
        "from_archive": dict(archived) if archived else None,
    }
    doc["history"] = history_document(card.history)
    return doc


def card_text(card: ModelCard) -> str:
    """A version's card for a person: files, origin, run, data, code, signature and history."""
    v = card.version
    lines = [f"{p(v.name)}:{v.version}" + (f"  @{p(' @'.join(v.aliases))}" if v.aliases else "")]
    files = count_noun(len(v.files), "file")
    lines.append(f"  fingerprint {v.fingerprint}  ({files}, {human_bytes(v.size)})")
    lines.append(f"  created {iso_time(v.created_at)} by {p(v.created_by)}; source {p(v.source)}")
    if v.archived:
        lines.append("  archived")
    if card.run is not None:
        run = card.run
        where = "  (from archive: not in this catalog)" if card.from_archive else ""
        lines.append(f"  run {p(run.id[:8])} {p(run.experiment)}/{p(run.name)}{where}")
        lines += [f"    {p(k)} = {short_value(x)}" for k, x in run.metrics.items()]
    lines += [f"  dataset {p(str(d['name']))}@{p(str(d.get('version')))}" for d in card.datasets]
    if card.code:
        lines.append(
            f"  code {p(str(card.code.get('commit')))} ({p(str(card.code.get('branch')))}), "
            f"dirty={card.code.get('dirty')}, diff {_bytes(card.code.get('diff_bytes'))}"
        )
    rows = description_rows(card.model_description)
    if rows:
        lines.append(f"  model folder ({DESCRIPTION_LABEL}):")
        lines += [f"    {p(label)}: {printable_lines(text)}" for label, text in rows]
    if card.signature:
        lines.append(f"  signature ({p(str(card.signature_source))}):")
        lines += [f"    {p(c)}: {p(t)}" for c, t in card.signature]
    if v.tags:
        lines.append("  tags:\n" + "\n".join(f"    {p(k)}={p(x)}" for k, x in v.tags.items()))
    if v.description:  # Markdown: its own lines kept, each escaped
        lines.append(
            "  description:\n" + "\n".join(f"    {p(x)}" for x in v.description.splitlines())
        )
    lines.append("  history:")
    lines += [f"    {audit_line(e)}" for e in card.history]
    return "\n".join(lines)


def comparison_document(c: VersionComparison) -> dict[str, Any]:
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
    lines = [f"{p(c.name)}: {c.a} vs {c.b}"]
    for title, values in (("metrics", c.metrics), ("params", c.params), ("code", c.code)):
        lines.append(f"  {title}:")
        lines += [
            f"    {p(k)}: {short_value(a)} | {short_value(b)}" for k, (a, b) in values.items()
        ]
    lines.append(f"  datasets: {p(', '.join(c.datasets[0]))} | {p(', '.join(c.datasets[1]))}")
    lines += [f"  + {p(k)} {p(str(v))}" for k, v in c.packages_added.items()]
    lines += [f"  - {p(k)} {p(str(v))}" for k, v in c.packages_removed.items()]
    lines += [f"  ~ {p(k)} {p(str(a))} -> {p(str(b))}" for k, (a, b) in c.packages_changed.items()]
    return "\n".join(lines)


def inspect_document(r: InspectResult) -> dict[str, Any]:
    return {
        "type": r.type,
        "module": r.module,
        "params": r.params,
        "summary": r.summary,
        "seconds": r.seconds,
        "flavor": r.flavor or None,
        "model_description": r.description,
    }


def inspect_text(r: InspectResult) -> str:
    what = f"{p(r.module)}.{p(r.type)}" if r.module else p(r.type)
    text = f"{what}\n{printable_lines(r.summary)}\n" + key_value_text(r.params)
    rows = description_rows(r.description)
    if rows:
        text += f"\nmodel folder ({DESCRIPTION_LABEL}):\n"
        text += "\n".join(f"  {p(label)}: {printable_lines(value)}" for label, value in rows)
    return text


def gc_document(r: GcReport) -> dict[str, Any]:
    return {
        "dry_run": r.dry_run,
        "blobs": r.blobs,
        "bytes": r.bytes,
        "paths": r.paths,
        "kept": r.kept,
    }


def gc_text(r: GcReport) -> str:
    verb = "would free" if r.dry_run else "freed"
    text = f"{verb} {r.blobs} blobs, {human_bytes(r.bytes)} ({r.kept} referenced kept)"
    if r.dry_run and r.blobs:
        text += "\nrun `mlops-desktop models gc --yes` to delete them"
    return text


def alias_text(doc: dict[str, Any]) -> str:
    if doc.get("removed"):
        return f"alias {p(doc['alias'])} removed"
    return f"{p(doc['name'])}@{p(doc['alias'])} -> {doc['version']}"


def tags_text(doc: dict[str, Any]) -> str:
    return key_value_text(doc["tags"])


def described_text(_doc: dict[str, Any]) -> str:
    return "description saved"


def archived_text(doc: dict[str, Any]) -> str:
    word = "archived" if doc["archived"] else "unarchived"
    return f"{p(doc['name'])}:{doc['version']} {word}"


def deleted_text(doc: dict[str, Any]) -> str:
    return f"{p(doc['name'])}:{doc['version']} deleted"


def exported_text(doc: dict[str, Any]) -> str:
    return f"{p(doc['name'])}:{doc['version']} exported to {p(str(doc['file']))} ({doc['format']})"
