"""Method selection from the reference alone, at the boundaries of Evidently's rules."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_desktop.core.errors import DriftError
from mlops_desktop.monitoring.drift import Table, compare_exact, plan_columns


def numbers(rows: int, distinct: int) -> np.ndarray:
    return (np.arange(rows) % distinct).astype(float)


def plan_of(column: object, **kw: object):  # type: ignore[no-untyped-def]
    (plan,) = plan_columns(Table.from_columns({"x": column}), **kw)  # type: ignore[arg-type]
    return plan


@pytest.mark.parametrize(
    ("rows", "distinct", "kind", "method"),
    [
        (1000, 6, "numeric", "ks"),
        (1000, 5, "categorical", "chisquare"),
        (1000, 3, "categorical", "chisquare"),
        (1000, 2, "binary", "z"),
        (1001, 6, "numeric", "wasserstein"),
        (1001, 5, "categorical", "jensenshannon"),
        (1001, 2, "binary", "jensenshannon"),
    ],
)
def test_numeric_columns_at_the_boundaries(
    rows: int, distinct: int, kind: str, method: str
) -> None:
    plan = plan_of(numbers(rows, distinct))
    assert (plan.kind, plan.method) == (kind, method)
    assert plan.threshold == (0.05 if rows <= 1000 else 0.1)


@pytest.mark.parametrize(
    ("rows", "labels", "kind", "method"),
    [
        (1000, "abcdefg", "categorical", "chisquare"),
        (1000, "ab", "binary", "z"),
        (1001, "abcdefg", "categorical", "jensenshannon"),
        (1001, "ab", "binary", "jensenshannon"),
    ],
)
def test_text_columns(rows: int, labels: str, kind: str, method: str) -> None:
    plan = plan_of([labels[i % len(labels)] for i in range(rows)])
    assert (plan.kind, plan.method) == (kind, method)


def test_a_distinct_value_beyond_the_first_ten_thousand_rows_counts() -> None:
    column = np.zeros(20_000)
    column[15_000:] = np.arange(5_000)
    assert plan_of(column).kind == "numeric"


def test_min_effect_defaults_for_p_value_methods_only() -> None:
    assert plan_of(numbers(500, 50)).min_effect == 0.1
    assert plan_of(["a", "b", "c"] * 100).min_effect == 0.05
    assert plan_of(numbers(5000, 50)).min_effect == 0.0
    assert plan_of(numbers(500, 50), min_effect=0.0).min_effect == 0.0


def test_overrides_of_method_and_threshold() -> None:
    plan = plan_of(numbers(5000, 50), methods={"x": "psi"}, thresholds={"x": 0.2})
    assert (plan.method, plan.threshold) == ("psi", 0.2)
    plan = plan_of(numbers(5000, 3), methods={"x": "ks"})
    assert (plan.kind, plan.method, plan.threshold) == ("numeric", "ks", 0.05)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"methods": {"x": "ttest"}}, "no drift method"),
        ({"methods": {"y": "ks"}}, "no column 'y'"),
        ({"columns": ["y"]}, "no column 'y'"),
    ],
)
def test_bad_overrides(kw: dict[str, object], message: str) -> None:
    with pytest.raises(DriftError, match=message):
        plan_of(numbers(100, 10), **kw)


def test_numeric_methods_refuse_text() -> None:
    with pytest.raises(DriftError, match="needs numbers"):
        plan_of(["a", "b"] * 50, methods={"x": "wasserstein"})


def test_all_missing_and_constant_columns_give_problems_not_crashes() -> None:
    ref = Table.from_columns({"gone": [None] * 50, "one": [3.0] * 50, "ok": np.arange(50.0)})
    cur = Table.from_columns(
        {"gone": [1.0] * 20, "one": [3.0] * 10 + [4.0] * 10, "ok": [None] * 20}
    )
    plans = plan_columns(ref)
    assert [p.kind for p in plans] == ["binary", "binary", "numeric"]
    report = compare_exact(ref, cur, plans)
    gone, one, ok = report.columns
    assert gone.problem == "all missing in the reference" and not gone.drifted
    assert one.problem == "constant in the reference (one value)" and one.drifted
    assert ok.problem == "all missing in the current data" and ok.missing_share == 1.0


def test_min_effect_stops_alarms_on_tiny_shifts_of_large_samples() -> None:
    rng = np.random.default_rng(0)
    ref = Table.from_columns({"x": rng.normal(0, 1, 200_000)})
    cur = Table.from_columns({"x": rng.normal(0.05, 1, 200_000)})
    plans = plan_columns(ref, methods={"x": "ks"})
    (x,) = compare_exact(ref, cur, plans).columns
    assert x.p_value is not None and x.p_value < 1e-10 and not x.drifted
    (x,) = compare_exact(ref, cur, plan_columns(ref, methods={"x": "ks"}, min_effect=0)).columns
    assert x.drifted
