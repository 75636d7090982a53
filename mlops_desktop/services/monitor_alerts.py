"""A window's performance when it has labels, and the alert rules of a monitor.

Rules (config keys): ``alert_after`` of the last ``alert_window`` windows with dataset drift
(rule "dataset_drift"); ``alert_column`` drifting in ``alert_after`` of the last
``alert_window`` windows (rule "column:NAME"); ``performance_floor`` ``{metric: minimum}``
under which the newest window's metric falls (rule "performance:METRIC"). A rule with an open
alert raises no new one until that alert is acknowledged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from mlops_desktop.core.drift import DriftWindow
from mlops_desktop.core.plural import count_noun


def performance(
    table: pa.Table, label: str | None, prediction: str | None, score: str | None = None
) -> dict[str, float]:
    """accuracy, f1 (macro) and roc_auc (binary labels with a score column) for classifiers;
    mae and rmse for numeric targets with many values; {} without labels."""
    if not label or not prediction:
        return {}
    names = table.column_names
    if label not in names or prediction not in names:
        return {}
    y = table[label].to_pylist()
    p = table[prediction].to_pylist()
    pairs = [(a, b) for a, b in zip(y, p, strict=True) if a is not None and b is not None]
    if not pairs:
        return {}
    ys, ps = [a for a, _ in pairs], [b for _, b in pairs]
    from sklearn import metrics

    numeric = pa.types.is_floating(table[label].type) and len(set(ys)) > 20
    if numeric:
        mae = metrics.mean_absolute_error(ys, ps)
        return {"mae": float(mae), "rmse": float(math.sqrt(metrics.mean_squared_error(ys, ps)))}
    ys_s, ps_s = [str(a) for a in ys], [str(b) for b in ps]
    out = {
        "accuracy": float(metrics.accuracy_score(ys_s, ps_s)),
        "f1": float(metrics.f1_score(ys_s, ps_s, average="macro")),
    }
    if score and score in names and len(set(ys_s)) == 2:
        scores = table[score].to_pylist()
        kept = [(a, s) for a, s in zip(y, scores, strict=True) if a is not None and s is not None]
        if len({str(a) for a, _ in kept}) == 2:
            out["roc_auc"] = float(
                metrics.roc_auc_score([str(a) for a, _ in kept], [float(s) for _, s in kept])
            )
    return out


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """An alert a rule raises: its rule, the window, a sentence, the evidence."""

    rule: str
    window: int
    reason: str
    evidence: dict[str, Any]


def _drifted(w: DriftWindow) -> bool:
    return bool(w.report and w.report.dataset_drift)


def _column_drifted(w: DriftWindow, column: str) -> bool:
    return bool(w.report and any(c.column == column and c.drifted for c in w.report.columns))


def evaluate(
    name: str, windows: Sequence[DriftWindow], config: dict[str, Any], open_rules: set[str]
) -> list[RaisedAlert]:
    """The alerts the rules raise on the newest window (none for rules with an open alert)."""
    checked = [w for w in windows if w.report is not None]
    if not checked:
        return []
    k = int(config.get("alert_after") or 3)
    n = max(int(config.get("alert_window") or 5), k)
    last = checked[-n:]
    newest = checked[-1]
    out: list[RaisedAlert] = []
    hits = [w for w in last if _drifted(w)]
    if "dataset_drift" not in open_rules and _drifted(newest) and len(hits) >= k:
        out.append(
            RaisedAlert(
                "dataset_drift",
                newest.index,
                f"{name}: dataset drift in {len(hits)} of the last "
                f"{count_noun(len(last), 'window')}.",
                {
                    "windows": [w.index for w in hits],
                    "drift_shares": [w.report.drift_share for w in hits if w.report],
                    "columns": sorted(
                        {c.column for c in newest.report.columns if c.drifted}
                        if newest.report
                        else set()
                    ),
                },
            )
        )
    column = config.get("alert_column")
    rule = f"column:{column}"
    if column and rule not in open_rules and _column_drifted(newest, column):
        col_hits = [w.index for w in last if _column_drifted(w, column)]
        if len(col_hits) >= k:
            out.append(
                RaisedAlert(
                    rule,
                    newest.index,
                    f"{name}: column {column} drifted in {len(col_hits)} of the last "
                    f"{count_noun(len(last), 'window')}.",
                    {"windows": col_hits, "column": column},
                )
            )
    for metric, floor in dict(config.get("performance_floor") or {}).items():
        value = newest.performance.get(metric)
        rule = f"performance:{metric}"
        if value is None or rule in open_rules or value >= float(floor):
            continue
        out.append(
            RaisedAlert(
                rule,
                newest.index,
                f"{name}: {metric} fell to {value:.3g}, under the floor of {float(floor):.3g}.",
                {"metric": metric, "value": value, "floor": float(floor), "window": newest.index},
            )
        )
    return out
