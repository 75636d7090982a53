"""Monitors: a model's or a dataset's inputs watched window by window against a frozen
reference, with alert rules. Every method blocks (the GUI calls them through its TaskRunner).

The reference is summarised once, when the monitor is added (``monitoring.drift.summarize``),
and stored; checks compare each window against that summary and never reread the reference.
Each window also stores, per column, its distribution against the reference's bins
(``column_distribution``), so :meth:`MonitorService.distribution` needs no reread either.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pyarrow as pa

from mlops_desktop.catalog import monitor_codec as codec
from mlops_desktop.catalog import monitor_repo as repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.monitor_repo import MonitorCounts, MonitorRecord, Seen, StoredWindow
from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.drift import (
    Alert,
    ColumnDistribution,
    DriftWindow,
    ModelScore,
    MonitorInfo,
    RetrainSpec,
)
from mlops_desktop.core.errors import MonitorError, MonitorNotFound, UserFacingError
from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.services import monitor_alerts
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.services.monitor_sources import WindowData, collect
from mlops_desktop.services.monitor_tables import as_drift_table, dataset_version_table, read_file
from mlops_desktop.tracking.who import host_name, os_user

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check added: the new windows (oldest first) and the new alerts."""

    windows: list[DriftWindow] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _info(record: MonitorRecord, counts: MonitorCounts) -> MonitorInfo:
    c = record.config
    state = "alert" if counts.open_alerts else "drifting" if counts.last_drift else "ok"
    return MonitorInfo(
        name=record.name,
        target=record.target,
        reference=record.reference,
        current=record.current,
        plans=tuple(codec.plan_from(p) for p in c.get("plans") or ()),
        window_rows=c.get("window_rows"),
        window_s=c.get("window_s"),
        alert_after=int(c.get("alert_after") or 3),
        alert_window=int(c.get("alert_window") or 5),
        state=state,
        windows=counts.windows,
        open_alerts=counts.open_alerts,
        created_at=record.created_at,
        user=record.user,
        host=record.host,
        retrain=codec.retrain_from(c.get("retrain")),
        label_column=c.get("label_column"),
        prediction_column=c.get("prediction_column"),
    )


