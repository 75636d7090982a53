"""Testing current data against a reference column by column, and the report of it all.

Columns are tested on a thread pool (NumPy sorts and searches release the GIL). A column the
current data lacks, or whose type changed, or that holds no values, is reported with a
``problem`` sentence and counts as not drifted; the report lists extra current columns.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mlops_desktop.core.drift import P_VALUE_METHODS, ColumnDrift, ColumnPlan, DriftReport
from mlops_desktop.core.errors import DriftError
from mlops_desktop.core.plural import count_noun
from mlops_desktop.monitoring.drift import stats
from mlops_desktop.monitoring.drift.methods import LARGE_SAMPLE
from mlops_desktop.monitoring.drift.reference import (
    ColumnSample,
    aligned_counts,
    table_sample,
)
from mlops_desktop.monitoring.drift.table import Table

SHARE_METHODS = frozenset({"jensenshannon", "psi", "kl", "hellinger"})
CORRECTIONS = ("bonferroni", "holm", "bh")
Loader = Callable[[ColumnPlan], ColumnSample]


def needs_counts(plan: ColumnPlan) -> bool:
    return plan.kind != "numeric" or plan.method in SHARE_METHODS


def shares(plan: ColumnPlan, ref: ColumnSample, cur: ColumnSample) -> tuple[np.ndarray, ...]:
    """Evidently's binned shares: counts, or Sturges' bins for numbers with many values."""
    if plan.kind == "numeric" and ref.distinct > stats.STURGES_BELOW:
        assert ref.sorted_values is not None and cur.sorted_values is not None
        lo = min(ref.sorted_values[0], cur.sorted_values[0])
        hi = max(ref.sorted_values[-1], cur.sorted_values[-1])
        edges = stats.sturges_edges(float(lo), float(hi), ref.count + cur.count)
        return ref.shares_between(edges), stats.histogram_shares(cur.sorted_values, edges)
    r, c = aligned_counts(ref, cur)
    return r / ref.count, c / cur.count


def test_column(plan: ColumnPlan, ref: ColumnSample, cur: ColumnSample) -> ColumnDrift:
    """One column's statistic, p-value and effect size (both samples non-empty)."""
    method = plan.method
    statistic: float
    p_value: float | None = None
    effect: float
    if plan.kind == "numeric":
        assert ref.sorted_values is not None and cur.sorted_values is not None
        d, w = stats.cdf_distances(ref.sorted_values, cur.sorted_values)
        effect = stats.normed_wasserstein(w, ref.std)
        if method == "ks":
            statistic, p_value = d, stats.ks_p_value(d, ref.count, cur.count)
        elif method == "wasserstein":
            statistic = effect
        elif method == "anderson":
            statistic, p_value = stats.anderson(ref.sorted_values, cur.sorted_values)
        else:
            statistic = _share_statistic(method, *shares(plan, ref, cur))
    else:
        r, c = aligned_counts(ref, cur)
        effect = stats.total_variation(r, c)
        if method == "chisquare":
            statistic, p_value = stats.chisquare(r, c)
        elif method == "z":
            statistic, p_value = stats.z_test(r, c)
        elif method in SHARE_METHODS:
            statistic = _share_statistic(method, r / ref.count, c / cur.count)
        else:
            raise DriftError(f"{plan.column!r} holds categories: {method} needs numbers.")
    return ColumnDrift(
        column=plan.column,
        kind=plan.kind,
        method=method,
        statistic=statistic,
        p_value=p_value,
        threshold=plan.threshold,
        drifted=False,  # decided once every p-value is known (corrections)
        effect_size=effect,
        missing_share=cur.missing_share,
        reference_missing_share=ref.missing_share,
    )


def _share_statistic(method: str, ref_shares: np.ndarray, cur_shares: np.ndarray) -> float:
    if method == "jensenshannon":
        return stats.jensenshannon(ref_shares, cur_shares)
    if method == "psi":
        return stats.psi(ref_shares, cur_shares)
    if method == "kl":
        return stats.kl(ref_shares, cur_shares)
    return stats.hellinger(ref_shares, cur_shares)


def _untested(
    plan: ColumnPlan, problem: str, missing: float = 0.0, ref_missing: float = 0.0
) -> ColumnDrift:
    return ColumnDrift(
        column=plan.column,
        kind=plan.kind,
        method=plan.method,
        statistic=None,
        p_value=None,
        threshold=plan.threshold,
        drifted=False,
        missing_share=missing,
        reference_missing_share=ref_missing,
        problem=problem,
    )


