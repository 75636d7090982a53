"""What the ``monitors`` commands print: JSON documents (core.drift's) and text."""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.drift import (
    Alert,
    DriftWindow,
    MonitorInfo,
    monitor_document,
    window_document,
)
from mlops_desktop.core.drift import (
    alert_document as _alert_doc,
)
from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.text import printable


def p(value: Any) -> str:
    """A user-supplied field on one line, control characters escaped."""
    return printable(str(value))


def added_document(m: MonitorInfo) -> dict[str, Any]:
    """``{name, reference, columns: [{column, kind, method}]}``."""
    return {
        "name": m.name,
        "target": m.target,
        "reference": m.reference,
        "current": m.current,
        "retrain": list(m.retrain.command) if m.retrain else None,
        "columns": [
            {"column": p.column, "kind": p.kind, "method": p.method, "threshold": p.threshold}
            for p in m.plans
        ],
        "user": m.user,
        "host": m.host,
    }


def added_text(m: MonitorInfo) -> str:
    lines = [f"monitor {p(m.name)}: reference {p(m.reference)}, current {p(m.current)}"]
    lines += [f"  {p(plan.column):<24} {plan.kind:<12} {plan.method}" for plan in m.plans]
    return "\n".join(lines)


def list_document(monitors: list[MonitorInfo]) -> list[dict[str, Any]]:
    return [monitor_document(m) for m in monitors]


def list_text(monitors: list[MonitorInfo]) -> str:
    if not monitors:
        return "no monitors (add one with `monitors add`)"
    rows = [f"{'NAME':<24} {'STATE':<9} {'WINDOWS':>7} {'ALERTS':>6}  TARGET"]
    rows += [
        f"{p(m.name):<24} {m.state:<9} {m.windows:>7} {m.open_alerts:>6}  {p(m.target)}"
        for m in monitors
    ]
    return "\n".join(rows)


def _window_short(w: DriftWindow) -> dict[str, Any]:
    doc = window_document(w)
    return {
        "index": doc["index"],
        "rows": doc["rows"],
        "source": doc["source"],
        "dataset_drift": doc["dataset_drift"],
        "drift_share": doc["drift_share"],
        "columns": doc["columns"],
        "performance": doc["performance"],
        "problem": doc["problem"],
    }


def show_document(
    show: tuple[MonitorInfo, list[DriftWindow], list[Alert]],
) -> dict[str, Any]:
    m, windows, alerts = show
    doc = monitor_document(m)
    doc["columns"] = added_document(m)["columns"]
    doc["window_rows"], doc["window_s"] = m.window_rows, m.window_s
    doc["alert_after"], doc["alert_window"] = m.alert_after, m.alert_window
    doc["windows"] = [window_document(w) for w in windows]
    doc["alerts"] = [_alert_doc(a) for a in alerts]
    return doc


def _rows(rows: int) -> str:
    """``rows`` counted, right-aligned so windows line up."""
    return f"{count_noun(rows, 'row', thousands=False):>13}"


def _window_line(w: DriftWindow) -> str:
    if w.report is None:
        return f"  window {w.index:>3}  {_rows(w.rows)}  {p(w.source)}: {p(w.problem)}"
    drifted = [p(c.column) for c in w.report.columns if c.drifted]
    flag = "DRIFT" if w.report.dataset_drift else "ok"
    perf = " ".join(f"{p(k)}={v:.3f}" for k, v in w.performance.items())
    text = (
        f"  window {w.index:>3}  {_rows(w.rows)}  {flag:<5} share {w.report.drift_share:.2f}"
        f"  {p(w.source)}"
    )
    if drifted:
        text += f"  drifted: {', '.join(drifted)}"
    if perf:
        text += f"  {perf}"
    if w.problem:
        text += f"  ({p(w.problem)})"
    return text


def _alert_line(a: Alert) -> str:
    state = "acknowledged" if a.acknowledged_at is not None else "open"
    return f"  alert {a.id} (window {a.window}, {state}): {p(a.reason)}"


def show_text(show: tuple[MonitorInfo, list[DriftWindow], list[Alert]]) -> str:
    m, windows, alerts = show
    lines = [
        f"{p(m.name)}: {m.state}, target {p(m.target)}",
        f"reference {p(m.reference)}, current {p(m.current)}",
    ]
    lines += [_window_line(w) for w in windows] or ["  no windows yet"]
    lines += [_alert_line(a) for a in alerts]
    return "\n".join(lines)


def check_document(check: tuple[str, Any]) -> dict[str, Any]:
    """``{monitor, windows: [{index, rows, dataset_drift, drift_share, columns}], alerts}``."""
    name, result = check
    return {
        "monitor": name,
        "windows": [_window_short(w) for w in result.windows],
        "alerts": [_alert_doc(a) for a in result.alerts],
    }


def check_text(check: tuple[str, Any]) -> str:
    name, result = check
    if not result.windows:
        return f"{p(name)}: nothing new"
    lines = [f"{p(name)}: {len(result.windows)} new window(s)"]
    lines += [_window_line(w) for w in result.windows]
    lines += [_alert_line(a) for a in result.alerts]
    return "\n".join(lines)


def alert_document(a: Alert) -> dict[str, Any]:
    return _alert_doc(a)


def alert_text(a: Alert) -> str:
    return _alert_line(a).strip()


def removed_document(name: str) -> dict[str, Any]:
    return {"removed": name}


def removed_text(name: str) -> str:
    return f"removed monitor {p(name)}"
