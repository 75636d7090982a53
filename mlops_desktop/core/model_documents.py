"""Model versions and cards as plain JSON-able data: for archives and ``models show --json``.

Times are ISO 8601 text in UTC (:func:`~mlops_desktop.core.run_documents.iso_time`), like every
document the app writes; the source run is written by the one run converter.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.models import Lineage, ModelCard, ModelVersion
from mlops_desktop.core.run_documents import iso_time, run_summary_dict

CARD_RUN_KEYS = ("id", "experiment", "name", "status", "started_at", "params", "metrics")
"""The keys of the source run's summary in a card."""


def version_dict(v: ModelVersion) -> dict[str, Any]:
    """A model version as plain data (times as ISO 8601 text, like every document)."""
    return {
        "name": v.name,
        "version": v.version,
        "fingerprint": v.fingerprint,
        "run": v.run_id,
        "source": v.source,
        "created_at": iso_time(v.created_at),
        "created_by": v.created_by,
        "user": v.created_by or None,
        "host": v.host,
        "description": v.description,
        "aliases": list(v.aliases),
        "tags": dict(v.tags),
        "archived": v.archived,
        "size": v.size,
        "files": [{"path": f.path, "size": f.size, "digest": f.digest} for f in v.files],
    }


def lineage_dict(lineage: Lineage) -> dict[str, Any]:
    return {
        "nodes": [
            {"kind": n.kind, "key": n.key, "label": n.label, "status": n.status}
            for n in lineage.nodes
        ],
        "edges": [list(e) for e in lineage.edges],
    }


def card_dict(card: ModelCard) -> dict[str, Any]:
    """The card as plain JSON-able data (for archives and ``models show --json``).

    Times are ISO 8601 text in UTC (:func:`~mlops_desktop.core.run_documents.iso_time`).
    """
    run = card.run
    return {
        **version_dict(card.version),
        "run_summary": None if run is None else run_summary_dict(run, CARD_RUN_KEYS),
        "datasets": [dict(d) for d in card.datasets],
        "code": card.code,
        "environment": card.environment,
        "signature": [[c, t] for c, t in card.signature],
        "signature_source": card.signature_source,
        "flavor": card.model_description.get("flavor"),
        "model_description": dict(card.model_description),
        "lineage": lineage_dict(card.lineage),
        "history": [
            {
                "at": iso_time(e.at),
                "user": e.user,
                "host": e.host,
                "version": e.version,
                "action": e.action,
                "detail": dict(e.detail),
            }
            for e in card.history
        ],
    }


def _entry_text(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)
    name = entry.get("name")
    kind = str(entry.get("type", "?"))
    shape = entry.get("shape")
    text = f"{kind} {shape}" if isinstance(shape, list) else kind
    return f"{name}: {text}" if name not in (None, "") else text


def description_rows(description: dict[str, Any]) -> list[tuple[str, str]]:
    """A model folder's description as (label, text) rows for a person: flavour, loader,
    class, Python, packages, requirements, signature inputs and outputs, input example."""
    if not description:
        return []
    rows: list[tuple[str, str]] = []
    for label, key in (
        ("flavour", "flavor"),
        ("loader", "loader"),
        ("class", "model_class"),
        ("python", "python_version"),
        ("written by", "written_by"),
    ):
        if description.get(key):
            rows.append((label, str(description[key])))
    files = description.get("files")
    if isinstance(files, dict) and files:
        rows.append(("files", ", ".join(f"{k}={v}" for k, v in files.items())))
    packages = description.get("packages")
    if isinstance(packages, dict) and packages:
        rows.append(("packages", ", ".join(f"{k} {v}" for k, v in packages.items())))
    requirements = description.get("requirements")
    if isinstance(requirements, list) and requirements:
        rows.append(("requirements", ", ".join(map(str, requirements))))
    signature = description.get("signature")
    if isinstance(signature, dict):
        for label, key in (("inputs", "inputs"), ("outputs", "outputs")):
            entries = signature.get(key)
            if isinstance(entries, list) and entries:
                rows.append((label, ", ".join(_entry_text(e) for e in entries)))
    example = description.get("input_example")
    if isinstance(example, dict) and example.get("file"):
        rows.append(("input example", f"{example['file']} ({example.get('kind') or '?'})"))
    if description.get("input_example_preview"):
        rows.append(("example", str(description["input_example_preview"])))
    return rows
