"""The main window: navigation between registered panes, menus, shortcuts, status bar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtDBus import QDBusConnection
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.app_log import log_path
from mlops_desktop.core.notices import MESSAGE_KIND, Notice
from mlops_desktop.core.pipelines import TriggerEvent
from mlops_desktop.core.runs import Experiment
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.settings import Settings
from mlops_desktop.ui.catalog_live import CatalogLive
from mlops_desktop.ui.command_palette import CommandPalette
from mlops_desktop.ui.desktop_shell import DesktopShell
from mlops_desktop.ui.dialogs.import_history import ImportDialog, ImportKind
from mlops_desktop.ui.dialogs.lab_store import LabStoreDialog
from mlops_desktop.ui.dialogs.preferences import PreferencesDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.icons import app_icon, load_icon
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.main_menus import MainMenus
from mlops_desktop.ui.navigation import AppEvents, Navigator
from mlops_desktop.ui.panes.registry import Pane, PaneContext, PaneSpec, discover_panes
from mlops_desktop.ui.pipeline_triggers import PipelineTriggerLoop
from mlops_desktop.ui.read_only import WriteGuard, enter_read_only_mode
from mlops_desktop.ui.status_bar import AppStatusBar
from mlops_desktop.ui.store_uploads import ArtifactUploader
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.theme import ThemeController
from mlops_desktop.ui.window_state import WINDOW_STATE_FILE, WindowStateKeeper, first_window_size

DEFAULT_SIZE = QSize(1280, 800)


def _list_experiments(service: ExperimentService, *, state: TaskState) -> list[Experiment]:
    return service.list_experiments()


class MainWindow(QMainWindow):
    """Navigation bar on the left, the panes in a stack, menus and a status bar.

    Attributes:
        navigator: routes requests between panes ("show run 3f2a…").
        events: theme and settings changes, status messages, notices.
        shell: notices (desktop notifications or the banner) and the tray icon.
        write_guard: disables what writes when the catalog takes none (read-only mode).

    Signals:
        closed(): the window closed for good (not hidden into the tray): the app quits.
    """

    closed = Signal()

    def __init__(
        self,
        services: Services,
        settings: Settings,
        runner: TaskRunner,
        ingest: IngestLoop | None = None,
        catalog_text: str = "",
        test_connection: Callable[[str], str] | None = None,
        tray_available: bool | None = None,
        notification_bus: QDBusConnection | None = None,
        catalog_live: CatalogLive | None = None,
    ) -> None:
        """``tray_available`` and ``notification_bus`` replace the desktop's tray and session
        bus (tests; None: the desktop's); ``catalog_live`` tells other desktops' changes."""
        super().__init__()
        self.services = services
        self.settings = settings
        self.home = services.home
        self.runner = runner
        self.ingest = ingest
        self.catalog_live = catalog_live
        self._test_connection = test_connection
        self.setWindowTitle("MLOps Desktop")
        self.setWindowIcon(app_icon())
        self._quitting = False
        self._told_tray = False
        self.resize(first_window_size(DEFAULT_SIZE))

        self.events = AppEvents(self)
        self.navigator = Navigator(self)
        self.theme = ThemeController(settings.theme, self)
        self.theme.themeChanged.connect(self.events.themeChanged)
        self.status = AppStatusBar(self)
        self.setStatusBar(self.status)
        self.status.set_catalog(catalog_text or "catalog", catalog_text)
        self.status.set_log_file(log_path(self.home))
        self.write_guard = WriteGuard(services.access, self)
        self.lab_store_dialog: LabStoreDialog | None = None
        self.artifact_uploader = ArtifactUploader(services.store, runner, self)
        self.nav = QListWidget()
        self.stack = QStackedWidget()
        self.shell = DesktopShell(
            self,
            settings,
            services.experiments,
            runner,
            self.navigator,
            self.events,
            tray_available,
            notification_bus,
        )
        self._build_central()
        # pipelines' triggers (continuous training); build_main_window starts the loop
        self.pipeline_triggers = PipelineTriggerLoop(services, runner, parent=self)
        self.panes: dict[str, Pane] = {}
        self.pane_specs: list[PaneSpec] = []
        self._build_panes()
        self.menus = MainMenus(self)
        self.command_palette = CommandPalette(
            self, services.palette, runner, self.navigator, home=self.home
        )
        self._connect()
        if self.write_guard.read_only:
            enter_read_only_mode(self)
        self.theme.set_theme(settings.theme)
        if self.nav.count():
            self.nav.setCurrentRow(0)
        self.window_state = WindowStateKeeper(
            self, self.panes, self.home / WINDOW_STATE_FILE, self.current_pane_name, self.show_pane
        )
        self.window_state.restore()
        self.nav.currentRowChanged.connect(self.window_state.schedule_save)
        if settings.problems:  # the first on the bar, all of them in its tooltip and the log
            self.status.show_problem("\n".join(settings.problems))
        self.refresh_counts()
        self.shell.refresh_tray()

    # --- building ------------------------------------------------------------------------
    def _build_central(self) -> None:
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(24, 24))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setSpacing(2)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.shell.banner)
        layout = QHBoxLayout()
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        column.addLayout(layout, 1)
        self.setCentralWidget(central)

    def _build_panes(self) -> None:
        context = PaneContext(
            home=self.home,
            settings=self.settings,
            services=self.services,
            runner=self.runner,
            navigator=self.navigator,
            events=self.events,
            ingest=self.ingest,
            catalog_live=self.catalog_live,
            pipeline_triggers=self.pipeline_triggers,
        )
        for spec in discover_panes():
            pane = spec.factory(context)
            self.pane_specs.append(spec)
            self.panes[spec.name] = pane
            self.stack.addWidget(pane)
            item = QListWidgetItem(load_icon(spec.icon), spec.name)
            item.setSizeHint(QSize(100, 40))
            self.nav.addItem(item)
        # As wide as the longest pane name with its icon, no wider.
        metrics = self.nav.fontMetrics()
        widest = max((metrics.horizontalAdvance(s.name) for s in self.pane_specs), default=60)
        self.nav.setFixedWidth(widest + self.nav.iconSize().width() + 36)
        self.navigator.set_pane_switcher(self._bring_to_front)

    def _connect(self) -> None:
        self.nav.currentRowChanged.connect(self._on_nav_row_changed)
        self.runner.taskStarted.connect(self.status.track_task)
        self.runner.reporter.bugReported.connect(self._on_bug)
        self.events.statusMessage.connect(self.show_status)
        self.events.notification.connect(self._on_notification)
        self.shell.tray.quitRequested.connect(self.quit_app)
        self.status.openLogRequested.connect(self.open_log)
        if self.ingest is not None:
            self.ingest.ingested.connect(self.status.set_last_ingest)
            self.ingest.problem.connect(self.status.show_problem)
            self.ingest.newRuns.connect(self._on_new_runs)
            self.ingest.newRuns.connect(self.command_palette.on_catalog_changed)
            self.ingest.changes.connect(self.shell.on_ingest_changes)
            self.ingest.changes.connect(self.artifact_uploader.on_ingest_changes)
        if self.catalog_live is not None:
            self.catalog_live.newRuns.connect(self._on_new_runs)
            self.catalog_live.runsReload.connect(self.refresh_counts)
            for signal in (self.catalog_live.newRuns, self.catalog_live.runsReload):
                signal.connect(self.command_palette.on_catalog_changed)
            self.catalog_live.modelsChanged.connect(self.command_palette.on_catalog_changed)
            self.catalog_live.datasetsChanged.connect(self.command_palette.on_catalog_changed)
            self.catalog_live.problem.connect(self._on_live_problem)
            for signal in (
                self.catalog_live.datasetsChanged,
                self.catalog_live.monitorsChanged,
                self.catalog_live.pipelinesChanged,
            ):  # a new version, an alert or a run's end may trigger a pipeline
                signal.connect(self.pipeline_triggers.request_check)
        self.pipeline_triggers.notices.connect(self.shell.notifications.post)
        self.pipeline_triggers.fired.connect(self._on_triggers_fired)
        self.pipeline_triggers.problem.connect(self.status.show_problem)

    # --- public actions ------------------------------------------------------------------
    def show_pane_at(self, row: int) -> None:
        if 0 <= row < self.nav.count():
            self.nav.setCurrentRow(row)

    def show_pane(self, name: str) -> Pane | None:
        """Switch to the pane called ``name``; returns it (None if there is none)."""
        pane = self.panes.get(name)
        if pane is not None:
            self._bring_to_front(pane)
        return pane

    def current_pane(self) -> Pane | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, Pane) else None

    def current_pane_name(self) -> str | None:
        pane = self.current_pane()
        return next((name for name, shown in self.panes.items() if shown is pane), None)

    def bring_forward(self) -> None:
        """Show the window in front, un-minimized, with the keyboard focus (a second start of
        the app asked for it); the taskbar entry asks for attention where focus is refused."""
        if self.isMinimized():
            self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()
        QApplication.alert(self)

    def refresh_current(self) -> None:
        pane = self.current_pane()
        if pane is not None:
            pane.refresh()
        if self.ingest is not None:
            self.ingest.ingest_now()
        self.refresh_counts()

    def open_command_palette(self) -> CommandPalette:
        """Ctrl+K: find anything by name and go there."""
        self.command_palette.open()
        return self.command_palette

    def focus_filter(self) -> None:
        pane = self.current_pane()
        if pane is not None:
            pane.focus_filter()

    def set_theme(self, theme: str) -> None:
        self.settings.theme = theme
        self.theme.set_theme(theme)
        self.menus.check_theme(theme)
        self._save_settings()

    def toggle_theme(self) -> None:
        self.set_theme("light" if self.theme.dark else "dark")

    def open_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(
            self.settings, self.home, self.runner, self._test_connection, parent=self
        )
        self.write_guard.guard(dialog.history_spin)  # how long the catalog keeps history
        dialog.saved.connect(self._on_preferences_saved)
        dialog.open()
        return dialog

    def open_import_dialog(self, kind: ImportKind) -> ImportDialog:
        """File > Import > MLflow… or TensorBoard…: the panes reload after an import."""
        dialog = ImportDialog(
            kind,
            self.services.imports,
            self.runner,
            self.window_state.settings(),
            parent=self,
        )
        dialog.imported.connect(self._on_imported)
        dialog.openExperimentRequested.connect(self.navigator.show_experiment)
        dialog.open()
        return dialog

    def open_lab_store(self) -> LabStoreDialog:
        """File > Lab store…: the store every desktop on the catalog shares, and this home's
        cache of it (one window, raised when already open)."""
        if self.lab_store_dialog is not None and self.lab_store_dialog.isVisible():
            self.lab_store_dialog.raise_()
            self.lab_store_dialog.activateWindow()
            self.lab_store_dialog.refresh()
            return self.lab_store_dialog
        dialog = LabStoreDialog(self.services, self.runner, self.write_guard, parent=self)
        self.lab_store_dialog = dialog
        dialog.show()
        return dialog

    def open_home_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.home)))

    def open_log(self) -> None:
        """Open the app's log (Help > Open log) in the desktop's text viewer."""
        path = log_path(self.home)
        if not path.exists():
            self.show_status(f"Nothing was logged yet: the log will be {path}.")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _on_notification(self, title: str, text: str) -> None:
        """A notice of no particular kind: the status bar says it, the notification centre
        tells it, the taskbar entry asks for attention while the window is not active."""
        self.show_status(f"{title}: {text}", 30000)
        self.shell.notifications.post([Notice(MESSAGE_KIND, title, text)])
        QApplication.alert(self)

    def quit_app(self) -> None:
        """Quit, even where closing the window only hides it into the tray."""
        self._quitting = True
        self.close()

    def show_status(self, text: str, timeout_ms: int = 5000) -> None:
        """Show a short message in the status bar."""
        self.status.showMessage(text, timeout_ms)

    def refresh_counts(self) -> None:
        """Count runs and experiments on a worker and show them in the status bar."""
        self.runner.submit_when_idle(
            (self, "counts"),
            _list_experiments,
            self.services.experiments,
            on_done=self._on_counts,
            on_failed=self._on_counts_failed,
        )

    def shutdown(self) -> None:
        """Stop live work and wait for background tasks (closing, or a test's teardown); the
        pipeline runs triggers started are cancelled (the services' close waits for them)."""
        self.pipeline_triggers.stop()
        if self.ingest is not None:
            self.ingest.stop()
        if self.catalog_live is not None:
            self.catalog_live.stop()
        for pane in self.panes.values():
            pane.shutdown()
        self.runner.shutdown()

    # --- slots ---------------------------------------------------------------------------
    def _bring_to_front(self, pane: QWidget) -> None:
        index = self.stack.indexOf(pane)
        if index >= 0:
            self.nav.setCurrentRow(index)

    def _on_nav_row_changed(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)

    def _on_new_runs(self, _ids: frozenset[str]) -> None:
        self.refresh_counts()

    def _on_triggers_fired(self, events: list[TriggerEvent]) -> None:
        started = [e for e in events if e.pipeline_run_id]
        if started:
            said = "; ".join(f"{e.pipeline} ({e.kind} {e.detail})" for e in started)
            self.show_status(f"Triggered: {said}", 15000)

    def _on_imported(self, _outcome: object) -> None:
        for pane in self.panes.values():
            pane.refresh()
        self.refresh_counts()

    def _on_counts(self, experiments: list[Experiment]) -> None:
        self.status.set_counts(sum(e.run_count for e in experiments), len(experiments))

    def _on_counts_failed(self, failure: Failure) -> None:
        self.status.show_problem(f"Cannot read the catalog: {failure}")

    def _on_live_problem(self, text: str) -> None:
        if text:
            self.status.show_problem(text)
        else:
            self.show_status("Live updates from other desktops are back")

    def _on_bug(self, failure: Failure) -> None:
        self.status.show_bug(str(failure))

    def _on_preferences_saved(self) -> None:
        self.theme.set_theme(self.settings.theme)
        self.menus.check_theme(self.settings.theme)
        if self.ingest is not None:
            self.ingest.set_interval(self.settings.ingest_interval_s)
        self.services.experiments.keep_spools = self.settings.keep_spools
        self.events.settingsChanged.emit()
        self.show_status("Preferences saved")

    def _save_settings(self) -> None:
        try:
            self.settings.save(self.home)
        except OSError as exc:
            self.status.show_problem(f"Cannot save settings in {self.home}: {exc.strerror}")

    # --- window state --------------------------------------------------------------------
    def save_window_state(self) -> None:
        """Write the geometry, splitters, shown pane and selections to ``HOME/window.ini``."""
        self.window_state.save()

    def keeps_running_in_tray(self) -> bool:
        """Whether closing the window now hides it into the tray instead of quitting."""
        return self.settings.keep_in_tray and self.shell.tray.available and not self._quitting

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keeps_running_in_tray():
            event.ignore()
            self.save_window_state()
            self.hide()
            if not self._told_tray:
                self._told_tray = True
                self.shell.tray.message(
                    "MLOps Desktop is still running",
                    "Runs are still followed; choose Quit in the tray's menu to stop.",
                )
            return
        self.save_window_state()
        self.shutdown()
        self.shell.tray.close()
        super().closeEvent(event)
        self.closed.emit()
