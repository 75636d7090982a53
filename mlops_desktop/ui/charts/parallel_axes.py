"""Axes of a parallel-coordinates chart, computed from runs without any Qt (easy to test).

Every axis maps each run's value to a position in ``[0, 1]`` (NaN when the run has no usable
value): numbers linearly, or logarithmically when their positive values span two decades or
more (learning rates, weight decays; zeros then sit at the bottom; the person may switch an
axis either way); anything else as evenly spaced categories.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlops_desktop.core.runs import RunSummary

_LOG_SPAN = 100.0  # hi / lo ratio from which a positive numeric axis is drawn in log scale
_ZERO_GAP = 0.12  # on a log axis, zeros sit at 0 and the smallest positive value this high


@dataclass
class ParallelAxis:
    """One vertical axis.

    Attributes:
        column: ``params.NAME`` or ``metrics.NAME`` (``tags.NAME`` works as well).
        title: what the chart prints above the axis.
        positions: one position in ``[0, 1]`` per run, NaN where the value is missing.
        values: the runs' numeric values (NaN if missing or categorical).
        categories: category names from bottom to top, or None for a numeric axis.
        low, high: the numeric range (unused for categorical axes).
        log: whether the numeric axis is logarithmic.
        tick_positions: where the axis has labels, in ``[0, 1]``.
        tick_labels: the label at each tick position (numeric axes; categories otherwise).
        can_log: the axis is numeric with no negative values (a log scale is possible; zeros
            then sit at the bottom, below the smallest positive value).
    """

    column: str
    title: str
    positions: np.ndarray
    values: np.ndarray
    categories: list[str] | None = None
    low: float = math.nan
    high: float = math.nan
    log: bool = False
    tick_positions: list[float] = field(default_factory=list)
    tick_labels: list[str] = field(default_factory=list)
    can_log: bool = False

    @property
    def is_categorical(self) -> bool:
        return self.categories is not None


def column_value(run: RunSummary, column: str) -> Any:
    """The value of ``params.X``, ``metrics.X`` or ``tags.X`` for a run, or None if absent."""
    prefix, _, name = column.partition(".")
    source = {"params": run.params, "metrics": run.metrics, "tags": run.tags}.get(prefix)
    return None if source is None else source.get(name)


def default_columns(runs: list[RunSummary]) -> list[str]:
    """Params whose values differ between the runs, then every metric, each sorted by name."""
    param_keys = sorted({key for run in runs for key in run.params})
    varying = [
        f"params.{key}"
        for key in param_keys
        if len({_hashable(run.params.get(key, _MISSING)) for run in runs}) > 1
    ]
    metrics = sorted({f"metrics.{key}" for run in runs for key in run.metrics})
    return varying + metrics


def build_axes(
    runs: list[RunSummary], columns: list[str], log: Mapping[str, bool] | None = None
) -> list[ParallelAxis]:
    """One axis per column that at least one run has a value for.

    Args:
        log: per column, a log scale chosen by the person (True) or refused (False); columns
            not named get a log scale when their positive values span two decades or more.
    """
    titles = _titles(columns)
    axes = []
    for column in columns:
        raw = [column_value(run, column) for run in runs]
        if all(value is None for value in raw):
            continue
        numbers = _as_numbers(raw)
        if numbers is not None:
            choice = None if log is None else log.get(column)
            axes.append(_numeric_axis(column, titles[column], numbers, choice))
        else:
            axes.append(_categorical_axis(column, titles[column], raw))
    return axes


def format_number(value: float) -> str:
    """Short, readable number for axis labels (``0.001``, ``1.2e+05``, ``42``)."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


_MISSING = object()


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _titles(columns: list[str]) -> dict[str, str]:
    """Column names without their prefix, unless two columns would then read the same."""
    short = {column: column.partition(".")[2] or column for column in columns}
    counts: dict[str, int] = {}
    for name in short.values():
        counts[name] = counts.get(name, 0) + 1
    return {column: name if counts[name] == 1 else column for column, name in short.items()}


