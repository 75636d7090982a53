"""The drift statistics against scipy (within 1e-9), on random data with ties, and effects."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sp
from scipy.spatial import distance

from mlops_desktop.core.errors import DriftError
from mlops_desktop.monitoring.drift import Table, compare_exact, plan_columns
from mlops_desktop.monitoring.drift import stats as S

TOL = 1e-9
SIZES = [(30, 40), (500, 800), (1000, 12_000), (20_000, 5_000)]


def samples(n1: int, n2: int, seed: int, decimals: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(size=n1), decimals), np.round(rng.normal(0.1, 1.2, n2), decimals)


@pytest.mark.parametrize(("n1", "n2"), SIZES)
@pytest.mark.parametrize("decimals", [0, 1, 6])
def test_ks_and_wasserstein_equal_scipy_with_ties(n1: int, n2: int, decimals: int) -> None:
    a, b = samples(n1, n2, n1 + decimals, decimals)
    d, w = S.cdf_distances(np.sort(a), np.sort(b))
    expected = sp.ks_2samp(a, b)
    assert d == pytest.approx(expected.statistic, abs=TOL)
    assert S.ks_p_value(d, n1, n2) == pytest.approx(expected.pvalue, abs=TOL)
    assert w == pytest.approx(sp.wasserstein_distance(a, b), abs=TOL)


def test_identical_and_disjoint_samples() -> None:
    a = np.arange(10.0)
    assert S.cdf_distances(a, a) == (0.0, 0.0)
    d, w = S.cdf_distances(a, a + 100)
    assert d == 1.0 and w == pytest.approx(100.0)


def _counts(seed: int, k: int, n1: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ref = np.bincount(rng.integers(0, k, n1), minlength=k).astype(float)
    cur = np.bincount(
        rng.choice(k, n2, p=np.linspace(1, 2, k) / np.linspace(1, 2, k).sum()), minlength=k
    ).astype(float)
    return ref, cur


@pytest.mark.parametrize(("k", "n1", "n2"), [(3, 200, 300), (7, 5000, 1000), (2, 100, 90)])
def test_chisquare_as_evidently_uses_scipy(k: int, n1: int, n2: int) -> None:
    ref, cur = _counts(k, k, n1, n2)
    stat, p = S.chisquare(ref, cur)
    expected = sp.chisquare(cur, ref * cur.sum() / ref.sum())
    assert stat == pytest.approx(expected.statistic, abs=TOL)
    assert p == pytest.approx(expected.pvalue, abs=TOL)


def test_chisquare_of_a_new_category_is_drift() -> None:
    stat, p = S.chisquare(np.array([10.0, 0.0]), np.array([5.0, 5.0]))
    assert stat == np.inf and p == 0.0


def test_z_test_is_evidentlys_two_proportion_test() -> None:
    ref, cur = np.array([60.0, 40.0]), np.array([30.0, 70.0])
    z, p = S.z_test(ref, cur)
    p1, p2 = 0.4, 0.7
    pooled = (40 + 70) / 200
    expected_z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert z == pytest.approx(expected_z, abs=TOL)
    assert p == pytest.approx(2 * (1 - sp.norm.cdf(abs(expected_z))), abs=TOL)
    assert S.z_test(np.array([10.0, 0.0]), np.array([5.0, 0.0])) == (0.0, 1.0)


@pytest.mark.parametrize("k", [2, 5, 30])
def test_share_distances_equal_scipy(k: int) -> None:
    ref, cur = _counts(k + 1, k, 3000, 700)
    cur[0] = 0  # an empty bin
    r, c = ref / ref.sum(), cur / cur.sum()
    assert S.jensenshannon(r, c) == pytest.approx(distance.jensenshannon(r, c), abs=TOL)
    rf, cf = S.fill_zeroes(r), S.fill_zeroes(c)
    assert S.kl(r, c) == pytest.approx(sp.entropy(rf, cf), abs=TOL)
    assert S.psi(r, c) == pytest.approx(np.sum((rf - cf) * np.log(rf / cf)), abs=TOL)
    expected_h = np.sqrt(np.sum((np.sqrt(r) - np.sqrt(c)) ** 2)) / np.sqrt(2)
    assert S.hellinger(r, c) == pytest.approx(expected_h, abs=TOL)
    assert S.total_variation(ref, cur) == pytest.approx(0.5 * np.abs(r - c).sum(), abs=TOL)


def test_fill_zeroes_as_evidently() -> None:
    assert list(S.fill_zeroes(np.array([0.5, 0.5, 0.0]))) == [0.5, 0.5, 0.0001]
    assert S.fill_zeroes(np.array([0.99999, 0.00001, 0.0]))[2] == pytest.approx(1e-11)


def test_anderson_is_scipys() -> None:
    a, b = samples(300, 400, 3)
    stat, p = S.anderson(np.sort(a), np.sort(b))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sp.anderson_ksamp([a, b])
    assert stat == pytest.approx(expected.statistic, abs=TOL)
    assert p == pytest.approx(expected.pvalue, abs=TOL)


def test_sturges_histogram_shares_equal_numpy() -> None:
    a, b = samples(5000, 800, 9, 3)
    edges = S.sturges_edges(min(a.min(), b.min()), max(a.max(), b.max()), a.size + b.size)
    assert np.allclose(edges, np.histogram_bin_edges(np.concatenate((a, b)), "sturges"))
    shares = S.histogram_shares(np.sort(a), edges)
    assert np.allclose(shares, np.histogram(a, edges)[0] / a.size, atol=TOL)


def test_corrections() -> None:
    p = [0.01, 0.04, 0.03, 0.5]
    assert S.correct(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 1.0])
    assert S.correct(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert S.correct(p, "bh") == pytest.approx([0.04, 0.0533333, 0.0533333, 0.5], abs=1e-6)
    assert S.correct(p, None) == p
    with pytest.raises(DriftError):
        S.correct(p, "sidak")


def test_effect_sizes_in_a_report() -> None:
    rng = np.random.default_rng(1)
    ref = Table.from_columns({"x": rng.normal(0, 2, 5000), "c": ["a"] * 2500 + ["b"] * 2500})
    cur = Table.from_columns({"x": rng.normal(1, 2, 4000), "c": ["a"] * 1000 + ["b"] * 3000})
    report = compare_exact(ref, cur, plan_columns(ref))
    x, c = report.columns
    assert x.effect_size == pytest.approx(0.5, abs=0.05)  # a shift of half a std
    assert c.effect_size == pytest.approx(0.25, abs=1e-12)  # 25% of rows changed category


def test_missing_and_infinite_values_are_dropped_and_reported() -> None:
    a, b = samples(800, 600, 4)
    b_with_gaps = b.copy()
    b_with_gaps[:60] = np.nan
    b_with_gaps[60:90] = np.inf
    ref = Table.from_columns({"x": a})
    report = compare_exact(ref, Table.from_columns({"x": b_with_gaps}), plan_columns(ref))
    (x,) = report.columns
    assert x.missing_share == pytest.approx(90 / 600)
    expected = sp.ks_2samp(a, b[90:])
    assert x.statistic == pytest.approx(expected.statistic, abs=TOL)
    assert x.p_value == pytest.approx(expected.pvalue, abs=TOL)
