"""The main window: navigation between registered panes, menus, shortcuts, status bar."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from mlops_desktop.settings import Settings
from mlops_desktop.ui.dialogs.about import show_about, show_shortcuts
from mlops_desktop.ui.dialogs.preferences import PreferencesDialog
from mlops_desktop.ui.icons import app_icon, load_icon
from mlops_desktop.ui.ingest_loop import IngestLoop
from mlops_desktop.ui.panes.registry import PaneContext, PaneSpec, discover_panes
from mlops_desktop.ui.status_bar import AppStatusBar
from mlops_desktop.ui.tasks import TaskRunner
from mlops_desktop.ui.theme import ThemeController

DEFAULT_SIZE = QSize(1280, 800)
WINDOW_STATE_FILE = "window.ini"


def _list_experiments(service: Any, *, state: Any) -> list[Any]:
    return service.list_experiments()


class MainWindow(QMainWindow):
    """Navigation bar on the left, the panes in a stack, menus and a status bar.

    Signals:
        themeChanged(bool): the effective theme changed; True for dark.
        settingsChanged(): Preferences saved new settings.
    """

    themeChanged = Signal(bool)
    settingsChanged = Signal()

    def __init__(
        self,
        service: Any,
        settings: Settings,
        home: Path,
        runner: TaskRunner,
        ingest: IngestLoop | None = None,
        catalog_text: str = "",
        test_connection: Callable[[str], str] | None = None,
        services: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self.home = home
        self.runner = runner
        self.ingest = ingest
        self._test_connection = test_connection
        self._counts_pending = False
        self.setWindowTitle("MLOps Desktop")
        self.setWindowIcon(app_icon())
        self.resize(DEFAULT_SIZE)

        self.theme = ThemeController(settings.theme, self)
        self.theme.themeChanged.connect(self.themeChanged)

        self.status = AppStatusBar(self)
        self.setStatusBar(self.status)
        self.status.set_catalog(catalog_text or "catalog", catalog_text)
        runner.taskStarted.connect(self.status.track_task)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(24, 24))
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setSpacing(2)
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.context = PaneContext(
            home=home,
            settings=settings,
            runner=runner,
            experiments=service,
            ingest=ingest,
            window=self,
            services=dict(services or {}),
        )
        self.panes: dict[str, QWidget] = {}
        self.pane_specs: list[PaneSpec] = []
        self._build_panes()
        self.nav.currentRowChanged.connect(self._on_nav_row_changed)
        self._build_menus()
        if ingest is not None:
            ingest.ingested.connect(self.status.set_last_ingest)
            ingest.problem.connect(self.status.show_problem)
            ingest.newRuns.connect(self._on_new_runs)
        self.theme.set_theme(settings.theme)
        self._restore_window_state()
        if self.nav.count():
            self.nav.setCurrentRow(0)
        self.refresh_counts()

    # --- building ------------------------------------------------------------------------
    def _build_panes(self) -> None:
        for spec in discover_panes():
            widget = spec.factory(self.context)
            self.pane_specs.append(spec)
            self.panes[spec.name] = widget
            self.stack.addWidget(widget)
            item = QListWidgetItem(load_icon(spec.icon), spec.name)
            item.setSizeHint(QSize(100, 40))
            self.nav.addItem(item)
        # As wide as the longest pane name with its icon, no wider.
        metrics = self.nav.fontMetrics()
        widest = max((metrics.horizontalAdvance(s.name) for s in self.pane_specs), default=60)
        self.nav.setFixedWidth(widest + self.nav.iconSize().width() + 36)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(
            file_menu, "&Preferences…", self.open_preferences, QKeySequence.StandardKey.Preferences
        )
        self._action(file_menu, "Open &home folder", self._on_open_home)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence("Ctrl+Q"))

        view_menu = bar.addMenu("&View")
        for row, spec in enumerate(self.pane_specs):
            shortcut = QKeySequence(f"Ctrl+{row + 1}") if row < 9 else None
            self._action(view_menu, spec.name, partial(self.show_pane_at, row), shortcut)
        view_menu.addSeparator()
        self._action(view_menu, "&Refresh", self.refresh_current, QKeySequence("F5"))
        self._action(view_menu, "&Filter runs", self.focus_filter, QKeySequence("Ctrl+F"))
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for theme, label in (("system", "Follow &system"), ("light", "&Light"), ("dark", "&Dark")):
            action = theme_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(self.settings.theme == theme)
            action.triggered.connect(lambda _=False, t=theme: self.set_theme(t))
            group.addAction(action)
            self.theme_actions[theme] = action
        self._action(
            view_menu, "Toggle dark/light", self.toggle_theme, QKeySequence("Ctrl+Shift+T")
        )

        run_menu = bar.addMenu("&Run")
        self._action(run_menu, "&Launch…", self.open_launch_dialog, QKeySequence("Ctrl+L"))
        self._action(run_menu, "&Hosts…", self.open_hosts_dialog)

        help_menu = bar.addMenu("&Help")
        self._action(
            help_menu, "&Keyboard shortcuts", lambda: show_shortcuts(self), QKeySequence("F1")
        )
        self._action(help_menu, "&About MLOps Desktop", lambda: show_about(self))

    def _action(
        self, menu: Any, text: str, slot: Callable[[], Any], shortcut: Any = None
    ) -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(lambda _=False: slot())
        self.addAction(action)
        return action

    # --- public actions ------------------------------------------------------------------
    def show_pane_at(self, row: int) -> None:
        if 0 <= row < self.nav.count():
            self.nav.setCurrentRow(row)

    def show_pane(self, name: str) -> QWidget | None:
        """Switch to the pane called ``name``; returns it (None if there is none)."""
        for row, spec in enumerate(self.pane_specs):
            if spec.name == name:
                self.show_pane_at(row)
                return self.panes[name]
        return None

    def show_run(self, run_id: str) -> None:
        """Switch to Experiments and select the run ``run_id``."""
        pane = self.show_pane("Experiments")
        if pane is not None and hasattr(pane, "show_run"):
            pane.show_run(run_id)

    def show_dataset(self, name: str, version: str | None = None) -> None:
        """Switch to Datasets and select dataset ``name`` at ``version``."""
        pane = self.show_pane("Datasets")
        if pane is not None and hasattr(pane, "select_dataset"):
            pane.select_dataset(name, version)

    def show_model(self, name: str, version: int | None = None) -> None:
        """Switch to Models and select model ``name`` at ``version`` (None: the newest)."""
        pane = self.show_pane("Models")
        if pane is not None and hasattr(pane, "select_model"):
            pane.select_model(name, version)

    def register_model(self, run_id: str = "", artifact: str = "") -> None:
        """Switch to Models and open its register dialog for a run's artifact."""
        pane = self.show_pane("Models")
        if pane is not None and hasattr(pane, "open_register_dialog"):
            pane.open_register_dialog(run_id=run_id, artifact=artifact)

    def open_launch_dialog(self) -> Any:
        """Switch to Jobs and open its launch dialog (Run > Launch…)."""
        return self._jobs_call("open_launch_dialog")

    def open_hosts_dialog(self) -> Any:
        """Open the host manager (Run > Hosts…)."""
        return self._jobs_call("open_hosts_dialog")

    def _jobs_call(self, method: str) -> Any:
        pane = self.show_pane("Jobs")
        if pane is None or not hasattr(pane, method):
            self.show_status("Jobs are not available: the job service did not start.")
            return None
        return getattr(pane, method)()

    def current_pane(self) -> QWidget | None:
        return self.stack.currentWidget()

    def refresh_current(self) -> None:
        pane = self.current_pane()
        if pane is not None and hasattr(pane, "refresh"):
            pane.refresh()
        if self.ingest is not None:
            self.ingest.ingest_now()
        self.refresh_counts()

    def focus_filter(self) -> None:
        pane = self.current_pane()
        if pane is not None and hasattr(pane, "focus_filter"):
            pane.focus_filter()

    def set_theme(self, theme: str) -> None:
        self.settings.theme = theme
        self.theme.set_theme(theme)
        if theme in self.theme_actions:
            self.theme_actions[theme].setChecked(True)
        self._save_settings()

    def toggle_theme(self) -> None:
        self.set_theme("light" if self.theme.dark else "dark")

    def open_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(
            self.settings, self.home, self.runner, self._test_connection, parent=self
        )
        dialog.saved.connect(self._on_preferences_saved)
        dialog.open()
        return dialog

    def show_status(self, text: str, timeout_ms: int = 5000) -> None:
        """Show a short message in the status bar (panes call this)."""
        self.status.showMessage(text, timeout_ms)

    def refresh_counts(self) -> None:
        """Count runs and experiments on a worker and show them in the status bar."""
        if self._counts_pending:
            return
        self._counts_pending = True
        self.runner.submit(
            _list_experiments,
            self.service,
            on_done=self._on_counts,
            on_failed=self._on_counts_failed,
        )

    def shutdown(self) -> None:
        """Stop live work and wait for background tasks (closing, or a test's teardown)."""
        if self.ingest is not None:
            self.ingest.stop()
        for pane in self.panes.values():
            if hasattr(pane, "shutdown"):
                pane.shutdown()
        self.runner.shutdown()

    # --- slots ---------------------------------------------------------------------------
    def _on_nav_row_changed(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)

    def _on_open_home(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.home)))

    def _on_new_runs(self, _ids: frozenset[str]) -> None:
        self.refresh_counts()

    def _on_counts(self, experiments: list[Any]) -> None:
        self._counts_pending = False
        self.status.set_counts(sum(e.run_count for e in experiments), len(experiments))

    def _on_counts_failed(self, exc: BaseException, _tb: str) -> None:
        self._counts_pending = False
        self.status.show_problem(f"Cannot read the catalog: {exc}")

    def _on_preferences_saved(self) -> None:
        self.theme.set_theme(self.settings.theme)
        if self.settings.theme in self.theme_actions:
            self.theme_actions[self.settings.theme].setChecked(True)
        if self.ingest is not None:
            self.ingest.set_interval(self.settings.ingest_interval_s)
        self.settingsChanged.emit()
        self.show_status("Preferences saved")

    def _save_settings(self) -> None:
        try:
            self.settings.save(self.home)
        except OSError as exc:
            self.status.show_problem(f"Cannot save settings in {self.home}: {exc.strerror}")

    # --- window state --------------------------------------------------------------------
    def _window_state(self) -> QSettings:
        return QSettings(str(self.home / WINDOW_STATE_FILE), QSettings.Format.IniFormat)

    def _restore_window_state(self) -> None:
        state = self._window_state()
        geometry = state.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for name, pane in self.panes.items():
            saved = state.value(f"panes/{name}")
            if saved is not None and hasattr(pane, "restore_state"):
                pane.restore_state(saved)

    def save_window_state(self) -> None:
        state = self._window_state()
        state.setValue("geometry", self.saveGeometry())
        for name, pane in self.panes.items():
            if hasattr(pane, "save_state"):
                state.setValue(f"panes/{name}", pane.save_state())
        state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_window_state()
        self.shutdown()
        super().closeEvent(event)
