"""A stand-in for ``mlops_desktop.monitoring.drift`` while that package is being written.

It speaks the same names (read_table, plan_columns, summarize, ReferenceSummary, compare,
column_distribution) with crude statistics: a numeric column drifts when its mean moved by
more than half the reference's standard deviation. Installed only when the real package is
missing, so the monitor tests run against the real statistics once they exist.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from mlops_desktop.core.drift import ColumnDistribution, ColumnDrift, ColumnPlan, DriftReport


def read_table(source: Any) -> pa.Table:
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pq.read_table(path)
    if suffix in (".jsonl", ".ndjson"):
        return pajson.read_json(path)
    return pacsv.read_csv(path)


class ReferenceSummary:
    def __init__(self, stats: dict[str, Any], rows: int) -> None:
        self.stats, self.rows = stats, rows

    def to_json(self) -> str:
        return json.dumps({"stats": self.stats, "rows": self.rows})

    @classmethod
    def from_json(cls, text: str) -> ReferenceSummary:
        doc = json.loads(text)
        return cls(doc["stats"], doc["rows"])


def plan_columns(reference: pa.Table, methods=None, thresholds=None, min_effect=None, columns=None):  # type: ignore[no-untyped-def]
    names = columns if columns is not None else reference.column_names
    out = []
    for name in names:
        numeric = pa.types.is_integer(reference[name].type) or pa.types.is_floating(
            reference[name].type
        )
        kind = "numeric" if numeric else "categorical"
        method = (methods or {}).get(name, "ks" if numeric else "chisquare")
        out.append(ColumnPlan(name, kind, method, 0.05))
    return tuple(out)


def summarize(reference: pa.Table, plans: Any) -> ReferenceSummary:
    stats = {}
    for p in plans:
        col = reference[p.column]
        if p.kind == "numeric":
            stats[p.column] = [
                pc.mean(col).as_py(),
                pc.stddev(col).as_py() or 1.0,
                pc.min(col).as_py(),
                pc.max(col).as_py(),
            ]
        else:
            stats[p.column] = [str(v) for v in pc.unique(col).to_pylist()]
    return ReferenceSummary(stats, reference.num_rows)


def compare(
    summary: ReferenceSummary, current: pa.Table, plans: Any, share_threshold=0.5, correction=None
) -> DriftReport:  # type: ignore[no-untyped-def]
    cols = []
    for p in plans:
        if p.column not in current.column_names:
            cols.append(
                ColumnDrift(
                    p.column,
                    p.kind,
                    p.method,
                    None,
                    None,
                    p.threshold,
                    False,
                    problem="missing in the current data",
                )
            )
            continue
        if p.kind == "numeric":
            try:
                mean = pc.mean(current[p.column].cast(pa.float64())).as_py()
            except pa.ArrowInvalid:
                cols.append(
                    ColumnDrift(
                        p.column,
                        p.kind,
                        p.method,
                        None,
                        None,
                        p.threshold,
                        False,
                        problem="not numeric in the current data",
                    )
                )
                continue
            m, sd = summary.stats[p.column][:2]
            effect = abs((mean or 0.0) - m) / sd
            cols.append(
                ColumnDrift(
                    p.column,
                    p.kind,
                    p.method,
                    effect,
                    0.0 if effect > 0.5 else 1.0,
                    p.threshold,
                    effect > 0.5,
                    effect_size=effect,
                )
            )
        else:
            cols.append(ColumnDrift(p.column, p.kind, p.method, 0.0, 1.0, p.threshold, False))
    tested = [c for c in cols if c.problem is None]
    share = sum(c.drifted for c in tested) / len(tested) if tested else 0.0
    extra = [c for c in current.column_names if c not in {p.column for p in plans}]
    problems = (f"extra columns ignored: {', '.join(extra)}",) if extra else ()
    return DriftReport(
        tuple(cols),
        bool(tested) and share >= share_threshold,
        share,
        summary.rows,
        current.num_rows,
        problems,
    )


def column_distribution(
    summary: ReferenceSummary, current: pa.Table, plan: ColumnPlan, window: int, bins: int = 30
) -> ColumnDistribution:
    if plan.kind == "numeric":
        lo, hi = summary.stats[plan.column][2:]
        return ColumnDistribution(plan.column, plan.kind, window, (lo, hi), (), (1.0,), (1.0,))
    cats = tuple(summary.stats[plan.column])
    return ColumnDistribution(
        plan.column, plan.kind, window, (), cats, (1.0,) * len(cats), (1.0,) * len(cats)
    )


def install() -> None:
    """Put this module in place of ``mlops_desktop.monitoring.drift`` if that one is missing."""
    if "mlops_desktop.monitoring.drift" in sys.modules:
        return
    if importlib.util.find_spec("mlops_desktop.monitoring.drift") is not None:
        return
    module = types.ModuleType("mlops_desktop.monitoring.drift")
    for name in (
        "read_table",
        "plan_columns",
        "summarize",
        "ReferenceSummary",
        "compare",
        "column_distribution",
    ):
        setattr(module, name, globals()[name])
    sys.modules["mlops_desktop.monitoring.drift"] = module
