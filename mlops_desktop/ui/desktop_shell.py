"""The window's presence on the desktop: notices (desktop notifications or the banner) fed by
the live loops, and the tray icon with its menu. The main window owns one :class:`DesktopShell`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtDBus import QDBusConnection
from PySide6.QtWidgets import QMainWindow

from mlops_desktop.core.notices import Notice, NoticeTarget
from mlops_desktop.core.run_changes import IngestChanges
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.services.notifications import TrayRuns, run_end_notices, tray_runs
from mlops_desktop.settings import Settings
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.icons import app_icon
from mlops_desktop.ui.navigation import AppEvents, Navigator, ShowPipeline
from mlops_desktop.ui.notice_banner import NoticeBanner
from mlops_desktop.ui.notification_center import NotificationCenter
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.tray import AppTray


def _run_end_notices(
    service: ExperimentService, changes: IngestChanges, *, state: TaskState
) -> list[Notice]:
    return run_end_notices(service, changes)


def _tray_runs(service: ExperimentService, *, state: TaskState) -> TrayRuns:
    return tray_runs(service)


class DesktopShell(QObject):
    """Notices and the tray of ``window``; see the module docstring.

    Attributes:
        banner: the in-app banner (the window lays it out at its top).
        notifications: delivers notices.
        tray: the tray icon and its menu (the menu exists even where there is no tray).
    """

    def __init__(
        self,
        window: QMainWindow,
        settings: Settings,
        experiments: ExperimentService,
        runner: TaskRunner,
        navigator: Navigator,
        events: AppEvents,
        tray_available: bool | None = None,
        bus: QDBusConnection | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._experiments = experiments
        self._runner = runner
        self._navigator = navigator
        self.banner = NoticeBanner()
        self.notifications = NotificationCenter(
            settings, runner, self.banner, self.open_target, bus, parent=self
        )
        self.tray = AppTray(app_icon(), tray_available, self)
        events.notices.connect(self.notifications.post)
        self.tray.showRequested.connect(self.bring_forward)
        self.tray.runRequested.connect(lambda run: self.open_target(NoticeTarget("run", run)))
        self.tray.launchRequested.connect(self._on_launch)

    def bring_forward(self) -> None:
        """Show the window (from the tray too), raised and active."""
        window = self._window
        if window.isMinimized():
            window.showNormal()
        else:
            window.show()
        window.raise_()
        window.activateWindow()

    def open_target(self, target: NoticeTarget | None) -> None:
        """Raise the window and show ``target`` (a notification's "Open")."""
        self.bring_forward()
        if target is None:
            return
        if target.kind == "run":
            self._navigator.show_run(target.ref)
        elif target.kind == "job":
            self._navigator.show_job(target.ref)
        elif target.kind == "monitor":
            self._navigator.show_monitor(target.ref)
        elif target.kind == "pipeline":
            name, _, run_id = target.ref.partition(":")
            self._navigator.go(ShowPipeline(name, run_id or None))
        elif target.kind == "model":
            name, _, version = target.ref.partition(":")
            self._navigator.show_model(name, int(version) if version.isdigit() else None)

    def refresh_tray(self) -> None:
        """Count the running runs and read the newest on a worker, for the tray."""
        self._runner.submit_when_idle(
            (self, "tray"),
            _tray_runs,
            self._experiments,
            on_done=self.tray.set_runs,
            on_failed=self._ignore,  # the run counts of the status bar tell a catalog problem
        )

    def on_ingest_changes(self, changes: IngestChanges) -> None:
        """After an ingest pass: tell the runs that ended, and update the tray."""
        if not any(c.status or c.new for c in changes.runs.values()):
            return
        self.refresh_tray()
        self._runner.submit(
            _run_end_notices,
            self._experiments,
            changes,
            on_done=self.notifications.post,
            on_failed=self._ignore,
        )

    def _on_launch(self) -> None:
        self.bring_forward()
        self._navigator.open_launch_dialog()

    def _ignore(self, _failure: Failure) -> None:
        """A failed read for the tray or notices is not worth a second report (the runner
        logs it; the runs table and status bar show the catalog's problem)."""
