"""The Monitors pane: live hardware of every machine (the Hardware tab).

A tab widget, so the model-drift monitors (the next part) become a second tab; with one tab
the tab bar hides itself. The watch starts with :meth:`MonitorsPane.start_live` (or the first
time the pane shows) and stops in :meth:`MonitorsPane.shutdown`.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from mlops_desktop.ui.navigation import AppEvents, Navigator
from mlops_desktop.ui.panes.monitors.hardware import HardwareView
from mlops_desktop.ui.panes.monitors.source import HardwareSource
from mlops_desktop.ui.panes.registry import Pane, PaneContext, register_pane
from mlops_desktop.ui.tasks import TaskRunner


class MonitorsPane(Pane):
    """See the module docstring. ``source`` is ``services.hardware`` (None: nothing to watch)."""

    def __init__(
        self,
        source: HardwareSource | None,
        runner: TaskRunner,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(navigator, events, parent)
        self.hardware = HardwareView(source, runner, self.navigator)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)
        self.tabs.addTab(self.hardware, "Hardware")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._started = False
        self.events.themeChanged.connect(lambda _dark: self.hardware.redraw_all())

    def start_live(self) -> None:
        """Start watching every machine (the app calls it at start)."""
        self._started = True
        self.hardware.start()

    def refresh(self) -> None:
        """List the machines again (F5): new SSH hosts, Slurm nodes of new jobs."""
        self.hardware.refresh_hosts()

    def shutdown(self) -> None:
        self.hardware.stop()

    def layout_splitters(self) -> list[QSplitter]:
        return [self.hardware.split, self.hardware.detail.split]

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self.start_live()


def _create(context: PaneContext) -> MonitorsPane:
    source: HardwareSource | None = getattr(context.services, "hardware", None)
    return MonitorsPane(source, context.runner, navigator=context.navigator, events=context.events)


register_pane("Monitors", "monitors", 40, _create)
