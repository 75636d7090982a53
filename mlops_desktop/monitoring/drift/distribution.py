"""A column's reference beside one window, as shares on common bins or categories (charts)."""

from __future__ import annotations

import numpy as np

from mlops_desktop.core.drift import ColumnDistribution, ColumnPlan
from mlops_desktop.monitoring.drift.reference import aligned, table_sample, text_sample
from mlops_desktop.monitoring.drift.summary import PROBABILITIES, ReferenceSummary, _unpack
from mlops_desktop.monitoring.drift.table import Table

MAX_BARS = 30  # categories shown; the rest are left out of the chart


def column_distribution(
    summary: ReferenceSummary, current: Table, plan: ColumnPlan, window: int, bins: int = 30
) -> ColumnDistribution:
    """Reference and current shares of ``plan.column``: ``bins`` equal bins spanning both
    (numeric columns; the reference's shares from its quantile sketch), or the most common
    categories of both (at most 30)."""
    ref = summary.sample(plan.column)
    present = plan.column in current.names
    if plan.kind == "numeric" and ref.numeric:
        doc = summary.columns[plan.column]
        cur = (
            table_sample(current, plan.column, False)
            if present and current.is_numeric(plan.column)
            else None
        )
        cur_values = cur.sorted_values if cur is not None else None
        lo, hi = float(doc.get("min", 0.0)), float(doc.get("max", 1.0))
        if cur_values is not None and cur_values.size:
            lo, hi = min(lo, float(cur_values[0])), max(hi, float(cur_values[-1]))
        edges = (
            np.linspace(lo, hi, bins + 1) if hi > lo else np.linspace(lo - 0.5, lo + 0.5, bins + 1)
        )
        if "quantiles" in doc:
            cdf = np.interp(edges, _unpack(doc["quantiles"]), PROBABILITIES, left=0.0, right=1.0)
            ref_shares = np.diff(cdf)
        elif ref.sorted_values is not None and ref.sorted_values.size:
            ref_shares = np.histogram(ref.sorted_values, edges)[0] / ref.sorted_values.size
        else:
            ref_shares = np.zeros(bins)
        if cur_values is not None and cur_values.size:
            cur_shares = np.histogram(cur_values, edges)[0] / cur_values.size
        else:
            cur_shares = np.zeros(bins)
        return ColumnDistribution(
            plan.column,
            plan.kind,
            window,
            tuple(map(float, edges)),
            (),
            tuple(map(float, ref_shares)),
            tuple(map(float, cur_shares)),
        )
    if present and ref.keys is not None:
        cur = (
            table_sample(current, plan.column, True)
            if ref.numeric
            else text_sample(current, plan.column)
        )
        if ref.numeric and not current.is_numeric(plan.column):
            cur = None  # type changed: nothing comparable
    else:
        cur = None
    if cur is None or cur.keys is None or cur.count == 0:
        keys = ref.keys if ref.keys is not None else np.zeros(0)
        r = (ref.counts if ref.counts is not None else np.zeros(0)).astype(float)
        c = np.zeros(r.size)
    else:
        keys, r, c = aligned(ref, cur)
    r_share = r / r.sum() if r.sum() else r
    c_share = c / c.sum() if c.sum() else c
    top = np.argsort(-(r_share + c_share), kind="stable")[:MAX_BARS]
    labels = tuple(_label(keys[i]) for i in top)
    return ColumnDistribution(
        plan.column,
        plan.kind,
        window,
        (),
        labels,
        tuple(float(r_share[i]) for i in top),
        tuple(float(c_share[i]) for i in top),
    )


def _label(key: object) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
