"""The Monitors pane: live hardware of every machine (the Hardware tab) and the drift of
models and datasets over time (the Drift tab, where a monitor service is there).

A tab widget; with one tab the tab bar hides itself. The watch (and the drift checks) start
with :meth:`MonitorsPane.start_live` (or the first time the pane shows) and stop in
:meth:`MonitorsPane.shutdown`.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from mlops_desktop.monitoring.idle import IDLE_UTIL_PERCENT, IdleRun
from mlops_desktop.services.notifications import gpu_idle_notice
from mlops_desktop.ui.navigation import AppEvents, Navigator, ShowMonitor
from mlops_desktop.ui.panes.monitors.drift import DriftView
from mlops_desktop.ui.panes.monitors.drift_source import MonitorSource
from mlops_desktop.ui.panes.monitors.hardware import HardwareView
from mlops_desktop.ui.panes.monitors.source import HardwareSource
from mlops_desktop.ui.panes.registry import Pane, PaneContext, register_pane
from mlops_desktop.ui.read_only import WriteGuard
from mlops_desktop.ui.tasks import TaskRunner


class MonitorsPane(Pane):
    """See the module docstring. ``source`` is ``services.hardware`` (None: nothing to watch);
    ``drift`` is ``services.monitors`` (None: no Drift tab)."""

    def __init__(
        self,
        source: HardwareSource | None,
        runner: TaskRunner,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
        drift: MonitorSource | None = None,
    ) -> None:
        super().__init__(navigator, events, parent)
        self.hardware = HardwareView(source, runner, self.navigator)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)
        self.tabs.addTab(self.hardware, "Hardware")
        self.drift: DriftView | None = None
        if drift is not None:
            self.drift = DriftView(drift, runner, self.navigator, self.events)
            self.tabs.addTab(self.drift, "Drift")
            self.drift.openAlertsChanged.connect(self._badge_drift_tab)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._started = False
        self._source = source
        self._idle_notes: dict[str, str] = {}
        self.events.themeChanged.connect(self._on_theme_changed)
        self.hardware.updatesShown.connect(self._check_idle)
        self.tabs.currentChanged.connect(lambda _index: self.selectionChanged.emit())
        self.hardware.hostSelected.connect(lambda _name: self.selectionChanged.emit())
        if self.drift is not None:
            selection = self.drift.table.selectionModel()
            selection.selectionChanged.connect(lambda *_: self.selectionChanged.emit())

    def show_monitor(self, name: str) -> None:
        """The Drift tab with the monitor ``name`` selected (once listed)."""
        if self.drift is not None:
            self.tabs.setCurrentWidget(self.drift)
            self.drift.select_monitor(name)

    def _on_theme_changed(self, _dark: bool) -> None:
        self.hardware.redraw_all()
        if self.drift is not None:
            self.drift.page.apply_theme()

    def _badge_drift_tab(self, open_alerts: int) -> None:
        if self.drift is not None:
            index = self.tabs.indexOf(self.drift)
            self.tabs.setTabText(index, f"Drift ({open_alerts})" if open_alerts else "Drift")

    def _check_idle(self, _count: int) -> None:
        """Badge the runs whose GPUs stay idle, and tell the person once per run."""
        if self._source is None:
            return
        notes = {run: self._idle_note(idle) for run, idle in self._source.idle_runs().items()}
        if notes == self._idle_notes:
            return
        told = self._idle_notes
        self.events.post_notices(
            [gpu_idle_notice(run, note) for run, note in notes.items() if run not in told]
        )
        self._idle_notes = notes
        self.events.idleRunsChanged.emit(dict(notes))

    def _idle_note(self, idle: IdleRun) -> str:
        sample = self.hardware.latest.get(idle.host)
        names = sample.extra.get("run_names", {}) if sample is not None else {}
        who = names.get(idle.run_id) or idle.run_id[:8]
        gpus = ", ".join(str(i) for i in idle.gpus)
        since = time.strftime("%H:%M", time.localtime(idle.since))
        return (
            f"Run {who} has kept GPU {gpus} on {idle.host} under {IDLE_UTIL_PERCENT:.0f} % "
            f"since {since}: is it stuck, or waiting on data?"
        )

    def write_controls(self) -> list[QAction | QWidget]:
        drift = self.drift.write_controls() if self.drift is not None else []
        return [self.hardware.launch_button, *drift]

    def enter_read_only(self, guard: WriteGuard) -> None:
        super().enter_read_only(guard)
        if self.drift is not None:
            self.drift.checks_live = False  # other desktops check; this one shows

    def start_live(self) -> None:
        """Start watching every machine (the app calls it at start)."""
        self._started = True
        self.hardware.start()
        if self.drift is not None:
            self.drift.start()

    def refresh(self) -> None:
        """List the machines again (F5): new SSH hosts, Slurm nodes of new jobs."""
        self.hardware.refresh_hosts()
        if self.drift is not None:
            self.drift.reload()
            self.drift.page.reload()

    def reload_monitors(self) -> None:
        """Read the drift monitors and their alerts again (another desktop changed them)."""
        if self.drift is not None:
            self.drift.reload()
            self.drift.page.reload()

    def shutdown(self) -> None:
        self.hardware.stop()
        if self.drift is not None:
            self.drift.stop()

    def layout_splitters(self) -> list[QSplitter]:
        splitters = [self.hardware.split, self.hardware.detail.split]
        if self.drift is not None:
            splitters += [self.drift.split, self.drift.page.split]
        return splitters

    def selection_state(self) -> dict[str, Any]:
        monitor = self.drift.selected() if self.drift is not None else None
        return {
            "tab": "drift" if self.tabs.currentWidget() is self.drift else "hardware",
            "host": self.hardware.selected,
            "monitor": monitor.name if monitor is not None else None,
        }

    def restore_selection(self, state: dict[str, Any]) -> None:
        host, monitor = state.get("host"), state.get("monitor")
        if isinstance(host, str) and host:
            self.hardware.select_host(host)
        if self.drift is not None and isinstance(monitor, str) and monitor:
            self.drift.select_monitor(monitor)
        if state.get("tab") == "drift" and self.drift is not None:
            self.tabs.setCurrentWidget(self.drift)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self.start_live()


def _create(context: PaneContext) -> MonitorsPane:
    hardware = context.services.hardware
    settings = context.settings

    def apply_settings() -> None:
        hardware.history_days = settings.hw_history_days

    apply_settings()
    context.events.settingsChanged.connect(apply_settings)
    pane = MonitorsPane(
        context.services.hardware,
        context.runner,
        navigator=context.navigator,
        events=context.events,
        drift=context.services.monitors,
    )
    if context.catalog_live is not None:  # another desktop's monitor or alert changed
        context.catalog_live.monitorsChanged.connect(pane.reload_monitors)
    context.navigator.serve(ShowMonitor, pane, lambda request: pane.show_monitor(request.name))
    return pane


register_pane("Monitors", "monitors", 40, _create)
