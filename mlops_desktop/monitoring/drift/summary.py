"""A reference frozen once into a small summary, so windows are checked without rereading it.

Per numeric column: count, missing, mean, standard deviation, min, max, distinct values, and
either every finite value (at most 1,001 of them: the tests are then exact) or 1,001 quantiles
(probabilities 0, 0.001, ..., 1), stored as float64 in base85 (10,010 characters: under 10 KB);
with at most 20 distinct values also their exact counts. Per text column: the counts of its
1,000 most common values and of the rest together (``"(other)"``).

Checking a window against the summary draws an even sample of up to 10,000 values from the
quantile sketch (the quantile function interpolated linearly) and runs the exact tests on it,
with the reference's true size in the p-values. Measured on 1M-row references (normal,
lognormal, uniform, mixtures; docs/drift.md): KS statistic within 0.002 and Wasserstein/std
within 0.002 of the exact values; counted columns are exact.
"""

from __future__ import annotations

import base64
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_desktop.core.drift import ColumnPlan, DriftReport
from mlops_desktop.core.errors import DriftError
from mlops_desktop.monitoring.drift.compare import build_report
from mlops_desktop.monitoring.drift.reference import (
    OTHER,
    ColumnSample,
    numeric_sample,
    sorted_counts,
    text_sample,
)
from mlops_desktop.monitoring.drift.table import Table

FORMAT = 1
QUANTILES = 1001
MAX_CATEGORIES = 1000
MAX_VALUE_COUNTS = 20
SKETCH_SAMPLE = 10_000
PROBABILITIES = np.linspace(0.0, 1.0, QUANTILES)


def _pack(values: np.ndarray) -> str:
    return base64.b85encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")


def _unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b85decode(text), dtype="<f8").copy()


def quantiles_of_sorted(ordered: np.ndarray) -> np.ndarray:
    """``np.quantile(ordered, PROBABILITIES)`` (linear) of an already sorted array."""
    position = PROBABILITIES * (ordered.size - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, ordered.size - 1)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction


def _numeric_doc(values: np.ndarray) -> dict[str, Any]:
    s = numeric_sample(values, with_counts=False)
    ordered = s.sorted_values
    assert ordered is not None
    doc: dict[str, Any] = {"type": "numeric", "count": s.count, "missing": s.missing}
    if ordered.size:
        doc.update(
            mean=float(ordered.mean()),
            std=s.std,
            min=float(ordered[0]),
            max=float(ordered[-1]),
            distinct=s.distinct,
        )
        if ordered.size <= QUANTILES:
            doc["values"] = _pack(ordered)
        else:
            doc["quantiles"] = _pack(quantiles_of_sorted(ordered))
        if s.distinct <= MAX_VALUE_COUNTS:
            keys, counts = sorted_counts(ordered)
            doc["value_counts"] = [[float(k), int(c)] for k, c in zip(keys, counts, strict=True)]
    return doc


def _text_doc(table: Table, name: str) -> dict[str, Any]:
    s = text_sample(table, name)
    assert s.keys is not None and s.counts is not None
    order = np.argsort(-s.counts, kind="stable")
    kept = order[:MAX_CATEGORIES]
    categories = [[str(s.keys[i]), int(s.counts[i])] for i in kept]
    rest = int(s.counts[order[MAX_CATEGORIES:]].sum())
    if rest:
        categories.append([OTHER, rest])
    return {
        "type": "text",
        "count": s.count,
        "missing": s.missing,
        "distinct": s.distinct,
        "categories": categories,
    }


@dataclass(frozen=True)
class ReferenceSummary:
    """What the drift tests need of a reference, frozen (see the module's docstring).

    Attributes:
        rows: the reference's rows.
        columns: per column its summary document.
    """

    rows: int
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"format": FORMAT, "rows": self.rows, "columns": self.columns}, separators=(",", ":")
        )

    @classmethod
    def from_json(cls, text: str) -> ReferenceSummary:
        """Raises DriftError when the text is no summary this version can read."""
        try:
            doc = json.loads(text)
            if doc.get("format") != FORMAT:
                raise DriftError("The stored reference summary has an unknown format.")
            return cls(rows=int(doc["rows"]), columns=dict(doc["columns"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DriftError("The stored reference summary is damaged: summarise again.") from None

    def sample(self, column: str) -> ColumnSample:
        """The column as the tests see it (a sample of the sketch for large numeric ones)."""
        doc = self.columns.get(column)
        if doc is None:
            raise DriftError(f"The reference summary has no column {column!r}.")
        count, missing = int(doc["count"]), int(doc["missing"])
        if doc["type"] == "text":
            cats = doc["categories"]
            keys = np.array([k for k, _ in cats], dtype=object)
            counts = np.array([c for _, c in cats], dtype=np.int64)
            order = np.argsort(keys.astype(str), kind="stable")
            return ColumnSample(
                False,
                count,
                missing,
                None,
                keys[order],
                counts[order],
                distinct=int(doc["distinct"]),
            )
        out = ColumnSample(
            True,
            count,
            missing,
            np.zeros(0),
            std=float(doc.get("std", 0.0)),
            distinct=int(doc.get("distinct", 0)),
        )
        if "values" in doc:
            out.sorted_values = _unpack(doc["values"])
        elif "quantiles" in doc:
            m = min(count, SKETCH_SAMPLE)
            even = (np.arange(m) + 0.5) / m
            out.sorted_values = np.interp(even, PROBABILITIES, _unpack(doc["quantiles"]))
            out.exact = False
        if "value_counts" in doc:
            out.keys = np.array([k for k, _ in doc["value_counts"]], dtype=float)
            out.counts = np.array([c for _, c in doc["value_counts"]], dtype=np.int64)
        return out


def summarize(reference: Table, plans: tuple[ColumnPlan, ...]) -> ReferenceSummary:
    """Freeze what the planned columns' tests need of ``reference``.

    Raises:
        DriftError: the reference holds no rows.
    """
    if reference.rows == 0:
        raise DriftError("The reference holds no rows: give a table with data.")

    def one(plan: ColumnPlan) -> tuple[str, dict[str, Any]]:
        name = plan.column
        if reference.is_numeric(name):
            return name, _numeric_doc(reference.values(name))
        return name, _text_doc(reference, name)

    workers = max(1, min(len(plans), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        columns = dict(pool.map(one, plans))
    return ReferenceSummary(rows=reference.rows, columns=columns)


def compare(
    summary: ReferenceSummary,
    current: Table,
    plans: tuple[ColumnPlan, ...],
    share_threshold: float = 0.5,
    correction: str | None = None,
) -> DriftReport:
    """``current`` against a frozen reference, never rereading it (approximate numbers for
    numeric columns of more than 1,001 values; see the module's docstring)."""

    def load(plan: ColumnPlan) -> ColumnSample:
        return summary.sample(plan.column)

    return build_report(plans, load, summary.rows, current, share_threshold, correction)
