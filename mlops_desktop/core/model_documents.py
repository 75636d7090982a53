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
        "lineage": lineage_dict(card.lineage),
        "history": [
            {
                "at": iso_time(e.at),
                "user": e.user,
                "version": e.version,
                "action": e.action,
                "detail": dict(e.detail),
            }
            for e in card.history
        ],
    }
