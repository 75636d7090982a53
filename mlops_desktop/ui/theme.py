"""Light and dark: follow the system's colour scheme, or a setting that overrides it.

Uses ``QStyleHints.colorScheme()`` and its ``colorSchemeChanged`` signal (Qt 6.5+), asks the
platform for a scheme with ``setColorScheme`` where Qt has it (6.8+), and sets a matching
Fusion palette itself so the result is the same on every platform. pyqtgraph charts get the
palette's base colour as background.
"""

from __future__ import annotations

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

THEMES = ("system", "light", "dark")


def dark_palette() -> QPalette:
    """A calm dark palette for the Fusion style."""
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    window, base, text = QColor("#2b2b2e"), QColor("#1f1f22"), QColor("#e6e6e6")
    p.setColor(role.Window, window)
    p.setColor(role.WindowText, text)
    p.setColor(role.Base, base)
    p.setColor(role.AlternateBase, QColor("#28282c"))
    p.setColor(role.ToolTipBase, QColor("#3a3a3f"))
    p.setColor(role.ToolTipText, text)
    p.setColor(role.PlaceholderText, QColor("#8a8a8f"))
    p.setColor(role.Text, text)
    p.setColor(role.Button, QColor("#35353a"))
    p.setColor(role.ButtonText, text)
    p.setColor(role.BrightText, QColor("#ff6b6b"))
    p.setColor(role.Link, QColor("#6cb6ff"))
    p.setColor(role.Highlight, QColor("#3d6fb6"))
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.Mid, QColor("#3c3c41"))
    p.setColor(role.Dark, QColor("#18181a"))
    p.setColor(role.Light, QColor("#4a4a50"))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7a7f"))
    return p


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


class ThemeController(QObject):
    """Resolves "system"/"light"/"dark" to light or dark and applies it app-wide.

    Signals:
        themeChanged(bool): the effective theme changed; True for dark.
    """

    themeChanged = Signal(bool)

    def __init__(self, theme: str = "system", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._theme = theme if theme in THEMES else "system"
        self._dark: bool | None = None
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)

    @property
    def theme(self) -> str:
        return self._theme

    @property
    def dark(self) -> bool:
        return bool(self._dark)

    def set_theme(self, theme: str) -> None:
        """Apply a theme setting ("system", "light" or "dark")."""
        self._theme = theme if theme in THEMES else "system"
        hints = QGuiApplication.styleHints()
        if self._theme == "system":
            if hasattr(hints, "unsetColorScheme"):
                hints.unsetColorScheme()
        elif hasattr(hints, "setColorScheme"):
            scheme = Qt.ColorScheme.Dark if self._theme == "dark" else Qt.ColorScheme.Light
            hints.setColorScheme(scheme)
        self._apply()

    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._theme == "system":
            self._apply()

    def _apply(self) -> None:
        dark = self._theme == "dark" or (self._theme == "system" and system_prefers_dark())
        app = QApplication.instance()
        if isinstance(app, QApplication):
            palette = dark_palette() if dark else app.style().standardPalette()
            app.setPalette(palette)
            # The first time (a new window) only views made from now on need the colours.
            # On a change, the charts already made are those of the window that owns this
            # controller: never every widget of the process, which can hold half-deleted
            # leftovers (closed windows, a test process's earlier windows).
            changed = self._dark is not None and dark != self._dark
            root = self.parent()
            apply_chart_colors(palette, root if changed and isinstance(root, QWidget) else None)
        if dark != self._dark:
            self._dark = dark
            self.themeChanged.emit(dark)


def apply_chart_colors(palette: QPalette, root: QWidget | None = None) -> None:
    """Give new pyqtgraph views (and those already made under ``root``) the palette's
    background and text colours."""
    background = palette.color(QPalette.ColorRole.Base)
    foreground = palette.color(QPalette.ColorRole.Text)
    pg.setConfigOptions(background=background, foreground=foreground)
    if root is None or not shiboken6.isValid(root):
        return
    for widget in root.findChildren(pg.GraphicsView):
        if not shiboken6.isValid(widget):
            continue
        widget.setBackground(background)
        if isinstance(widget, pg.PlotWidget):
            for name in ("left", "bottom", "right", "top"):
                axis = widget.getPlotItem().getAxis(name)
                axis.setPen(foreground)
                axis.setTextPen(foreground)
