"""The drift statistics, equal to scipy's (and to Evidently's use of them) within 1e-9.

Numeric samples come in sorted, with missing values and infinities already dropped, so each
column is sorted once and both KS and the Wasserstein distance come from one merge; counted
samples (categories, or numbers with few distinct values) come in as counts over shared keys.

* ``ks``: ``scipy.stats.ks_2samp(method="auto")``: the exact distribution when both samples
  have at most 10,000 values, else Smirnov's asymptotic one (``kstwo``), as scipy picks.
* ``wasserstein``: ``scipy.stats.wasserstein_distance`` over the reference's standard
  deviation (``np.std``, at least 0.001), as Evidently norms it.
* ``chisquare``: ``scipy.stats.chisquare`` of the current counts against the reference's
  proportions scaled to the current total (Evidently's ``chisquare``).
* ``z``: Evidently's two-proportion z-test: the share of the first (sorted) value.
* ``jensenshannon``, ``psi``, ``kl``: on Evidently's binned shares (categories, or numbers with
  at most 20 distinct reference values; else Sturges' bins over both samples); ``psi`` and
  ``kl`` with empty bins filled as Evidently fills them.
* ``hellinger``: the Hellinger distance of the same (unfilled) shares.
* ``anderson``: ``scipy.stats.anderson_ksamp`` (its p-value is clipped to [0.001, 0.25]).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats
from scipy.spatial import distance

MAX_EXACT_KS = 10_000  # scipy's ks_2samp("auto") is exact up to this many values per sample
MIN_STD = 0.001  # Evidently's floor of the standard deviation that norms Wasserstein
STURGES_BELOW = 20  # numbers with more distinct reference values are binned (Evidently)


def finite_sorted(values: np.ndarray) -> tuple[np.ndarray, int]:
    """The finite values sorted, and how many were missing or infinite."""
    finite = values[np.isfinite(values)]
    return np.sort(finite), int(values.size - finite.size)


def cdf_distances(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """The KS statistic and the (raw) Wasserstein distance of two sorted samples."""
    merged = np.sort(np.concatenate((ref, cur)), kind="stable")  # a merge of two sorted runs
    if merged.size < 2:
        return 0.0, 0.0
    points = merged[:-1]
    diff = np.searchsorted(ref, points, "right") / ref.size - (
        np.searchsorted(cur, points, "right") / cur.size
    )
    absolute = np.abs(diff)
    return float(absolute.max()), float(np.dot(absolute, np.diff(merged)))


def ks_p_value(d: float, n1: int, n2: int) -> float:
    """The two-sided p-value of a KS statistic as ``ks_2samp(method="auto")`` computes it."""
    if max(n1, n2) <= MAX_EXACT_KS:
        try:
            from scipy.stats._stats_py import _attempt_exact_2kssamp  # noqa: PLC0415

            g = math.gcd(n1, n2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ok, _, prob = _attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
            if ok:
                return float(np.clip(prob, 0.0, 1.0))
        except ImportError:  # pragma: no cover - a scipy without the helper
            pass
    m, n = sorted((float(n1), float(n2)), reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))


def normed_wasserstein(distance_: float, ref_std: float) -> float:
    return distance_ / max(ref_std, MIN_STD)


def chisquare(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float]:
    """Chi-square statistic and p-value of current counts against the reference's shares."""
    expected = ref_counts * (cur_counts.sum() / ref_counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (cur_counts - expected) ** 2 / expected
    terms = np.where((expected == 0) & (cur_counts == 0), 0.0, terms)
    stat = float(terms.sum())
    dof = max(ref_counts.size - 1, 1)
    return stat, float(stats.chi2.sf(stat, dof)) if np.isfinite(stat) else 0.0


def z_test(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float]:
    """Evidently's two-proportion z-test: is the first key as common in both samples?

    The counts are over sorted keys; a key missing from a sample has count 0 there.
    """
    n1, n2 = float(ref_counts.sum()), float(cur_counts.sum())
    ref_present, cur_present = ref_counts > 0, cur_counts > 0
    if ref_present.sum() == 1 and cur_present.sum() == 1 and (ref_present == cur_present).all():
        return 0.0, 1.0
    p1 = (n1 - ref_counts[0]) / n1
    p2 = (n2 - cur_counts[0]) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    if not np.isfinite(z):
        return float(z), float("nan")
    return float(z), float(2 * (1 - stats.norm.cdf(abs(z))))


def fill_zeroes(shares: np.ndarray) -> np.ndarray:
    """Evidently's filling of empty bins (a millionth of the smallest share, or 0.0001)."""
    out = shares.astype(float).copy()
    nonzero = out[out != 0]
    if nonzero.size and nonzero.size < out.size:
        smallest = nonzero.min()
        out[out == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return out


def jensenshannon(ref_shares: np.ndarray, cur_shares: np.ndarray) -> float:
    return float(distance.jensenshannon(ref_shares, cur_shares))


def psi(ref_shares: np.ndarray, cur_shares: np.ndarray) -> float:
    r, c = fill_zeroes(ref_shares), fill_zeroes(cur_shares)
    return float(np.sum((r - c) * np.log(r / c)))


def kl(ref_shares: np.ndarray, cur_shares: np.ndarray) -> float:
    return float(stats.entropy(fill_zeroes(ref_shares), fill_zeroes(cur_shares)))


def hellinger(ref_shares: np.ndarray, cur_shares: np.ndarray) -> float:
    r = ref_shares / ref_shares.sum() if ref_shares.sum() else ref_shares
    c = cur_shares / cur_shares.sum() if cur_shares.sum() else cur_shares
    return float(np.sqrt(np.sum((np.sqrt(r) - np.sqrt(c)) ** 2)) / np.sqrt(2))


def anderson(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.anderson_ksamp([ref, cur])
    return float(result.statistic), float(result.pvalue)


def total_variation(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Half the sum of absolute differences of the shares (0: same, 1: disjoint)."""
    return float(0.5 * np.abs(ref_counts / ref_counts.sum() - cur_counts / cur_counts.sum()).sum())


def sturges_edges(lo: float, hi: float, n: int) -> np.ndarray:
    """``np.histogram_bin_edges(values, "sturges")`` of ``n`` values from ``lo`` to ``hi``."""
    if n == 0:
        return np.array([0.0, 1.0])
    probe = np.array([lo, hi])
    width = (hi - lo) / (np.log2(n) + 1.0)
    if width == 0:
        return np.histogram_bin_edges(probe, 1)
    bins = int(np.ceil((hi - lo) / width))
    return np.histogram_bin_edges(probe, bins)


def histogram_shares(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(values, edges)[0] / len(values)`` of a sorted sample."""
    ends = np.searchsorted(sorted_values, edges[1:], "left")
    ends[-1] = np.searchsorted(sorted_values, edges[-1], "right")  # the last bin is closed
    starts = np.concatenate(([np.searchsorted(sorted_values, edges[0], "left")], ends[:-1]))
    return (ends - starts) / sorted_values.size


def correct(p_values: list[float], method: str | None) -> list[float]:
    """p-values adjusted for testing several columns: "bonferroni", "holm" or "bh"."""
    if method is None or not p_values:
        return list(p_values)
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if method == "bonferroni":
        return list(np.minimum(p * m, 1.0))
    order = np.argsort(p)
    ranked = p[order]
    if method == "holm":
        adjusted = np.minimum(np.maximum.accumulate(ranked * (m - np.arange(m))), 1.0)
    elif method == "bh":
        scaled = ranked * m / (np.arange(m) + 1)
        adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    else:
        from mlops_desktop.core.errors import DriftError  # noqa: PLC0415

        raise DriftError(f"{method!r} is no correction: use bonferroni, holm or bh.")
    out = np.empty(m)
    out[order] = adjusted
    return list(out)
