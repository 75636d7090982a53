"""One reference column as the tests see it, from the whole reference or from its summary.

Numeric columns bring a sorted sample (all the finite values, or for a summarised reference a
sample drawn evenly from its quantile sketch) and their standard deviation; counted columns
bring their value counts. Current columns are read into the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from mlops_desktop.monitoring.drift.stats import finite_sorted
from mlops_desktop.monitoring.drift.table import Table, text_column

OTHER = "(other)"  # the categories a summary did not keep, counted together


@dataclass
class ColumnSample:
    """The non-missing values of one column, as the tests need them.

    Attributes:
        numeric: the column holds numbers (text otherwise).
        count: how many finite values (the n of p-values, whatever the sample's size).
        missing: how many were missing or infinite.
        sorted_values: the finite values sorted (numeric columns); for a summary, a sample.
        keys, counts: the distinct values and their counts (sorted keys), when known.
        std: the population standard deviation (numeric columns).
        distinct: the number of distinct values.
        exact: False when ``sorted_values`` comes from a sketch.
    """

    numeric: bool
    count: int
    missing: int
    sorted_values: np.ndarray | None = None
    keys: np.ndarray | None = None
    counts: np.ndarray | None = None
    std: float = 0.0
    distinct: int = 0
    exact: bool = True

    @property
    def missing_share(self) -> float:
        total = self.count + self.missing
        return self.missing / total if total else 0.0


def numeric_sample(values: np.ndarray, with_counts: bool) -> ColumnSample:
    """A numeric column's sample: sorted finite values, std, distinct values (and counts)."""
    ordered, missing = finite_sorted(values)
    distinct = int(np.count_nonzero(np.diff(ordered))) + 1 if ordered.size else 0
    sample = ColumnSample(
        numeric=True,
        count=int(ordered.size),
        missing=missing,
        sorted_values=ordered,
        std=float(np.std(ordered)) if ordered.size else 0.0,
        distinct=distinct,
    )
    if with_counts:
        sample.keys, sample.counts = sorted_counts(ordered)
    return sample


def sorted_counts(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and how often each occurs."""
    if ordered.size == 0:
        return ordered[:0], np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(ordered)) + 1))
    return ordered[starts], np.diff(np.concatenate((starts, [ordered.size])))


def text_sample(table: Table, name: str) -> ColumnSample:
    """A text column's value counts (keys sorted); missing values counted apart."""
    column = text_column(table.arrow.column(name))
    counted = pc.value_counts(column)
    keys = counted.field("values").to_numpy(zero_copy_only=False)
    counts = counted.field("counts").to_numpy()
    valid = np.array([k is not None for k in keys], dtype=bool)
    keys, counts = keys[valid].astype(object), counts[valid].astype(np.int64)
    order = np.argsort(keys.astype(str), kind="stable")
    return ColumnSample(
        numeric=False,
        count=int(counts.sum()),
        missing=int(table.rows - counts.sum()),
        keys=keys[order],
        counts=counts[order],
        distinct=int(keys.size),
    )


def table_sample(table: Table, name: str, with_counts: bool) -> ColumnSample:
    if table.is_numeric(name):
        return numeric_sample(table.values(name), with_counts)
    return text_sample(table, name)


def aligned_counts(ref: ColumnSample, cur: ColumnSample) -> tuple[np.ndarray, np.ndarray]:
    """The counts of both samples over their sorted union of keys (0 where a key is absent)."""
    _, ref_at, cur_at = aligned(ref, cur)
    return ref_at, cur_at


def aligned(ref: ColumnSample, cur: ColumnSample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted union of keys and both samples' counts over it.

    Current values a summary folded into :data:`OTHER` are counted there too.
    """
    assert ref.keys is not None and ref.counts is not None
    assert cur.keys is not None and cur.counts is not None
    ref_keys, cur_keys = ref.keys, cur.keys
    if not ref.numeric:
        ref_keys = ref_keys.astype(str).astype(object)
        cur_keys = cur_keys.astype(str).astype(object)
        if OTHER in set(ref_keys.tolist()):
            known = set(ref_keys.tolist())
            cur_keys = np.array([k if k in known else OTHER for k in cur_keys], dtype=object)
    union = np.unique(np.concatenate((ref_keys, cur_keys)))
    ref_at = np.zeros(union.size, dtype=float)
    cur_at = np.zeros(union.size, dtype=float)
    np.add.at(ref_at, np.searchsorted(union, ref_keys), ref.counts)
    np.add.at(cur_at, np.searchsorted(union, cur_keys), cur.counts)
    return union, ref_at, cur_at