def check_column(plan: ColumnPlan, load_reference: Loader, current: Table) -> ColumnDrift:
    """One column of the report, with a problem sentence when it cannot be tested."""
    name = plan.column
    if name not in current.names:
        return _untested(plan, "missing in the current data")
    ref = load_reference(plan)
    if ref.numeric and not current.is_numeric(name):
        return _untested(plan, "numbers in the reference but text in the current data")
    if not ref.numeric and current.is_numeric(name) and plan.kind == "numeric":
        return _untested(plan, "text in the reference but numbers in the current data")
    if ref.numeric:
        cur = table_sample(current, name, needs_counts(plan))
    else:
        from mlops_desktop.monitoring.drift.reference import text_sample  # noqa: PLC0415

        cur = text_sample(current, name)
    if ref.count == 0:
        return _untested(plan, "all missing in the reference", cur.missing_share, 1.0)
    if cur.count == 0:
        return _untested(plan, "all missing in the current data", 1.0, ref.missing_share)
    result = test_column(plan, ref, cur)
    if ref.distinct == 1:
        return _with_problem(result, "constant in the reference (one value)")
    return result


def _with_problem(c: ColumnDrift, problem: str) -> ColumnDrift:
    from dataclasses import replace  # noqa: PLC0415

    return replace(c, problem=problem)


def decide(
    columns: list[ColumnDrift],
    plans: tuple[ColumnPlan, ...],
    counts: dict[str, tuple[int, int]],
    correction: str | None,
) -> list[ColumnDrift]:
    """Each column's verdict: threshold, optional p-value correction, minimum effect."""
    from dataclasses import replace  # noqa: PLC0415

    if correction is not None and correction not in CORRECTIONS:
        raise DriftError(f"{correction!r} is no correction: use bonferroni, holm or bh.")
    tested = [i for i, c in enumerate(columns) if c.p_value is not None and c.statistic is not None]
    adjusted = stats.correct([float(columns[i].p_value or 0.0) for i in tested], correction)
    p_of = dict(zip(tested, adjusted, strict=True))
    plan_of = {p.column: p for p in plans}
    out = []
    for i, c in enumerate(columns):
        if c.statistic is None:
            out.append(c)
            continue
        plan = plan_of[c.column]
        if c.method in P_VALUE_METHODS:
            p = p_of.get(i, c.p_value)
            drifted = p is not None and bool(p < plan.threshold)
            n_ref, n_cur = counts.get(c.column, (0, 0))
            if drifted and min(n_ref, n_cur) > LARGE_SAMPLE and plan.min_effect > 0:
                drifted = (c.effect_size or 0.0) >= plan.min_effect
            out.append(replace(c, p_value=p, drifted=drifted))
        else:
            out.append(replace(c, drifted=bool(c.statistic >= plan.threshold)))
    return out


def build_report(
    plans: tuple[ColumnPlan, ...],
    load_reference: Loader,
    reference_rows: int,
    current: Table,
    share_threshold: float = 0.5,
    correction: str | None = None,
) -> DriftReport:
    """The report of ``current`` against a reference given column by column."""
    if current.rows == 0:
        raise DriftError("The current data holds no rows: give a table with data.")
    workers = min(len(plans), os.cpu_count() or 1) or 1
    counts: dict[str, tuple[int, int]] = {}

    def one(plan: ColumnPlan) -> ColumnDrift:
        result = check_column(plan, load_reference, current)
        if result.statistic is not None:
            ref_n = round(reference_rows * (1 - result.reference_missing_share))
            counts[plan.column] = (ref_n, round(current.rows * (1 - result.missing_share)))
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        columns = list(pool.map(one, plans))
    columns = decide(columns, plans, counts, correction)
    tested = [c for c in columns if c.statistic is not None]
    drifted = sum(c.drifted for c in tested)
    share = drifted / len(tested) if tested else 0.0
    problems = []
    lacking = [c.column for c in columns if c.problem == "missing in the current data"]
    if lacking:
        problems.append(
            f"The current data lacks {count_noun(len(lacking), 'column')}: {', '.join(lacking)}."
        )
    planned = {p.column for p in plans}
    extra = [n for n in current.names if n not in planned]
    if extra:
        problems.append(f"Columns not in the reference were ignored: {', '.join(extra)}.")
    return DriftReport(
        columns=tuple(columns),
        dataset_drift=bool(tested) and share >= share_threshold,
        drift_share=share,
        reference_rows=reference_rows,
        current_rows=current.rows,
        problems=tuple(problems),
    )


def compare_exact(
    reference: Table,
    current: Table,
    plans: tuple[ColumnPlan, ...],
    share_threshold: float = 0.5,
    correction: str | None = None,
) -> DriftReport:
    """Evidently's exact numbers: every test on the whole reference."""

    def load(plan: ColumnPlan) -> ColumnSample:
        return table_sample(reference, plan.column, needs_counts(plan))

    return build_report(plans, load, reference.rows, current, share_threshold, correction)
