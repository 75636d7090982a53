"""Frozen reference summaries: size, round trip, and agreement with the exact comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlops_desktop.core.errors import DriftError
from mlops_desktop.monitoring.drift import (
    ReferenceSummary,
    Table,
    column_distribution,
    compare,
    compare_exact,
    plan_columns,
    summarize,
)


def reference(rows: int, seed: int = 0) -> Table:
    rng = np.random.default_rng(seed)
    return Table.from_columns(
        {
            "normal": rng.normal(5, 2, rows),
            "skewed": rng.lognormal(0, 1, rows),
            "uniform": rng.uniform(0, 1, rows),
            "few": rng.integers(0, 4, rows).astype(float),
            "city": rng.choice(["paris", "rome", "oslo"], rows, p=[0.5, 0.3, 0.2]),
        }
    )


def shifted(rows: int, shift: float, seed: int = 1) -> Table:
    rng = np.random.default_rng(seed)
    p = [0.5 - shift / 2, 0.3, 0.2 + shift / 2]
    return Table.from_columns(
        {
            "normal": rng.normal(5 + 2 * shift, 2, rows),
            "skewed": rng.lognormal(shift, 1, rows),
            "uniform": rng.uniform(shift, 1 + shift, rows),
            "few": rng.integers(0, 4, rows).astype(float) + (rng.random(rows) < shift),
            "city": rng.choice(["paris", "rome", "oslo"], rows, p=p),
        }
    )


def test_a_numeric_column_of_a_million_rows_fits_in_10_kb() -> None:
    ref = Table.from_columns({"x": np.random.default_rng(0).normal(size=1_000_000)})
    summary = summarize(ref, plan_columns(ref))
    assert len(json.dumps(summary.columns["x"])) <= 10_240
    assert len(summary.to_json()) <= 10_240 + 100


def test_round_trip_and_damaged_text() -> None:
    ref = reference(3000)
    summary = summarize(ref, plan_columns(ref))
    again = ReferenceSummary.from_json(summary.to_json())
    assert again == summary
    with pytest.raises(DriftError, match="damaged"):
        ReferenceSummary.from_json("{not json")


@pytest.mark.parametrize("rows", [800, 50_000])
@pytest.mark.parametrize("shift", [0.0, 0.4])
def test_summary_and_exact_agree_on_decisions(rows: int, shift: float) -> None:
    ref = reference(rows)
    plans = plan_columns(ref)
    cur = shifted(rows // 2, shift)
    fast = compare(ReferenceSummary.from_json(summarize(ref, plans).to_json()), cur, plans)
    exact = compare_exact(ref, cur, plans)
    assert [c.drifted for c in fast.columns] == [c.drifted for c in exact.columns]
    assert all(c.drifted for c in exact.columns) == (shift > 0)
    assert fast.dataset_drift == exact.dataset_drift == (shift > 0)


@pytest.mark.parametrize("method", ["ks", "wasserstein", "psi", "jensenshannon"])
def test_approximation_error_is_bounded(method: str) -> None:
    ref = reference(200_000)
    plans = plan_columns(ref, methods=dict.fromkeys(["normal", "skewed", "uniform"], method))
    summary = summarize(ref, plans)
    for shift in (0.0, 0.05, 0.3):
        cur = shifted(100_000, shift, seed=7)
        fast, exact = compare(summary, cur, plans), compare_exact(ref, cur, plans)
        for f, e in zip(fast.columns, exact.columns, strict=True):
            assert f.statistic == pytest.approx(e.statistic, abs=0.005), (f.column, shift)
            assert f.effect_size == pytest.approx(e.effect_size, abs=0.005), (f.column, shift)


def test_small_references_are_kept_whole_so_the_summary_is_exact() -> None:
    ref = reference(1000)
    plans = plan_columns(ref)
    cur = shifted(700, 0.1)
    fast, exact = compare(summarize(ref, plans), cur, plans), compare_exact(ref, cur, plans)
    for f, e in zip(fast.columns, exact.columns, strict=True):
        assert f.statistic == pytest.approx(e.statistic, abs=1e-12)
        assert f.p_value == pytest.approx(e.p_value, abs=1e-12)


def test_missing_extra_and_retyped_columns() -> None:
    ref = reference(2000)
    plans = plan_columns(ref)
    cur = shifted(500, 0.0).arrow.drop_columns(["skewed"])
    cur = cur.set_column(cur.column_names.index("uniform"), "uniform", cur["city"])
    cur = cur.append_column("extra", cur["normal"])
    report = compare(summarize(ref, plans), Table(cur), plans)
    by = {c.column: c for c in report.columns}
    assert by["skewed"].problem == "missing in the current data" and not by["skewed"].drifted
    assert by["uniform"].problem == "numbers in the reference but text in the current data"
    assert any("extra" in p for p in report.problems)
    assert any("skewed" in p for p in report.problems)


def test_many_categories_are_capped_with_the_rest_counted_together() -> None:
    labels = [f"c{i}" for i in range(3000)]
    ref = Table.from_columns({"c": labels * 2})
    plans = plan_columns(ref)
    summary = summarize(ref, plans)
    assert len(summary.columns["c"]["categories"]) == 1001
    (c,) = compare(summary, Table.from_columns({"c": labels}), plans).columns
    assert c.statistic == pytest.approx(0.0, abs=1e-12) and not c.drifted


def test_column_distribution_for_charts() -> None:
    ref = reference(20_000)
    plans = plan_columns(ref)
    summary = summarize(ref, plans)
    cur = shifted(5000, 0.3)
    normal = column_distribution(summary, cur, plans[0], window=4, bins=20)
    assert len(normal.edges) == 21 and len(normal.reference) == len(normal.current) == 20
    assert sum(normal.reference) == pytest.approx(1.0, abs=1e-6)
    assert sum(normal.current) == pytest.approx(1.0)
    city = column_distribution(summary, cur, plans[4], window=4)
    assert set(city.categories) == {"paris", "rome", "oslo"} and city.edges == ()
    assert sum(city.reference) == pytest.approx(1.0)
    few = column_distribution(summary, cur, plans[3], window=4)
    assert few.categories[:4] and set(few.categories) <= {"0", "1", "2", "3", "4"}
