"""One monitor's page: what it watches, drift share and performance over windows, the heat map
of columns x windows with a column's distributions, the alert log and the scored versions.

Every service call goes through the TaskRunner with a key per kind (the latest request wins),
so switching monitors quickly never shows one monitor's data under another's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.drift import (
    Alert,
    ColumnDistribution,
    DriftWindow,
    ModelScore,
    MonitorInfo,
)
from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, shown_html, shown_text
from mlops_desktop.ui.navigation import AppEvents, Navigator
from mlops_desktop.ui.panes.monitors.drift_actions import AlertsPanel, ChallengersPanel
from mlops_desktop.ui.panes.monitors.drift_charts import (
    DistributionChart,
    DriftShareChart,
    PerformanceChart,
)
from mlops_desktop.ui.panes.monitors.drift_heatmap import HeatmapModel, heatmap_view
from mlops_desktop.ui.panes.monitors.drift_models import STATE_COLORS, STATE_TEXT
from mlops_desktop.ui.panes.monitors.drift_source import MonitorSource, RetrainLoopSource
from mlops_desktop.ui.panes.monitors.sparkline import is_dark
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import heading_label


def _page(source: MonitorSource, name: str, *, state: TaskState) -> tuple[list, list]:
    return source.windows(name), source.alerts(name)


def _call(fn: Callable[..., object], *args: object, state: TaskState) -> object:
    return fn(*args)


def monitored_alias(target: str) -> str | None:
    """The alias a model monitor follows (``model:wine@champion`` -> ``champion``)."""
    if not target.startswith("model:") or "@" not in target:
        return None
    ref = target.rsplit("@", 1)[1]
    return None if ref.lstrip("v").isdigit() else ref


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class MonitorPage(QWidget):
    """See the module docstring.

    Signals:
        checkRequested(str): "Check now" for this monitor (the tab runs checks).
        changed(str): something of this monitor changed here (acknowledged, promoted, a retrain
            launched): the list's state and badges should be reloaded.
        loaded(str): the monitor's windows and alerts are shown (tests).
    """

    checkRequested = Signal(str)
    changed = Signal(str)
    loaded = Signal(str)

    def __init__(
        self,
        source: MonitorSource,
        runner: TaskRunner,
        navigator: Navigator,
        events: AppEvents,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._loop = source if isinstance(source, RetrainLoopSource) else None
        self._runner = runner
        self._navigator = navigator
        self._events = events
        self.confirm: Callable[[str, str], bool] = lambda t, x: ask_yes_no(self, t, x)
        self.monitor: MonitorInfo | None = None
        self.windows: list[DriftWindow] = []
        self.title = heading_label("")
        self.state_label = QLabel()
        self.facts = QLabel()
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.check_button = QPushButton("Check now")
        self.check_button.setToolTip("Process the data that arrived since the last check")
        self.share_chart = DriftShareChart()
        self.performance_chart = PerformanceChart()
        self.heatmap = HeatmapModel(self)
        self.heatmap_view = heatmap_view(self.heatmap)
        self.distribution = DistributionChart()
        self.alerts = AlertsPanel()
        self.challengers = ChallengersPanel()
        self._build()
        self.check_button.clicked.connect(self._on_check)
        self.heatmap_view.clicked.connect(self.show_cell)
        self.alerts.acknowledgeRequested.connect(self.acknowledge)
        self.alerts.retrainRequested.connect(self.retrain)
        self.alerts.runRequested.connect(self._navigator.show_run)
        self.challengers.promoteRequested.connect(self.promote)
        self.challengers.runRequested.connect(self._navigator.show_run)

    def _build(self) -> None:
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.state_label)
        head.addStretch(1)
        head.addWidget(self.check_button)
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.share_chart)
        charts.addWidget(self.performance_chart)
        self.performance_chart.setVisible(False)
        charts.setSizes([600, 340])
        maps = QSplitter(Qt.Orientation.Horizontal)
        maps.addWidget(self.heatmap_view)
        maps.addWidget(self.distribution)
        maps.setSizes([520, 380])
        self.lower_tabs = QTabWidget()
        self.lower_tabs.setDocumentMode(True)
        self.lower_tabs.addTab(self.alerts, "Alerts")
        self.lower_tabs.addTab(self.challengers, "Champion and challengers")
        self.split = QSplitter(Qt.Orientation.Vertical)
        for part in (charts, maps, self.lower_tabs):
            self.split.addWidget(part)
        self.split.setSizes([200, 220, 180])
        self.split.setChildrenCollapsible(False)
        if self._loop is None:  # a monitor service without the retraining loop
            self.lower_tabs.removeTab(self.lower_tabs.indexOf(self.challengers))
            self.alerts.retrain_button.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(head)
        layout.addWidget(self.facts)
        layout.addWidget(self.message)
        layout.addWidget(self.split, 1)
        self.message.setVisible(False)

    # --- showing -------------------------------------------------------------------------
    def show_monitor(self, info: MonitorInfo, reload: bool = True) -> None:
        """Show ``info``'s header now and load its windows, alerts and scores."""
        same = self.monitor is not None and self.monitor.name == info.name
        self.monitor = info
        self.title.setText(shown_html(info.name))
        color = STATE_COLORS.get(info.state, "#8e8e93")
        badge = f" · {info.open_alerts} open" if info.open_alerts else ""
        self.state_label.setText(
            f"<span style='color:{color}'>●</span> {shown_html(info.state)}{badge}"
        )
        self.state_label.setToolTip(STATE_TEXT.get(info.state, ""))
        window = (
            count_noun(info.window_rows, "row")
            if info.window_rows
            else f"{info.window_s:g} s"
            if info.window_s
            else "each arrival"
        )
        facts = (
            ("Watches", info.target),
            ("Reference", info.reference),
            ("Current data", info.current),
            ("Window", window),
            (
                "Alert",
                f"{info.alert_after} of the last {count_noun(info.alert_window, 'window')} drifted",
            ),
        )
        self.facts.setText(" &nbsp;·&nbsp; ".join(f"<b>{k}</b> {shown_html(v)}" for k, v in facts))
        self.challengers.monitored_alias = monitored_alias(info.target)
        if not same:
            self.set_windows([])
            self.alerts.set_alerts([])
            self.challengers.set_scores([])
            self.alerts.status.clear()
            self.alerts.open_run_button.setVisible(False)
            self.show_message("")
        if reload:
            self.reload()

    def reload(self) -> None:
        """Load the shown monitor's windows, alerts and scores again."""
        if self.monitor is None:
            return
        name = self.monitor.name
        self._runner.submit(
            _page,
            self._source,
            name,
            key=(self, "page"),
            on_done=lambda result: self.set_page(name, *result),
            on_failed=self._on_failed,
        )
        if self._loop is None:
            return
        self._runner.submit(
            _call,
            self._loop.scores,
            name,
            key=(self, "scores"),
            on_done=lambda scores: self._on_scores(name, scores),
            on_failed=self._on_failed,
        )

    def set_page(self, name: str, windows: list[DriftWindow], alerts: list[Alert]) -> None:
        if self.monitor is None or self.monitor.name != name:
            return
        self.set_windows(windows)
        self.alerts.set_alerts(alerts)
        self.loaded.emit(name)

    def set_windows(self, windows: list[DriftWindow]) -> None:
        self.windows = list(windows)
        self.share_chart.set_windows(self.windows)
        self.performance_chart.setVisible(self.performance_chart.set_windows(self.windows))
        plans = [p.column for p in self.monitor.plans] if self.monitor else []
        self.heatmap.set_dark(is_dark(self))
        self.heatmap.set_windows(self.windows, plans)
        if self.windows:
            self.heatmap_view.scrollTo(self.heatmap.index(0, len(self.windows) - 1))

    def _on_scores(self, name: str, scores: list[ModelScore]) -> None:
        if self.monitor is not None and self.monitor.name == name:
            self.challengers.set_scores(scores)

    def show_message(self, text: str, error: bool = False) -> None:
        color = STATE_COLORS["alert"] if error else ""
        style = f"color:{color}" if color else ""
        self.message.setText(f"<span style='{style}'>{shown_html(text)}</span>")
        self.message.setVisible(bool(text))

    def apply_theme(self) -> None:
        """Recolour what does not follow the palette by itself (the heat map's cells)."""
        self.heatmap.set_dark(is_dark(self))
        self.heatmap_view.viewport().update()

    # --- the heat map's cells ------------------------------------------------------------
    def show_cell(self, index: QModelIndex) -> None:
        """Load and draw the distributions of the clicked cell's column in its window."""
        if self.monitor is None or not index.isValid():
            return
        column = self.heatmap.columns[index.row()]
        window = self.heatmap.windows[index.column()].index
        name = self.monitor.name
        self._runner.submit(
            _call,
            self._source.distribution,
            name,
            column,
            window,
            key=(self, "distribution"),
            on_done=lambda d: self._on_distribution(name, d),
            on_failed=self._on_failed,
        )

    def _on_distribution(self, name: str, d: ColumnDistribution) -> None:
        if self.monitor is not None and self.monitor.name == name:
            self.distribution.set_distribution(d)

    # --- actions -------------------------------------------------------------------------
    def acknowledge(self, alert_id: int) -> None:
        self._run(self._source.acknowledge, alert_id, then=lambda _alert: self._after_change())

    def retrain(self, alert_id: int | None) -> None:
        """Launch the monitor's retrain spec (for ``alert_id``), then offer to open the run."""
        if self.monitor is None or self._loop is None:
            return
        name = self.monitor.name
        command = tuple(self.monitor.retrain.command) if self.monitor.retrain else ()
        if len(command) == 1 and command[0].startswith("pipeline:"):
            pipeline = command[0].removeprefix("pipeline:")
            self.alerts.status.setText(f"Running pipeline {pipeline} to retrain…")
        else:
            self.alerts.status.setText("Launching the retrain run…")
        self._run(
            self._loop.retrain,
            name,
            alert_id,
            then=lambda job: self._on_retrain_launched(name, job),
            label=f"Retraining {name}",
        )

    def _on_retrain_launched(self, name: str, job: JobInfo | PipelineRunInfo) -> None:
        if isinstance(job, PipelineRunInfo):
            text = (
                f"Retrain of {name}: pipeline {job.pipeline}, run {job.run_id[:8]} "
                f"({job.state}; {job.trigger_detail})."
            )
        else:
            text = (
                f"Retrain of {name} launched: run {job.run_id[:8]} on {job.target} ({job.state})."
            )
        self.alerts.show_launched(job.run_id, text)
        self._events.show_status(text)
        self._after_change()

    def promote(self, score: ModelScore) -> None:
        """Move the monitored alias to ``score``'s version, once the person confirms."""
        if self.monitor is None or self._loop is None:
            return
        alias = self.challengers.monitored_alias or "the monitored alias"
        text = (
            f"Move {alias} of {score.model} to version {score.version}? The registry's audit "
            "log records the change."
        )
        if not self.confirm("Promote version", text):
            return
        name = self.monitor.name
        self._run(
            self._loop.promote,
            name,
            score.version,
            then=lambda _none: self._on_promoted(score),
        )

    def _on_promoted(self, score: ModelScore) -> None:
        self._events.show_status(shown_text(f"{score.model} version {score.version} promoted."))
        self._after_change()

    def _run(
        self,
        fn: Callable[..., object],
        *args: object,
        then: Callable[[Any], None],
        label: str | None = None,
    ) -> None:
        self.alerts.update_enabled(busy=True)
        self.challengers.update_enabled(busy=True)
        handle = self._runner.submit(
            _call, fn, *args, on_done=then, on_failed=self._on_failed, label=label
        )
        handle.finished.connect(self._on_action_finished)

    def _on_action_finished(self) -> None:
        self.alerts.update_enabled()
        self.challengers.update_enabled()

    def _after_change(self) -> None:
        if self.monitor is not None:
            self.changed.emit(self.monitor.name)
            self.reload()

    def _on_check(self) -> None:
        if self.monitor is not None:
            self.checkRequested.emit(self.monitor.name)

    def _on_failed(self, failure: Failure) -> None:
        self.show_message(str(failure), error=True)
        if self.alerts.status.text().startswith("Launching"):
            self.alerts.status.clear()
