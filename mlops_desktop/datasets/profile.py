"""Column statistics over a stream of record batches, in one pass and bounded memory.

Per column, vectorised per batch (pyarrow.compute and NumPy, no Python loop over values):

* count (all rows), missing (nulls and, for floats, NaN);
* distinct: a k-minimum-values sketch over 64-bit hashes. It is **exact** while the column has
  fewer distinct values than the sketch holds (100,000 for a table of 20 columns, less for very
  wide tables), and an estimate (about 1 % error) beyond that. Numbers hash by a bijection, so
  exact counts are truly exact; strings use Python's 64-bit ``hash``;
* numeric: min, max (exact), mean and sample std (ddof=1; Chan's parallel merge of per-batch
  moments), quantiles p05..p95 and a 30-bin histogram over [min, max] from a uniform reservoir
  sample (exact while the column has no more values than the reservoir; the histogram's counts
  are scaled to the column's count);
* strings and booleans: top 10 values with counts (exact while there are fewer distinct values
  than the cap; beyond it the rarer values are dropped and later counts are approximate);
* temporal: min, max and distinct.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlops_desktop.core.datasets import ColumnProfile
from mlops_desktop.datasets.rowhash import mix64, numeric_bits, string_hashes

VALUE_BUDGET = 2_000_000  # values kept (reservoirs, sketches) across all columns
MAX_PER_COLUMN = 100_000
MIN_PER_COLUMN = 256
HIST_BINS = 30
TOP = 10
QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


class DistinctSketch:
    """k minimum values of 64-bit hashes: exact below k distinct, an estimate above.

    New hashes are buffered and merged (sorted, deduplicated, cut to k) when the buffer holds
    k of them, so each value costs a comparison and, rarely, a share of one sort.
    """

    def __init__(self, k: int) -> None:
        self.k = k
        self.hashes = np.empty(0, dtype=np.uint64)
        self.buffer: list[np.ndarray] = []
        self.buffered = 0
        self.full = False

    def add(self, hashes: np.ndarray) -> None:
        if self.full:
            hashes = hashes[hashes < self.hashes[-1]]
        if not len(hashes):
            return
        self.buffer.append(hashes)
        self.buffered += len(hashes)
        if self.buffered >= self.k:
            self._merge()

    def _merge(self) -> None:
        if not self.buffer:
            return
        merged = np.sort(np.concatenate([self.hashes, *self.buffer]))
        if len(merged) > 1:
            merged = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
        if len(merged) > self.k:
            merged, self.full = merged[: self.k], True
        self.hashes, self.buffer, self.buffered = merged, [], 0

    def estimate(self) -> int:
        self._merge()
        if not self.full:
            return len(self.hashes)
        return int((self.k - 1) / (float(self.hashes[-1]) / 2.0**64))


class ColumnStats:
    """Accumulates one column; ``kind_hint`` is fixed by the first batch's arrow type."""

    def __init__(self, name: str, dtype: pa.DataType, k: int, rng: np.random.Generator) -> None:
        self.name, self.dtype, self.k, self.rng = name, dtype, k, rng
        self.count = self.missing = 0
        self.distinct = DistinctSketch(k)
        self.n = 0
        self.mean = self.m2 = 0.0
        self.min: object = None
        self.max: object = None
        self.res_values = np.empty(0, dtype=np.float64)
        self.res_keys = np.empty(0, dtype=np.float64)
        self.res_limit = 1.0
        self.counts: dict[object, int] = {}
        self.counts_exact = True
        self.kind = _kind_of(dtype)

    def add(self, arr: pa.Array) -> None:
        self.count += len(arr)
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        nulls = arr.null_count
        self.missing += nulls
        if nulls:
            arr = arr.drop_null()
        if not len(arr) or self.kind == "other":
            return
        if self.kind == "numeric":
            self._add_numeric(arr)
        elif self.kind == "temporal":
            self._add_temporal(arr)
        else:
            self._add_values(arr)

    def _add_numeric(self, arr: pa.Array) -> None:
        if pa.types.is_decimal(arr.type):
            arr = arr.cast(pa.float64())
        raw = arr.to_numpy(zero_copy_only=False)
        if raw.dtype.kind == "f":
            nan = np.isnan(raw)
            n_nan = int(nan.sum())
            if n_nan:
                self.missing += n_nan
                raw = raw[~nan]
            if not len(raw):
                return
        lo, hi = raw.min(), raw.max()
        self.min = lo.item() if self.min is None else min(self.min, lo.item())
        self.max = hi.item() if self.max is None else max(self.max, hi.item())
        if self.distinct.full:
            self.distinct.add(mix64(numeric_bits(raw)))
        else:
            unique = pc.unique(arr).to_numpy(zero_copy_only=False)
            self.distinct.add(
                mix64(
                    numeric_bits(unique[~np.isnan(unique)] if unique.dtype.kind == "f" else unique)
                )
            )
        values = raw.astype(np.float64, copy=False)
        n_b = len(values)
        mean_b = float(values.mean())
        m2_b = float(np.square(values - mean_b).sum())
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / n
        self.m2 += m2_b + delta * delta * self.n * n_b / n
        self.n = n
        self._sample(values)

    def _sample(self, values: np.ndarray) -> None:
        """Bottom-k random keys: a uniform sample of k values, compacted when 2k are held."""
        keys = self.rng.random(len(values))
        if self.res_limit < 1.0:
            keep = keys < self.res_limit
            keys, values = keys[keep], values[keep]
        if not len(keys):
            return
        self.res_keys = np.concatenate([self.res_keys, keys])
        self.res_values = np.concatenate([self.res_values, values])
        if len(self.res_keys) >= 2 * self.k:
            self._compact()

    def _compact(self) -> None:
        if len(self.res_keys) > self.k:
            idx = np.argpartition(self.res_keys, self.k - 1)[: self.k]
            self.res_keys, self.res_values = self.res_keys[idx], self.res_values[idx]
            self.res_limit = float(self.res_keys.max())

    def _add_temporal(self, arr: pa.Array) -> None:
        bits = arr.view(pa.int64() if arr.type.bit_width == 64 else pa.int32()).to_numpy()
        self.distinct.add(mix64(bits.astype(np.int64).view(np.uint64)))
        mm = pc.min_max(arr)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)

    def _add_values(self, arr: pa.Array) -> None:
        vc = pc.value_counts(arr)
        values = vc.field("values")
        counts = vc.field("counts").to_numpy()
        self.distinct.add(mix64(string_hashes(values)))
        merged = self.counts
        for value, c in zip(values.to_pylist(), counts.tolist(), strict=True):
            merged[value] = merged.get(value, 0) + c
        if len(merged) > self.k:
            kept = sorted(merged.items(), key=lambda kv: -kv[1])[: self.k // 2]
            self.counts, self.counts_exact = dict(kept), False

    def result(self) -> ColumnProfile:
        distinct = self.distinct.estimate() if self.count > self.missing else 0
        kind = self.kind
        if kind == "categorical":
            valid = self.count - self.missing
            if distinct > 20 and (distinct > 1000 or distinct > 0.5 * valid):
                kind = "text"
        top = sorted(self.counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:TOP]
        profile = ColumnProfile(
            name=self.name,
            type=str(self.dtype),
            kind=kind,
            count=self.count,
            missing=self.missing,
            distinct=distinct if kind != "other" else None,
            min=_plain(self.min),
            max=_plain(self.max),
            top=[(_label(v), int(c)) for v, c in top],
        )
        if kind != "numeric" or self.n == 0:
            return profile
        self._compact()
        sample = self.res_values
        qs = np.quantile(sample, list(QUANTILES.values()))
        lo, hi = float(self.min), float(self.max)  # type: ignore[arg-type]
        counts, edges = np.histogram(sample, bins=HIST_BINS if hi > lo else 1, range=(lo, hi))
        scale = self.n / len(sample)
        return ColumnProfile(
            **{
                f: getattr(profile, f)
                for f in ("name", "type", "kind", "count", "missing", "distinct", "min", "max")
            },
            mean=self.mean,
            std=float(np.sqrt(self.m2 / (self.n - 1))) if self.n > 1 else 0.0,
            quantiles={k: float(q) for k, q in zip(QUANTILES, qs, strict=True)},
            histogram=(edges.tolist(), [round(float(c) * scale) for c in counts]),
        )


def _plain(value: object) -> object:
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)


def _label(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _kind_of(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_temporal(t) and t.bit_width in (32, 64):
        return "temporal"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
        return "categorical"
    if pa.types.is_large_binary(t) or pa.types.is_string_view(t):
        return "categorical"
    return "other"


class TableProfiler:
    """A batch sink that profiles every column it sees (columns in order of appearance)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.columns: dict[str, ColumnStats] = {}
        self.rng = np.random.default_rng(self.seed)

    def add(self, batch: pa.RecordBatch) -> None:
        if not self.columns:
            self.per_column = max(
                MIN_PER_COLUMN, min(MAX_PER_COLUMN, VALUE_BUDGET // max(1, batch.num_columns))
            )
        for name, arr in zip(batch.schema.names, batch.columns, strict=True):
            stats = self.columns.get(name)
            if stats is None:
                stats = self.columns[name] = ColumnStats(name, arr.type, self.per_column, self.rng)
            stats.add(arr)

    def results(self) -> list[ColumnProfile]:
        return [s.result() for s in self.columns.values()]
