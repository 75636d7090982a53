"""The main window's menus and their shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from mlops_desktop.ui.command_palette.popup import PALETTE_KEYS
from mlops_desktop.ui.dialogs.about import show_about, show_shortcuts

if TYPE_CHECKING:
    from mlops_desktop.ui.main_window import MainWindow

THEME_CHOICES = (("system", "Follow &system"), ("light", "&Light"), ("dark", "&Dark"))


class MainMenus:
    """Builds File, View, Run and Help on ``window``; every action is also a window action, so
    its shortcut works wherever the focus is."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self.theme_actions: dict[str, QAction] = {}
        self.write_actions: list[QAction] = []  # what changes the catalog (read-only mode)
        bar = window.menuBar()
        self._file_menu(bar.addMenu("&File"))
        self._view_menu(bar.addMenu("&View"))
        self._run_menu(bar.addMenu("&Run"))
        self._help_menu(bar.addMenu("&Help"))
        for menu in bar.findChildren(QMenu):
            menu.setToolTipsVisible(True)  # a disabled action's tooltip says why

    def check_theme(self, theme: str) -> None:
        """Tick ``theme`` in View > Theme."""
        if theme in self.theme_actions:
            self.theme_actions[theme].setChecked(True)

    def _file_menu(self, menu: QMenu) -> None:
        w = self._window
        preferences = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        keys = preferences[0] if preferences else QKeySequence("Ctrl+,")  # none on Linux
        self._add(menu, "&Preferences…", w.open_preferences, keys)
        self._add(menu, "Open &home folder", w.open_home_folder)
        store = self._add(menu, "&Lab store…", w.open_lab_store)
        store.setStatusTip(
            "Where every desktop on this catalog keeps artifacts, model files and dataset "
            "snapshots; this home's cache of it"
        )
        pipeline = self._add(menu, "Add &pipeline…", w.navigator.open_add_pipeline)
        pipeline.setStatusTip(
            "Add a pipeline file (pipeline.yaml or dvc.yaml) to the Pipelines pane"
        )
        self.write_actions.append(pipeline)
        menu.addSeparator()
        imports = menu.addMenu("&Import")
        mlflow = self._add(imports, "&MLflow…", partial(w.open_import_dialog, "mlflow"))
        mlflow.setStatusTip("Import an MLflow store (an mlruns folder or an mlflow.db file)")
        tensorboard = self._add(
            imports, "&TensorBoard…", partial(w.open_import_dialog, "tensorboard")
        )
        tensorboard.setStatusTip("Import TensorBoard event files (a log folder)")
        self.write_actions += [mlflow, tensorboard]
        menu.addSeparator()
        self._add(menu, "&Quit", w.quit_app, QKeySequence("Ctrl+Q"))

    def _view_menu(self, menu: QMenu) -> None:
        w = self._window
        for row, spec in enumerate(w.pane_specs):
            shortcut = QKeySequence(f"Ctrl+{row + 1}") if row < 9 else None
            action = self._add(menu, spec.name, partial(w.show_pane_at, row), shortcut)
            action.setStatusTip(f"Show {spec.name}")
        menu.addSeparator()
        self._add(menu, "&Refresh", w.refresh_current, QKeySequence("F5"))
        self._add(menu, "&Filter runs", w.focus_filter, QKeySequence("Ctrl+F"))
        theme_menu = menu.addMenu("&Theme")
        group = QActionGroup(w)
        for theme, label in THEME_CHOICES:
            action = theme_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(w.settings.theme == theme)
            action.triggered.connect(partial(self._on_theme_chosen, theme))
            group.addAction(action)
            self.theme_actions[theme] = action
        self._add(menu, "Toggle dark/light", w.toggle_theme, QKeySequence("Ctrl+Shift+T"))

    def _run_menu(self, menu: QMenu) -> None:
        navigator = self._window.navigator
        launch = self._add(menu, "&Launch…", navigator.open_launch_dialog, QKeySequence("Ctrl+L"))
        self.write_actions.append(launch)
        self._add(menu, "&Hosts…", navigator.open_hosts_dialog)

    def _help_menu(self, menu: QMenu) -> None:
        w = self._window
        palette = self._add(
            menu, "&Command Palette…", w.open_command_palette, QKeySequence(PALETTE_KEYS)
        )
        palette.setStatusTip(
            "Find runs, experiments, datasets, models, hosts, monitors, pipelines, actions"
        )
        self.palette_action = palette
        keys = self._add(
            menu, "&Keyboard shortcuts", partial(show_shortcuts, w), QKeySequence("F1")
        )
        keys.setStatusTip("This list")
        self._add(menu, "Open the app's &log", w.open_log)
        self._add(menu, "&About MLOps Desktop", partial(show_about, w))

    def _add(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self._window.addAction(action)
        return action

    def _on_theme_chosen(self, theme: str, _checked: bool = False) -> None:
        self._window.set_theme(theme)
