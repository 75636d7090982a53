"""Choosing each column's test from the reference alone, once, as Evidently's DataDriftPreset
would (so users who know Evidently get its answers), and freezing it in a ColumnPlan.

* A reference of at most 1,000 rows: KS for numeric columns with more than 5 distinct values;
  chi-square for text columns and for numbers with 3 to 5 distinct values; the two-proportion
  z-test for 2 distinct values or fewer. Drift when p < 0.05.
* A larger reference: the Wasserstein distance over the reference's standard deviation for
  numeric columns with more than 5 distinct values, the Jensen-Shannon distance for the others.
  Drift when the distance is 0.1 or more.

Evidently counts distinct values over reference and current together, so a column's test can
change from one window to the next; here only the reference counts, so scores stay comparable.

Large samples (:data:`LARGE_SAMPLE`): a p-value answers "is there any difference at all?",
and with a million rows a shift of 0.02 standard deviations (nothing a model notices) has
p < 1e-50. So p-value tests also require an effect once both samples exceed 1,000 rows: by
default a Wasserstein distance of 0.1 reference standard deviations (numeric columns: the same
bar Evidently sets its distance test to for large references) or a total variation distance
of 0.05 (5% of the rows changed category). Below 1,000 rows a p < 0.05 needs an effect of about
0.1-0.15 standard deviations anyway, so the default answers stay Evidently's. Distance methods
need no minimum effect: their threshold already is one.
"""

from __future__ import annotations

import numpy as np

from mlops_desktop.core.drift import METHODS, P_VALUE_METHODS, ColumnPlan
from mlops_desktop.core.errors import DriftError
from mlops_desktop.monitoring.drift.table import Table

SMALL_REFERENCE = 1000  # references of at most this many rows get the p-value tests
FEW_VALUES = 5  # numeric columns with at most this many distinct values are tested as counts
LARGE_SAMPLE = 1000  # minimum effects apply once both samples have more values than this
P_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
MIN_EFFECT_NUMERIC = 0.1  # Wasserstein distance / reference standard deviation
MIN_EFFECT_COUNTS = 0.05  # total variation distance
NUMERIC_METHODS = frozenset({"ks", "wasserstein", "anderson"})  # need numbers


def default_threshold(method: str) -> float:
    return P_THRESHOLD if method in P_VALUE_METHODS else DISTANCE_THRESHOLD


def distinct_count(table: Table, name: str) -> int:
    """The number of distinct non-missing (finite) values of a column."""
    if table.is_numeric(name):
        values = table.values(name)
        return int(np.unique(values[np.isfinite(values)]).size)
    import pyarrow.compute as pc  # noqa: PLC0415

    return int(pc.count_distinct(table.arrow.column(name), mode="only_valid").as_py())


def column_kind(numeric: bool, distinct: int) -> str:
    """ "binary" (2 values or fewer), "numeric" (numbers with more than 5) or "categorical"."""
    if distinct <= 2:
        return "binary"
    if numeric and distinct > FEW_VALUES:
        return "numeric"
    return "categorical"


def default_method(kind: str, reference_rows: int) -> str:
    if reference_rows <= SMALL_REFERENCE:
        return {"numeric": "ks", "categorical": "chisquare", "binary": "z"}[kind]
    return "wasserstein" if kind == "numeric" else "jensenshannon"


def plan_columns(
    reference: Table,
    methods: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
    min_effect: float | None = None,
    columns: list[str] | None = None,
) -> tuple[ColumnPlan, ...]:
    """How each column is tested, chosen from the reference alone.

    Args:
        reference: the reference table.
        methods: a method per column (see :data:`~mlops_desktop.core.drift.METHODS`).
        thresholds: a threshold per column (p-value, or distance).
        min_effect: the minimum effect of p-value methods on large samples (None: the
            defaults above; 0: none).
        columns: only these columns (default: all).

    Raises:
        DriftError: an unknown column or method, or a numeric method for a text column.
    """
    methods, thresholds = dict(methods or {}), dict(thresholds or {})
    names = list(columns) if columns is not None else list(reference.names)
    for name in [*names, *methods, *thresholds]:
        if name not in reference.names:
            raise DriftError(f"The reference has no column {name!r}.")
    rows = reference.rows
    plans = []
    for name in names:
        numeric = reference.is_numeric(name)
        kind = column_kind(numeric, distinct_count(reference, name))
        method = methods.get(name) or default_method(kind, rows)
        if method not in METHODS:
            raise DriftError(f"{method!r} is no drift method: use one of {', '.join(METHODS)}.")
        if method in NUMERIC_METHODS and not numeric:
            raise DriftError(f"{name!r} holds text: {method} needs numbers.")
        if method in NUMERIC_METHODS and kind != "numeric":
            kind = "numeric"  # the user asked for a numeric test of few distinct numbers
        effect = 0.0
        if method in P_VALUE_METHODS:
            default = MIN_EFFECT_NUMERIC if kind == "numeric" else MIN_EFFECT_COUNTS
            effect = default if min_effect is None else float(min_effect)
        plans.append(
            ColumnPlan(
                column=name,
                kind=kind,
                method=method,
                threshold=float(thresholds.get(name, default_threshold(method))),
                min_effect=effect,
            )
        )
    return tuple(plans)