def _as_numbers(raw: list[Any]) -> np.ndarray | None:
    """Values as floats (NaN for missing or non-finite) if every present value is a number."""
    out = np.full(len(raw), np.nan)
    for index, value in enumerate(raw):
        if value is None:
            continue
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return None
        else:
            return None
        out[index] = number if math.isfinite(number) else np.nan
    return out


def _numeric_axis(
    column: str, title: str, values: np.ndarray, log_choice: bool | None = None
) -> ParallelAxis:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return ParallelAxis(column, title, np.full(values.size, np.nan), values)
    low, high = float(finite.min()), float(finite.max())
    positive = finite[finite > 0]
    can_log = low >= 0 and positive.size >= 2 and float(positive.max()) > float(positive.min())
    wide = can_log and float(positive.max()) / float(positive.min()) >= _LOG_SPAN
    log = can_log and (wide if log_choice is None else log_choice)
    if high == low:
        positions = np.where(np.isfinite(values), 0.5, np.nan)
        ticks, labels = [0.5], [format_number(low)]
    elif log:
        positions, ticks, labels = _log_positions(values, float(positive.min()), high, low == 0)
    else:
        positions = (values - low) / (high - low)
        ticks, labels = [0.0, 1.0], [format_number(low), format_number(high)]
    return ParallelAxis(
        column, title, positions, values, None, low, high, log, ticks, labels, can_log
    )


def _log_positions(
    values: np.ndarray, low: float, high: float, has_zero: bool
) -> tuple[np.ndarray, list[float], list[str]]:
    """Positions and ticks of a log axis over ``low..high``; zeros (if any) sit at the
    bottom, below a gap, as a log scale has no place for them."""
    base = _ZERO_GAP if has_zero else 0.0
    span = math.log10(high) - math.log10(low)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = base + (1 - base) * (np.log10(values) - math.log10(low)) / span
    positions = np.where(values == 0, 0.0, scaled)
    ticks, labels = log_ticks(low, high)
    ticks = [base + (1 - base) * tick for tick in ticks]
    if has_zero:
        ticks, labels = [0.0, *ticks], ["0", *labels]
    return positions, ticks, labels


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks of a log axis from ``low`` to ``high``: every decade between them (``1e-3``), and
    both ends where no decade is close to them."""
    lo_log, hi_log = math.log10(low), math.log10(high)
    span = hi_log - lo_log
    ticks: list[float] = []
    labels: list[str] = []
    for exponent in range(math.ceil(lo_log - 1e-9), math.floor(hi_log + 1e-9) + 1):
        ticks.append((exponent - lo_log) / span)
        labels.append(decade_label(exponent))
    for end, value in ((0.0, low), (1.0, high)):
        if all(abs(end - tick) > 0.08 for tick in ticks):
            ticks.append(end)
            labels.append(format_number(value))
    order = sorted(range(len(ticks)), key=ticks.__getitem__)
    return [ticks[i] for i in order], [labels[i] for i in order]


def decade_label(exponent: int) -> str:
    """``10 ** exponent`` as a short label: ``0.01``, ``1``, ``1000``, ``1e-4``, ``1e+06``."""
    if -2 <= exponent <= 3:
        return format_number(10.0**exponent)
    return f"1e{exponent:+d}" if exponent > 0 else f"1e{exponent}"


def _categorical_axis(column: str, title: str, raw: list[Any]) -> ParallelAxis:
    labels = [None if value is None else _category_text(value) for value in raw]
    categories = sorted({label for label in labels if label is not None})
    count = len(categories)
    spots = [0.5] if count == 1 else [i / (count - 1) for i in range(count)]
    where = dict(zip(categories, spots))
    positions = np.array([np.nan if label is None else where[label] for label in labels])
    values = np.full(len(raw), np.nan)
    return ParallelAxis(column, title, positions, values, categories, tick_positions=spots)


def _category_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
