"""Monitor records to and from the JSON text the monitor tables keep."""

from __future__ import annotations

from typing import Any

import orjson

from mlops_desktop.core.drift import (
    ColumnDistribution,
    ColumnDrift,
    ColumnPlan,
    DriftReport,
    RetrainSpec,
    report_document,
)


def dumps(value: Any) -> str:
    """JSON text; NaN and infinities become null (orjson's rule)."""
    return orjson.dumps(value).decode()


def loads(text: str | None, default: Any = None) -> Any:
    if not text:
        return default
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return default


def plan_document(p: ColumnPlan) -> dict[str, Any]:
    return {
        "column": p.column,
        "kind": p.kind,
        "method": p.method,
        "threshold": p.threshold,
        "min_effect": p.min_effect,
    }


def plan_from(doc: dict[str, Any]) -> ColumnPlan:
    return ColumnPlan(
        column=str(doc["column"]),
        kind=str(doc["kind"]),
        method=str(doc["method"]),
        threshold=float(doc["threshold"]),
        min_effect=float(doc.get("min_effect") or 0.0),
    )


def retrain_document(r: RetrainSpec | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "command": list(r.command),
        "target": r.target,
        "gpus": r.gpus,
        "dataset": r.dataset,
        "experiment": r.experiment,
        "workdir": r.workdir,
    }


def retrain_from(doc: dict[str, Any] | None) -> RetrainSpec | None:
    if not doc:
        return None
    return RetrainSpec(
        command=tuple(str(c) for c in doc.get("command") or ()),
        target=str(doc.get("target") or "local"),
        gpus=int(doc.get("gpus") or 0),
        dataset=doc.get("dataset"),
        experiment=doc.get("experiment"),
        workdir=str(doc.get("workdir") or ""),
    )


def _opt_float(x: Any) -> float | None:
    return None if x is None else float(x)


def report_from(doc: dict[str, Any] | None) -> DriftReport | None:
    """The inverse of :func:`mlops_desktop.core.drift.report_document`."""
    if not doc:
        return None
    columns = tuple(
        ColumnDrift(
            column=str(c["column"]),
            kind=str(c["kind"]),
            method=str(c["method"]),
            statistic=_opt_float(c.get("statistic")),
            p_value=_opt_float(c.get("p_value")),
            threshold=float(c.get("threshold") or 0.0),
            drifted=bool(c.get("drifted")),
            effect_size=_opt_float(c.get("effect_size")),
            missing_share=float(c.get("missing_share") or 0.0),
            reference_missing_share=float(c.get("reference_missing_share") or 0.0),
            problem=c.get("problem"),
        )
        for c in doc.get("columns") or ()
    )
    return DriftReport(
        columns=columns,
        dataset_drift=bool(doc.get("dataset_drift")),
        drift_share=float(doc.get("drift_share") or 0.0),
        reference_rows=int(doc.get("reference_rows") or 0),
        current_rows=int(doc.get("current_rows") or 0),
        problems=tuple(str(p) for p in doc.get("problems") or ()),
    )


def report_text(r: DriftReport | None) -> str | None:
    if r is None:
        return None
    doc = report_document(r)
    for c, col in zip(doc["columns"], r.columns, strict=True):
        c["reference_missing_share"] = col.reference_missing_share
    return dumps(doc)


def distribution_document(d: ColumnDistribution) -> dict[str, Any]:
    return {
        "column": d.column,
        "kind": d.kind,
        "edges": list(d.edges),
        "categories": list(d.categories),
        "reference": list(d.reference),
        "current": list(d.current),
    }


def distribution_from(doc: dict[str, Any], window: int) -> ColumnDistribution:
    return ColumnDistribution(
        column=str(doc["column"]),
        kind=str(doc["kind"]),
        window=window,
        edges=tuple(float(x) for x in doc.get("edges") or ()),
        categories=tuple(str(x) for x in doc.get("categories") or ()),
        reference=tuple(float(x) for x in doc.get("reference") or ()),
        current=tuple(float(x) for x in doc.get("current") or ()),
    )
