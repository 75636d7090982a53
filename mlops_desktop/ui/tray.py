"""The tray icon, where the desktop has a tray: the number of running runs on the app icon, a
tooltip, and a menu (Show, Recent runs, Launch…, Quit).

The menu is built whether or not there is a tray, so that it can be tested offscreen; the
:class:`QSystemTrayIcon` itself is made only where a tray is available (``available`` injects
the answer of :meth:`QSystemTrayIcon.isSystemTrayAvailable`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRect, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from mlops_desktop.services.notifications import TrayRuns
from mlops_desktop.ui.icons import status_icon

TOOLTIP = "MLOps Desktop"
_BADGE_SIZES = (16, 22, 24, 32, 48, 64)
_BADGE_COLOR = "#2f80ed"


def badge_icon(base: QIcon, count: int) -> QIcon:
    """``base`` with ``count`` in a dot at its bottom right (``base`` itself for 0)."""
    if count <= 0:
        return base
    text = str(count) if count < 100 else "99+"
    icon = QIcon()
    for size in _BADGE_SIZES:
        pixmap = base.pixmap(size, size)
        if pixmap.isNull():
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = max(9, round(size * 0.62))
        rect = QRect(size - side, size - side, side, side)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(_BADGE_COLOR))
        painter.drawEllipse(rect)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, round(side * (0.7 if len(text) == 1 else 0.5))))
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class AppTray(QObject):
    """See the module docstring.

    Signals:
        showRequested(): Show was chosen, or the icon was clicked.
        runRequested(str): a recent run was chosen (its id).
        launchRequested(): Launch… was chosen.
        quitRequested(): Quit was chosen.
    """

    showRequested = Signal()
    runRequested = Signal(str)
    launchRequested = Signal()
    quitRequested = Signal()

    def __init__(
        self, icon: QIcon, available: bool | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable() if available is None else available
        self.base_icon = icon
        self.running = 0
        self.menu = QMenu()
        self.show_action = self._add("Show MLOps Desktop", self.showRequested.emit)
        self.recent_menu = self.menu.addMenu("Recent runs")
        self.recent_menu.setEnabled(False)
        self.launch_action = self._add("Launch…", self.launchRequested.emit)
        self.menu.addSeparator()
        self.quit_action = self._add("Quit", self.quitRequested.emit)
        self.icon: QSystemTrayIcon | None = None
        if self.available:
            self.icon = QSystemTrayIcon(icon, self)
            self.icon.setContextMenu(self.menu)
            self.icon.setToolTip(TOOLTIP)
            self.icon.activated.connect(self._on_activated)
            self.icon.show()

    def _add(self, text: str, slot: object) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(slot)
        return action

    @property
    def tooltip(self) -> str:
        if self.running <= 0:
            return f"{TOOLTIP}: no run running"
        return f"{TOOLTIP}: {self.running} run{'s' if self.running != 1 else ''} running"

    def set_runs(self, runs: TrayRuns) -> None:
        """Show how many runs are running, and the newest runs in Recent runs."""
        self.running = runs.running
        self.recent_menu.clear()
        for run in runs.recent:
            name = run.name or run.id[:8]
            action = self.recent_menu.addAction(
                status_icon(run.status), f"{name} ({run.experiment}, {run.status})"
            )
            action.setData(run.id)
            action.triggered.connect(lambda _checked=False, rid=run.id: self.runRequested.emit(rid))
        self.recent_menu.setEnabled(bool(runs.recent))
        if self.icon is not None:
            self.icon.setIcon(badge_icon(self.base_icon, self.running))
            self.icon.setToolTip(self.tooltip)

    def message(self, title: str, text: str) -> None:
        """A balloon from the tray icon (nothing without a tray)."""
        if self.icon is not None:
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.showRequested.emit()

    def close(self) -> None:
        """Take the icon out of the tray (the app quits)."""
        if self.icon is not None:
            self.icon.hide()
        self.menu.deleteLater()
