"""Read-only mode: when the catalog takes no writes, every write action is disabled up front
with the reason, and stays so whatever the pane's own enabling says.

The main window makes one :class:`WriteGuard` from ``services.access`` and hands it what
writes: the menus' write actions and each pane's ``write_controls()``.
On a writable catalog the guard does nothing, so panes keep enabling their actions as before.

- an action joins a disabled :class:`QActionGroup`: Qt keeps an action of a disabled group
  disabled even when the pane calls ``setEnabled(True)`` on a selection change; its tooltip,
  status tip and ``disabledReason`` (the command palette shows it) give the reason;
- a button, menu or other widget is disabled and kept disabled by an event filter;
- a text editor (run notes) turns read-only, so it can still be read, scrolled and copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from mlops_desktop.core.access import CatalogAccess
from mlops_desktop.ui.command_palette.menu_actions import DISABLED_REASON

if TYPE_CHECKING:
    from mlops_desktop.ui.main_window import MainWindow

READ_ONLY_BADGE = "Read-only"
GUARDED = "readOnlyGuarded"  # property set on what the guard holds (tests look for it)

Guardable = QAction | QWidget


class WriteGuard(QObject):
    """Disables what writes to the catalog when ``access`` says it takes no writes.

    Attributes:
        access: whether the catalog takes writes, and why not.
        guarded: everything disabled so far (empty on a writable catalog).
    """

    def __init__(self, access: CatalogAccess, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.access = access
        self.guarded: list[Guardable] = []
        self._group = QActionGroup(self)
        self._group.setExclusionPolicy(QActionGroup.ExclusionPolicy.None_)
        self._group.setEnabled(False)

    @property
    def read_only(self) -> bool:
        return not self.access.writable

    @property
    def reason(self) -> str:
        return self.access.reason

    def guard(self, *targets: Guardable) -> None:
        """Disable each of ``targets`` with the reason, for good (nothing on a writable
        catalog)."""
        if not self.read_only:
            return
        for target in targets:
            if target in self.guarded:
                continue
            self.guarded.append(target)
            target.setProperty(GUARDED, True)
            if isinstance(target, QAction):
                self._guard_action(target)
            elif isinstance(target, QLineEdit | QPlainTextEdit | QTextEdit):
                target.setReadOnly(True)
                target.setToolTip(self.reason)
            else:
                self._guard_widget(target)

    def _guard_action(self, action: QAction) -> None:
        self._group.addAction(action)
        action.setProperty(DISABLED_REASON, self.reason)
        self._say_reason(action)
        action.changed.connect(lambda: self._say_reason(action))

    def _say_reason(self, action: QAction) -> None:
        # A pane may set its own tooltip when the selection changes; the reason wins.
        if action.toolTip() != self.reason:
            action.setToolTip(self.reason)
        if action.statusTip() != self.reason:
            action.setStatusTip(self.reason)

    def _guard_widget(self, widget: QWidget) -> None:
        widget.setEnabled(False)
        widget.setToolTip(self.reason)
        widget.setStatusTip(self.reason)
        widget.setProperty(DISABLED_REASON, self.reason)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QWidget) and watched in self.guarded:
            kind = event.type()
            if kind == QEvent.Type.EnabledChange and watched.isEnabled():
                watched.setEnabled(False)
            elif kind == QEvent.Type.ToolTipChange and watched.toolTip() != self.reason:
                watched.setToolTip(self.reason)
        return super().eventFilter(watched, event)


def enter_read_only_mode(window: MainWindow) -> None:
    """Put ``window`` in read-only mode (its catalog takes no writes): the title and a badge
    say so, every write action of the menus and panes is disabled with the reason, and
    ingest steps aside once instead of failing every few seconds."""
    guard = window.write_guard
    window.setWindowTitle(f"{window.windowTitle()} ({READ_ONLY_BADGE.lower()})")
    window.status.set_read_only(guard.reason)
    guard.guard(*window.menus.write_actions)
    for pane in window.panes.values():
        pane.enter_read_only(guard)
    if window.ingest is not None:
        window.ingest.step_aside(guard.reason)
