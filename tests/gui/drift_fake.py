"""A fake monitor service for the Drift tab: synthetic windows that drift more and more,
alerts that arrive on ``check``, a retrain that "launches" a job, scores and promote."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.drift import (
    Alert,
    ColumnDistribution,
    ColumnDrift,
    ColumnPlan,
    DriftReport,
    DriftWindow,
    ModelScore,
    MonitorInfo,
    RetrainSpec,
)
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.pipelines import PipelineRunInfo

COLUMNS = ("alcohol", "acidity", "sugar", "ph", "color")
PLANS = tuple(
    ColumnPlan(c, "categorical" if c == "color" else "numeric",
               "jensenshannon" if c == "color" else "wasserstein", 0.1)
    for c in COLUMNS
)  # fmt: skip
T0 = 1_700_000_000.0


class MonitorNotFound(UserFacingError):
    pass


def synthetic_window(monitor: str, index: int, drifted: int, rows: int = 1000) -> DriftWindow:
    """Window ``index`` in which the first ``drifted`` columns drifted."""
    cells = []
    for i, plan in enumerate(PLANS):
        shifted = i < drifted
        statistic = 0.02 + 0.015 * i + (0.2 + 0.05 * index if shifted else 0.0)
        cells.append(
            ColumnDrift(plan.column, plan.kind, plan.method, statistic, None, plan.threshold,
                        drifted=statistic >= plan.threshold, effect_size=statistic)
        )  # fmt: skip
    share = sum(c.drifted for c in cells) / len(cells)
    report = DriftReport(tuple(cells), share >= 0.5, share, 5000, rows)
    perf = {"accuracy": 0.9 - 0.05 * drifted, "f1": 0.88 - 0.05 * drifted}
    return DriftWindow(monitor, index, rows, T0 + 60 * index, T0 + 60 * index + 59,
                       f"batch-{index:02d}.csv", report, perf)  # fmt: skip


@dataclass
class FakeCheck:
    windows: list[DriftWindow] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


class FakeMonitors:
    """See the module docstring. ``calls`` records (method, args) of every call."""

    def __init__(self, monitors: int = 2, windows: int = 6) -> None:
        self._lock = threading.Lock()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.monitors: dict[str, MonitorInfo] = {}
        self.windows_of: dict[str, list[DriftWindow]] = {}
        self.alert_log: list[Alert] = []
        self.pending: dict[str, FakeCheck] = {}
        self.jobs: list[JobInfo] = []
        self.aliases = {"1": ("champion",), "2": ()}
        names = ["wine-quality", "churn-inputs", "fraud"][:monitors]
        for n, name in enumerate(names):
            target = "model:wine@champion" if n == 0 else f"dataset:{name}"
            self.monitors[name] = MonitorInfo(
                name, target, "wine@v3", "folder:/data/incoming", PLANS, window_rows=1000,
                retrain=RetrainSpec(("python", "train.py")) if n == 0 else None,
            )  # fmt: skip
            count = windows if n == 0 else 2
            self.windows_of[name] = [synthetic_window(name, i, i if n == 0 else 0)
                                     for i in range(1, count + 1)]  # fmt: skip
        if monitors:
            self._raise("wine-quality", 5, "dataset drift in 3 of the last 5 windows")
        self._refresh_states()

    # --- test helpers --------------------------------------------------------------------
    def _raise(self, name: str, window: int, reason: str) -> Alert:
        alert = Alert(len(self.alert_log) + 1, name, window, reason, T0 + 60 * window,
                      {"windows": [3, 4, 5], "drift_share": 0.6})  # fmt: skip
        self.alert_log.append(alert)
        return alert

    def arrive(self, name: str, drifted: int, alert: str | None = None) -> None:
        """A new window for ``name`` (and an alert) that the next ``check`` reports."""
        with self._lock:
            index = len(self.windows_of[name]) + 1
            window = synthetic_window(name, index, drifted)
            self.windows_of[name].append(window)
            check = self.pending.setdefault(name, FakeCheck())
            check.windows.append(window)
            if alert:
                check.alerts.append(self._raise(name, index, alert))
            self._refresh_states()

    def _refresh_states(self) -> None:
        for name, info in self.monitors.items():
            wins = self.windows_of.get(name, [])
            open_alerts = sum(1 for a in self.alert_log if a.monitor == name
                              and a.acknowledged_at is None)  # fmt: skip
            last = wins[-1].report if wins else None
            state = "alert" if open_alerts else "drifting" if last and last.dataset_drift else "ok"
            self.monitors[name] = replace(info, windows=len(wins), open_alerts=open_alerts,
                                          state=state)  # fmt: skip

    def _log(self, method: str, *args: Any) -> None:
        with self._lock:
            self.calls.append((method, args))

    def called(self, method: str) -> list[tuple[Any, ...]]:
        with self._lock:
            return [args for m, args in self.calls if m == method]

    # --- the service ---------------------------------------------------------------------
    def add(self, name: str, **options: Any) -> MonitorInfo:
        self._log("add", name, options)
        if name in self.monitors:
            raise UserFacingError(f"A monitor named {name} exists already: choose another name.")
        target = f"model:{options['model']}" if options.get("model") else f"dataset:{name}"
        info = MonitorInfo(name, target, options.get("reference") or "wine@v3",
                           f"folder:{options.get('current_folder')}", PLANS,
                           window_rows=options.get("window_rows"),
                           alert_after=options.get("alert_after", 3))  # fmt: skip
        with self._lock:
            self.monitors[name] = info
            self.windows_of[name] = []
        return info

    def list_monitors(self) -> list[MonitorInfo]:
        self._log("list_monitors")
        with self._lock:
            return list(self.monitors.values())

    def get(self, name: str) -> MonitorInfo:
        if name not in self.monitors:
            raise MonitorNotFound(f"No monitor named {name}: see `monitors list`.")
        return self.monitors[name]

    def windows(self, name: str) -> list[DriftWindow]:
        self._log("windows", name)
        with self._lock:
            return list(self.windows_of.get(name, []))

    def alerts(self, name: str | None = None, open_only: bool = False) -> list[Alert]:
        self._log("alerts", name)
        with self._lock:
            return [a for a in self.alert_log if (name is None or a.monitor == name)
                    and not (open_only and a.acknowledged_at)]  # fmt: skip

    def check(self, name: str) -> FakeCheck:
        self._log("check", name)
        with self._lock:
            return self.pending.pop(name, FakeCheck())

    def acknowledge(self, alert_id: int) -> Alert:
        self._log("acknowledge", alert_id)
        with self._lock:
            i = next(i for i, a in enumerate(self.alert_log) if a.id == alert_id)
            self.alert_log[i] = replace(self.alert_log[i], acknowledged_at=time.time())
            self._refresh_states()
            return self.alert_log[i]

    def distribution(self, name: str, column: str, window: int) -> ColumnDistribution:
        self._log("distribution", name, column, window)
        if column == "color":
            return ColumnDistribution(column, "categorical", window, (), ("red", "white"),
                                      (0.6, 0.4), (0.3, 0.7))  # fmt: skip
        edges = tuple(float(e) for e in range(11))
        ref = tuple(0.1 for _ in range(10))
        cur = (*(0.02 * (i + 1) for i in range(9)), 0.1)
        return ColumnDistribution(column, "numeric", window, edges, (), ref, cur)

    def retrain(self, name: str, alert_id: int | None = None) -> JobInfo | PipelineRunInfo:
        self._log("retrain", name, alert_id)
        retrain = self.monitors[name].retrain
        if retrain is not None and retrain.command[0].startswith("pipeline:"):
            run = PipelineRunInfo(f"pipe{len(self.jobs):04d}abcdef",
                                  retrain.command[0].removeprefix("pipeline:"), "", "done",
                                  time.time(), trigger="monitor",
                                  trigger_detail=f"alert {alert_id} of {name}")  # fmt: skip
            with self._lock:
                self.alert_log = [replace(a, retrain_run=run.run_id) if a.id == alert_id else a
                                  for a in self.alert_log]  # fmt: skip
            return run
        job = JobInfo(f"retrain{len(self.jobs):04d}abcdef", "local", "running", time.time(),
                      command=["python", "train.py"])  # fmt: skip
        with self._lock:
            self.jobs.append(job)
            self.alert_log = [replace(a, retrain_run=job.run_id) if a.id == alert_id else a
                              for a in self.alert_log]  # fmt: skip
        return job

    def scores(self, name: str, allow_unsandboxed: bool = False) -> list[ModelScore]:
        self._log("scores", name)
        with self._lock:
            return [
                ModelScore("wine", "1", 8, {"accuracy": 0.71, "f1": 0.69},
                           self.aliases["1"], "run0001champ"),
                ModelScore("wine", "2", 8, {"accuracy": 0.86, "f1": 0.84},
                           self.aliases["2"], "retrain0000abcdef", alert_id=1),
            ]  # fmt: skip

    def promote(self, name: str, version: str) -> None:
        self._log("promote", name, version)
        with self._lock:
            self.aliases = {v: ("champion",) if v == version else () for v in self.aliases}