class MonitorService(CatalogService):
    """Monitors, their windows and alerts on one catalog.

    Args:
        jobs, models, experiments: the bundle's services the retraining loop uses (made on
            the same catalog when not given).
    """

    def __init__(
        self,
        catalog: Catalog,
        home: Path,
        jobs: Any = None,
        models: Any = None,
        experiments: Any = None,
    ) -> None:
        super().__init__(catalog, home)
        from mlops_desktop.services.datasets import DatasetService

        self.datasets = DatasetService(catalog, home)
        self._services = (jobs, models, experiments)
        self._retrain_loop: Any = None
        # the PipelineTriggerService (the bundle sets it): a "pipeline:NAME" retrain runs there
        self.pipeline_triggers: Any = None

    # --- monitors -------------------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        model: str | None = None,
        reference: str | None = None,
        current_folder: str | None = None,
        current_dataset: str | None = None,
        window_rows: int | None = None,
        window_s: float | None = None,
        alert_after: int = 3,
        alert_window: int = 5,
        retrain: RetrainSpec | None = None,
        methods: dict[str, str] | None = None,
        label_column: str | None = None,
        prediction_column: str | None = None,
        predictions: bool = False,
        rules: dict[str, Any] | None = None,
    ) -> MonitorInfo:
        """Create a monitor and freeze its reference summary.

        Args:
            model: "wine-clf@champion" or "wine-clf@3": the reference is the dataset version
                its source run used (unless ``reference`` is given).
            reference: a dataset version ("wine@v3", "wine" for the newest) or a table file.
            current_folder / current_dataset / predictions: where current data comes from
                (predictions: logged with ``mlops.log_predictions(NAME, ...)``).
            rules: more alert rules: ``alert_column``, ``performance_floor``, ``score_column``.

        Raises:
            MonitorError: a bad name, no reference, an unreadable reference, bad options.
            ModelNotFound, DatasetNotFound: the model or dataset does not exist.
        """
        from mlops_desktop.services.monitor_setup import plan_reference, resolve_reference

        if not _NAME.match(name):
            raise MonitorError(
                f"{name!r} cannot name a monitor: use letters, digits, '.', '_' and '-'."
            )
        if repo.get_monitor(self.catalog, name) is not None:
            raise MonitorError(f"A monitor named {name} exists already; choose another name.")
        if (
            sum(x is not None and x is not False for x in (current_folder, current_dataset))
            + int(predictions)
            > 1
        ):
            raise MonitorError(
                "Give one source of current data: a folder, a dataset or predictions."
            )
        if (window_rows is not None and window_rows < 1) or (
            window_s is not None and window_s <= 0
        ):
            raise MonitorError("A window must hold at least one row or last more than 0 seconds.")
        if alert_after < 1 or alert_window < alert_after:
            raise MonitorError("--alert-after must be at least 1 and at most the alert window.")
        target, ref_label, table = resolve_reference(self, model, reference)
        plans, summary = plan_reference(table, methods, label_column)
        if current_folder:
            current = "folder:" + str(Path(current_folder).expanduser().resolve())
        elif current_dataset:
            self.datasets.versions(current_dataset)  # raises DatasetNotFound
            current = f"dataset:{current_dataset}"
        else:
            current = "predictions"
        config: dict[str, Any] = {
            "plans": [codec.plan_document(p) for p in plans],
            "window_rows": window_rows,
            "window_s": window_s,
            "alert_after": alert_after,
            "alert_window": alert_window,
            "retrain": codec.retrain_document(retrain),
            "label_column": label_column,
            "prediction_column": prediction_column or ("prediction" if predictions else None),
            "methods": dict(methods or {}),
            **dict(rules or {}),
        }
        if current == "predictions" and label_column is None:
            config["label_column"] = "label"
        record = MonitorRecord(
            name, target, ref_label, current, config, time.time(), os_user(), host_name()
        )
        repo.add_monitor(self.catalog, record, summary)
        if current_dataset:  # the versions there now are not current data: only newer ones
            newest = max(v.number for v in self.datasets.versions(current_dataset))
            repo.save_check(self.catalog, name, [], [Seen(f"dataset:{current_dataset}@v{newest}")])
        return _info(record, MonitorCounts())

    def _record(self, name: str) -> MonitorRecord:
        record = repo.get_monitor(self.catalog, name)
        if record is None:
            raise MonitorNotFound(f"No monitor is named {name}; `monitors list` shows them.")
        return record

    def list_monitors(self) -> list[MonitorInfo]:
        counts = repo.counts(self.catalog)
        return [
            _info(r, counts.get(r.name, MonitorCounts())) for r in repo.list_monitors(self.catalog)
        ]

    def get(self, name: str) -> MonitorInfo:
        """Raises MonitorNotFound."""
        record = self._record(name)
        return _info(record, repo.counts(self.catalog).get(name, MonitorCounts()))

    def remove(self, name: str) -> None:
        """Delete a monitor with its windows, alerts and logged predictions."""
        self._record(name)
        repo.remove_monitor(self.catalog, name)

    def windows(self, name: str) -> list[DriftWindow]:
        """The monitor's windows, oldest first."""
        self._record(name)
        return repo.windows(self.catalog, name)

    def alerts(self, name: str | None = None, open_only: bool = False) -> list[Alert]:
        """Alerts of one monitor or all, oldest first."""
        if name is not None:
            self._record(name)
        return repo.alerts(self.catalog, name, open_only)

    def acknowledge(self, alert_id: int) -> Alert:
        """Raises MonitorNotFound when no alert has that id."""
        alert = repo.acknowledge(self.catalog, alert_id)
        if alert is None:
            raise MonitorNotFound(f"No alert has the id {alert_id}; `monitors show` lists them.")
        return alert

    def distribution(self, name: str, column: str, window: int) -> ColumnDistribution:
        """A column of a window beside the reference, as stored when the window was checked.

        Raises:
            MonitorNotFound: no such monitor, window or column.
        """
        self._record(name)
        docs = repo.window_distributions(self.catalog, name, window)
        if docs is None:
            raise MonitorNotFound(f"{name} has no window {window}.")
        if column not in docs:
            raise MonitorNotFound(f"Window {window} of {name} has no distribution of {column}.")
        return codec.distribution_from(docs[column], window)

    # --- checking -------------------------------------------------------------------------

    def check(self, name: str) -> CheckResult:
        """Process what arrived since the last check: new windows, then the alert rules."""
        from mlops_desktop.monitoring import drift

        record = self._record(name)
        summary = drift.ReferenceSummary.from_json(repo.load_summary(self.catalog, name))
        plans = tuple(codec.plan_from(p) for p in record.config.get("plans") or ())
        found = collect(self.catalog, self.datasets, self.home, record)
        first = repo.next_window_index(self.catalog, name)
        stored = [
            self._check_window(name, first + i, data, summary, plans, record.config)
            for i, data in enumerate(found.windows)
        ]
        repo.save_check(self.catalog, name, stored, found.consumed, found.pending)
        self._keep_labelled(name, first, found.windows, record.config.get("label_column"))
        if found.state is not None:
            repo.set_config(self.catalog, name, {**record.config, "state": found.state})
        new_alerts: list[Alert] = []
        if stored:
            every = repo.windows(self.catalog, name)
            raised = monitor_alerts.evaluate(
                name, every, record.config, repo.open_rules(self.catalog, name)
            )
            new_alerts = [
                repo.add_alert(self.catalog, name, a.window, a.rule, a.reason, a.evidence)
                for a in raised
            ]
        if new_alerts and record.config.get("auto_retrain"):
            new_alerts = [self._retrain_by_itself(name, new_alerts[-1]), *new_alerts[:-1]]
        return CheckResult([s.window for s in stored], new_alerts)

    def _retrain_by_itself(self, name: str, alert: Alert) -> Alert:
        """The monitor opted in to retrain on an alert: launch it (a failure is logged, the
        alert stays open for a person)."""
        try:
            self.retrain(name, alert.id)
        except UserFacingError as exc:
            _log.warning("Monitor %s could not retrain by itself: %s", name, exc)
            return alert
        return repo.get_alert(self.catalog, alert.id) or alert

    def _keep_labelled(
        self, name: str, first: int, windows: list[WindowData], label: str | None
    ) -> None:
        """Keep the rows of the newest new window with labels, for scoring models."""
        from mlops_desktop.services.monitor_scores import keep_labelled_rows

        for i in reversed(range(len(windows))):
            table = windows[i].table
            if label and table is not None and label in table.column_names:
                keep_labelled_rows(self.home, name, first + i, table)
                return

    # --- the retraining loop (services/monitor_retrain.py) --------------------------------

    def retrain_loop(self) -> Any:
        """The :class:`~mlops_desktop.services.monitor_retrain.RetrainLoop` of this service."""
        if self._retrain_loop is None:
            from mlops_desktop.services.compute import JobService
            from mlops_desktop.services.experiments import ExperimentService
            from mlops_desktop.services.models import ModelService
            from mlops_desktop.services.monitor_retrain import RetrainLoop

            jobs, models, experiments = self._services
            self._retrain_loop = RetrainLoop(
                self,
                jobs or JobService(self.catalog, self.home),
                models or ModelService(self.catalog, self.home),
                self.datasets,
                experiments or ExperimentService(self.catalog, self.home),
            )
        return self._retrain_loop

    def retrain(self, name: str, alert_id: int | None = None) -> JobInfo | PipelineRunInfo:
        """Launch the monitor's retrain run on the newest data (for the alert, else its newest
        open alert); the alert records the run. A ``pipeline:NAME`` retrain command starts that
        pipeline (a trigger of kind "monitor", once per alert) and returns its pipeline run."""
        return cast("JobInfo | PipelineRunInfo", self.retrain_loop().retrain(name, alert_id))

    def scores(self, name: str, allow_unsandboxed: bool = False) -> list[ModelScore]:
        """The champion and the challengers (versions registered from finished retrain runs)
        scored on the newest labelled window (models are loaded only in a sandbox unless
        ``allow_unsandboxed``: SandboxUnavailableError where none works)."""
        return cast(list[ModelScore], self.retrain_loop().scores(name, allow_unsandboxed))

    def promote(self, name: str, version: str) -> None:
        """Move the monitored alias to ``version`` (audited by the registry)."""
        self.retrain_loop().promote(name, version)

    def version_alerts(self, model: str) -> dict[int, list[str]]:
        """Open alerts of the monitors watching ``model``, by the version they watch now
        (an alias resolves to its version): {version: [reasons]}."""
        from mlops_desktop.services.models import ModelService

        watching = [
            (m, m.target.removeprefix(f"model:{model}@"))
            for m in self.list_monitors()
            if m.target.startswith(f"model:{model}@") and m.open_alerts
        ]
        if not watching:
            return {}
        models = self._services[1] or ModelService(self.catalog, self.home)
        by_alias = {a: v.version for v in models.versions(model) for a in v.aliases}
        found: dict[int, list[str]] = {}
        for monitor, ref in watching:
            version = int(ref) if ref.isdigit() else by_alias.get(ref)
            if version is None:
                continue
            for alert in self.alerts(monitor.name, open_only=True):
                found.setdefault(version, []).append(alert.reason)
        return found

    def record_retrain(self, alert_id: int, run_id: str) -> None:
        """Record on an alert the run "Retrain" launched for it."""
        repo.set_retrain_run(self.catalog, alert_id, run_id)

    def _check_window(
        self,
        name: str,
        index: int,
        data: WindowData,
        summary: Any,
        plans: tuple[Any, ...],
        config: dict[str, Any],
    ) -> StoredWindow:
        from mlops_desktop.monitoring import drift

        rows = data.table.num_rows if data.table is not None else 0
        base = DriftWindow(name, index, rows, data.start, data.end, data.source)
        if data.table is None:
            return StoredWindow(_with(base, problem=data.problem))
        table: pa.Table = data.table
        missing = [p.column for p in plans if p.column not in table.column_names]
        if len(missing) == len(plans):
            return StoredWindow(
                _with(base, problem=f"{data.source} has none of the monitored columns.")
            )
        not_inputs = {config.get("label_column"), config.get("score_column")} - {None}
        inputs = table.drop_columns([c for c in table.column_names if c in not_inputs])
        try:
            report = drift.compare(summary, as_drift_table(inputs), plans)
        except (UserFacingError, ValueError, TypeError, pa.ArrowException) as e:
            return StoredWindow(_with(base, problem=f"{data.source} cannot be compared: {e}"))
        perf = monitor_alerts.performance(
            table,
            config.get("label_column"),
            config.get("prediction_column"),
            config.get("score_column"),
        )
        dists: dict[str, Any] = {}
        current = as_drift_table(table)
        for plan in plans:
            if plan.column in missing:
                continue
            try:
                d = drift.column_distribution(summary, current, plan, index)
            except (UserFacingError, ValueError, TypeError, pa.ArrowException):
                continue
            dists[plan.column] = codec.distribution_document(d)
        problem = None
        if missing:
            problem = f"{data.source} lacks the column(s) {', '.join(missing)}."
        return StoredWindow(_with(base, report=report, performance=perf, problem=problem), dists)


def _with(w: DriftWindow, **changes: Any) -> DriftWindow:
    from dataclasses import replace

    return replace(w, **changes)


__all__ = ["CheckResult", "MonitorService", "dataset_version_table", "read_file"]
