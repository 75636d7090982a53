"""Data drift and model monitors as the app speaks of them: reports, frozen plans, windows,
alerts. No Qt, no SQL, no statistics (those live in :mod:`mlops_desktop.monitoring.drift`).

The JSON documents here are the command line's contract (``drift``, ``monitors ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("numeric", "categorical", "binary")
METHODS = (
    "ks",  # Kolmogorov-Smirnov (p-value)
    "chisquare",  # chi-square goodness of fit of current counts to reference proportions (p)
    "z",  # two-proportion z-test (p)
    "wasserstein",  # Wasserstein distance normed by the reference's standard deviation
    "jensenshannon",  # Jensen-Shannon distance (base e, as scipy)
    "psi",  # population stability index
    "kl",  # Kullback-Leibler divergence
    "hellinger",  # Hellinger distance
    "anderson",  # k-sample Anderson-Darling (p)
)
P_VALUE_METHODS = frozenset({"ks", "chisquare", "z", "anderson"})
MONITOR_STATES = ("ok", "drifting", "alert")


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """How one column is tested, chosen once from the reference alone and then frozen.

    Attributes:
        threshold: a p-value below it (p-value methods), or a distance at or above it, is drift.
        min_effect: the effect size a drift must also reach (0: none required).
    """

    column: str
    kind: str
    method: str
    threshold: float
    min_effect: float = 0.0


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """One column of one comparison.

    Attributes:
        statistic: the method's statistic (KS D, chi-square, z, a distance...).
        p_value: for the p-value methods, else None.
        effect_size: a scale-free size of the shift (for numeric columns the Wasserstein
            distance over the reference's standard deviation; for categorical ones the total
            variation distance), whatever the method.
        missing_share: the share of the current values that were missing or infinite (dropped
            before testing).
        problem: why the column could not be tested ("missing in the current data", ...).
    """

    column: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    effect_size: float | None = None
    missing_share: float = 0.0
    reference_missing_share: float = 0.0
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class DriftReport:
    """A comparison of current data against a reference, column by column.

    Attributes:
        drift_share: the share of tested columns that drifted.
        dataset_drift: at least ``share_threshold`` (default half) of the columns drifted.
        problems: sentences about the data as a whole (extra columns ignored, ...).
    """

    columns: tuple[ColumnDrift, ...]
    dataset_drift: bool
    drift_share: float
    reference_rows: int
    current_rows: int
    problems: tuple[str, ...] = ()


def column_document(c: ColumnDrift) -> dict[str, Any]:
    return {
        "column": c.column,
        "kind": c.kind,
        "method": c.method,
        "statistic": c.statistic,
        "p_value": c.p_value,
        "threshold": c.threshold,
        "drifted": c.drifted,
        "effect_size": c.effect_size,
        "missing_share": c.missing_share,
        "problem": c.problem,
    }


def report_document(r: DriftReport) -> dict[str, Any]:
    """``{dataset_drift, drift_share, columns: [...]}`` as ``drift --json`` prints it."""
    return {
        "dataset_drift": r.dataset_drift,
        "drift_share": r.drift_share,
        "reference_rows": r.reference_rows,
        "current_rows": r.current_rows,
        "problems": list(r.problems),
        "columns": [column_document(c) for c in r.columns],
    }


@dataclass(frozen=True, slots=True)
class RetrainSpec:
    """What "Retrain" launches: the command, where, with how many GPUs, on which data.

    Attributes:
        dataset: the dataset to train on ("wine": its newest version at launch), or None.
    """

    command: tuple[str, ...]
    target: str = "local"
    gpus: int = 0
    dataset: str | None = None
    experiment: str | None = None
    workdir: str = ""


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    """A monitor as lists show it.

    Attributes:
        target: what it watches: "model:NAME@ALIAS_OR_VERSION" or "dataset:NAME".
        reference: the frozen reference ("wine@v3" or a file path).
        current: where current data comes from: "folder:DIR", "dataset:NAME" or
            "predictions" (logged with ``mlops.log_predictions``).
        window_rows, window_s: a window closes after so many rows, or so many seconds.
        alert_after: an alert when K of the last N windows drifted (N = ``alert_window``).
        state: "ok", "drifting" (the last window drifted) or "alert" (an alert is open).
    """

    name: str
    target: str
    reference: str
    current: str
    plans: tuple[ColumnPlan, ...]
    window_rows: int | None = None
    window_s: float | None = None
    alert_after: int = 3
    alert_window: int = 5
    state: str = "ok"
    windows: int = 0
    open_alerts: int = 0
    created_at: float = 0.0
    retrain: RetrainSpec | None = None
    label_column: str | None = None
    prediction_column: str | None = None
    user: str | None = None  # who made the monitor (None: not recorded)
    host: str | None = None  # on which machine


@dataclass(frozen=True, slots=True)
class DriftWindow:
    """One window of current data and what it showed.

    Attributes:
        source: where its rows came from ("batch-07.csv", "wine@v5", "predictions").
        performance: with labels: accuracy, f1, roc_auc (classifiers) or mae, rmse.
        problem: why it could not be checked (unreadable file, ...): the monitor goes on.
    """

    monitor: str
    index: int
    rows: int
    start: float
    end: float
    source: str = ""
    report: DriftReport | None = None
    performance: dict[str, float] = field(default_factory=dict)
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert with its evidence; a person acknowledges it.

    Attributes:
        evidence: what raised it (windows and their drift shares, columns, a metric).
        retrain_run: the run "Retrain" launched for it.
    """

    id: int
    monitor: str
    window: int
    reason: str
    created_at: float
    evidence: dict[str, Any] = field(default_factory=dict)
    acknowledged_at: float | None = None
    retrain_run: str | None = None


