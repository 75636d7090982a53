"""The card an archive brings along: kept on import, shown when its source run is elsewhere.

An exported archive holds the version's card (source run, datasets, code, environment,
signature) and lineage. Importing it into a catalog without that run keeps them in the
"imported" audit entry (:data:`~mlops_desktop.catalog.model_repo.ARCHIVED_CARD`), and the
card then shows them, marked "from archive" with the archive's ids. Everything read back is
checked for shape: an archive is someone else's file.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_desktop.core.models import Lineage, LineageNode, ModelCard
from mlops_desktop.core.runs import RunSummary


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def card_to_keep(
    card: dict[str, Any], lineage: dict[str, Any], meta: dict[str, Any], archive: Path
) -> dict[str, Any] | None:
    """What an import keeps of an archive's ``card.json`` and ``lineage.json`` (None when the
    archive names no source run and holds no card)."""
    if not card and not meta.get("run"):
        return None
    signature = [
        [str(pair[0]), str(pair[1])]
        for pair in card.get("signature") or []
        if isinstance(pair, list) and len(pair) == 2
    ]
    run = meta.get("run") if isinstance(meta.get("run"), str) else None
    summary = _dict(card.get("run_summary"))
    return {
        "archive": str(archive),
        "model": f"{meta.get('name')}:{meta.get('version')}",
        "run": run or (str(summary.get("id")) if summary and summary.get("id") else None),
        "run_summary": summary,
        "datasets": [d for d in card.get("datasets") or [] if isinstance(d, dict)],
        "code": _dict(card.get("code")),
        "environment": _dict(card.get("environment")) or {},
        "signature": signature,
        "signature_source": str(card.get("signature_source") or ""),
        "lineage": _dict(lineage) or _dict(card.get("lineage")) or {},
    }


def _time(text: Any) -> float | None:
    if isinstance(text, (int, float)):
        return float(text)
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _run_summary(doc: dict[str, Any] | None) -> RunSummary | None:
    if not doc or not isinstance(doc.get("id"), str):
        return None
    params, metrics = _dict(doc.get("params")) or {}, _dict(doc.get("metrics")) or {}
    return RunSummary(
        id=doc["id"],
        experiment=str(doc.get("experiment") or ""),
        name=str(doc.get("name") or ""),
        status=str(doc.get("status") or ""),
        started_at=_time(doc.get("started_at")) or 0.0,
        ended_at=_time(doc.get("ended_at")),
        params={str(k): v for k, v in params.items()},
        metrics={str(k): float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
    )


def lineage_with_archive(local: Lineage, kept: dict[str, Any]) -> Lineage:
    """The archive's lineage with its model node replaced by this catalog's version."""
    doc = _dict(kept.get("lineage")) or {}
    model = next((n for n in local.nodes if n.kind == "model"), None)
    if model is None:
        return local
    nodes, renamed = [], {}
    for n in doc.get("nodes") or []:
        if not isinstance(n, dict) or not isinstance(n.get("key"), str):
            continue
        if n.get("kind") == "model":
            renamed[n["key"]] = model.key
            continue
        nodes.append(
            LineageNode(
                str(n.get("kind") or ""),
                n["key"],
                str(n.get("label") or ""),
                str(n.get("status") or ""),
            )
        )
    if not nodes:
        return local
    keys = {n.key for n in nodes} | {model.key}
    edges = []
    for e in doc.get("edges") or []:
        if isinstance(e, list) and len(e) == 2 and all(isinstance(k, str) for k in e):
            a, b = (renamed.get(k, k) for k in e)
            if a in keys and b in keys:
                edges.append((a, b))
    return Lineage([*nodes, model], edges)


def card_with_archive(card: ModelCard, kept: dict[str, Any] | None) -> ModelCard:
    """``card`` with what this catalog lacks filled from the archive's card, and marked so."""
    if kept is None or card.run is not None:
        return card
    run = _run_summary(_dict(kept.get("run_summary")))
    fields = ["run"] if run is not None else []
    changes: dict[str, Any] = {"run": run}
    if kept.get("datasets") and not card.datasets:
        changes["datasets"], fields = [dict(d) for d in kept["datasets"]], [*fields, "datasets"]
    if kept.get("code") and not card.code:
        changes["code"], fields = dict(kept["code"]), [*fields, "code"]
    env = kept.get("environment") or {}
    if any(env.get(k) for k in ("python", "platform", "packages")):
        packages = _dict(env.get("packages")) or {}
        changes["environment"] = {
            "python": env.get("python"),
            "platform": env.get("platform"),
            "packages": {str(k): str(v) for k, v in packages.items()},
        }
        fields.append("environment")
    if kept.get("signature") and not card.signature:
        changes["signature"] = [(c, t) for c, t in kept["signature"]]
        changes["signature_source"] = kept.get("signature_source") or ""
        fields.append("signature")
    lineage = lineage_with_archive(card.lineage, kept)
    if lineage is not card.lineage:
        changes["lineage"], fields = lineage, [*fields, "lineage"]
    if not fields:
        return card
    marker = {k: kept.get(k) for k in ("archive", "model", "run")}
    return dataclasses.replace(card, **changes, from_archive={**marker, "fields": fields})
