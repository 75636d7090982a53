"""How Model compare marks differences: a metric's change as better or worse, differing params.

The rule for "better": a metric is *lower is better* when its name (split at ``/``, ``.``,
``_`` and ``-``) holds one of :data:`LOWER_IS_BETTER_WORDS` (``loss``, ``val/loss``,
``test_rmse``, ``error_rate``...) or ends in ``loss`` (``logloss``); every other metric is
*higher is better* (``acc``, ``f1``, ``auc``, ``r2``...). An increase of a lower-is-better metric
is worse (red); an increase of any other is better (green).
"""

from __future__ import annotations

import math
import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QTableWidget

BETTER_COLOR = "#2ca02c"  # green, readable on light and dark
WORSE_COLOR = "#e0433b"  # red
DIFFERENT_COLOR = "#e08a00"  # amber: a param that differs
LOWER_IS_BETTER_WORDS = frozenset(
    {
        "loss",
        "error",
        "err",
        "mse",
        "mae",
        "rmse",
        "mape",
        "smape",
        "nll",
        "perplexity",
        "ppl",
        "wer",
        "cer",
        "latency",
        "brier",
        "logloss",
    }
)
_WORD = re.compile(r"[/._\-\s]+")


def lower_is_better(metric: str) -> bool:
    """True for losses and errors (see the module docstring for the rule)."""
    words = [w for w in _WORD.split(metric.casefold()) if w]
    return any(w in LOWER_IS_BETTER_WORDS for w in words) or (
        bool(words) and words[-1].endswith("loss")
    )


def change_verdict(metric: str, a: Any, b: Any) -> str:
    """``"better"``, ``"worse"`` or ``""`` (same, not numbers, or not finite) going from a to b."""
    if isinstance(a, bool) or isinstance(b, bool):
        return ""
    if not (isinstance(a, int | float) and isinstance(b, int | float)):
        return ""
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return ""
    up = b > a
    return "worse" if up == lower_is_better(metric) else "better"


def colour_metric_deltas(table: QTableWidget, values: dict[str, tuple[Any, Any]]) -> None:
    """Colour each row's Δ cell (column 3) green when B is better than A, red when worse."""
    for row in range(table.rowCount()):
        key_item, delta = table.item(row, 0), table.item(row, 3)
        if key_item is None or delta is None:
            continue
        key = key_item.data(Qt.ItemDataRole.UserRole) or key_item.text()
        a, b = values.get(key, (None, None))
        verdict = change_verdict(key, a, b)
        if not verdict:
            continue
        delta.setForeground(QColor(BETTER_COLOR if verdict == "better" else WORSE_COLOR))
        font = QFont(delta.font())
        font.setBold(True)
        delta.setFont(font)
        rule = "lower is better" if lower_is_better(key) else "higher is better"
        delta.setToolTip(f"B is {verdict} than A ({rule} for {key})")


def highlight_different_params(table: QTableWidget, values: dict[str, tuple[Any, Any]]) -> None:
    """Mark the params whose A and B differ: amber, bold, with a tooltip."""
    for row in range(table.rowCount()):
        key_item = table.item(row, 0)
        if key_item is None:
            continue
        key = key_item.data(Qt.ItemDataRole.UserRole) or key_item.text()
        a, b = values.get(key, (None, None))
        if a == b and type(a) is type(b):
            continue
        for column in range(table.columnCount()):
            item = table.item(row, column)
            if item is None:
                continue
            item.setForeground(QColor(DIFFERENT_COLOR))
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
            item.setToolTip(f"{key} differs between A and B")