def window_document(w: DriftWindow) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "index": w.index,
        "rows": w.rows,
        "start": w.start,
        "end": w.end,
        "source": w.source,
        "dataset_drift": w.report.dataset_drift if w.report else None,
        "drift_share": w.report.drift_share if w.report else None,
        "columns": [column_document(c) for c in w.report.columns] if w.report else [],
        "performance": dict(w.performance),
        "problem": w.problem,
    }
    return doc


def alert_document(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "monitor": a.monitor,
        "window": a.window,
        "reason": a.reason,
        "created_at": a.created_at,
        "acknowledged_at": a.acknowledged_at,
        "retrain_run": a.retrain_run,
        "evidence": dict(a.evidence),
    }


def monitor_document(m: MonitorInfo) -> dict[str, Any]:
    """``{name, target, state, windows, alerts, reference, current, user, host}`` as
    ``monitors list`` prints it."""
    return {
        "name": m.name,
        "target": m.target,
        "state": m.state,
        "windows": m.windows,
        "alerts": m.open_alerts,
        "reference": m.reference,
        "current": m.current,
        "user": m.user,
        "host": m.host,
    }


@dataclass(frozen=True, slots=True)
class ModelScore:
    """A model version scored on one window of current data (the champion or a challenger).

    Attributes:
        version: the version ("3"); ``aliases`` its aliases now ("champion", ...).
        metrics: accuracy, f1, roc_auc (classifiers) or mae, rmse (regressors) on the window.
        run_id: the run that produced the version (for a retrain, the run the alert launched).
        problem: why it could not be scored (no labels in the window, the model failed...).
    """

    model: str
    version: str
    window: int
    metrics: dict[str, float] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    run_id: str | None = None
    alert_id: int | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnDistribution:
    """A column's reference beside one window, for a chart.

    Attributes:
        edges: numeric columns: the bin edges (len(reference) + 1); categorical: empty.
        categories: categorical columns: the category names; numeric: empty.
        reference, current: shares per bin or category (each sums to 1, or all zero).
    """

    column: str
    kind: str
    window: int
    edges: tuple[float, ...]
    categories: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]
