"""Every action of a menu bar, as palette entries: the palette offers what the menus offer.

An action that is disabled says why through its ``disabledReason`` property (set it where the
action is disabled); the palette shows it greyed out with the reason, and does not run it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMenuBar

from mlops_desktop.core import palette as p
from mlops_desktop.core.palette import PaletteEntry
from mlops_desktop.ui.dialogs.about import primary_keys

DISABLED_REASON = "disabledReason"


@dataclass(frozen=True)
class MenuAction:
    """One menu action and where it is.

    Attributes:
        path: the menus leading to it, without accelerators ("View", "Theme").
        text: its text without the accelerator ("Dark").
    """

    action: QAction
    path: tuple[str, ...]
    text: str

    @property
    def key(self) -> str:
        return "/".join((*self.path, self.text))

    def entry(self) -> PaletteEntry:
        """The palette entry: named by its text (and submenu), detailed by its menu path."""
        name = f"{self.path[-1]}: {self.text}" if len(self.path) > 1 else self.text
        where = " > ".join(self.path) + " menu"
        if self.action.isCheckable() and self.action.isChecked():
            where += " · on"
        return PaletteEntry(p.ACTION, name, where, self.key)

    @property
    def shortcut(self) -> str:
        return primary_keys(self.action)

    @property
    def enabled(self) -> bool:
        return self.action.isEnabled()

    @property
    def disabled_reason(self) -> str:
        reason = self.action.property(DISABLED_REASON)
        return str(reason) if reason else ""


def plain_text(text: str) -> str:
    """A menu text without its accelerator marks and trailing ellipsis-free spaces."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def menu_actions(bar: QMenuBar) -> list[MenuAction]:
    """Every action of ``bar``'s menus and submenus, in menu order (separators and the
    submenus themselves left out; an action hidden from the menu is left out too)."""
    found: list[MenuAction] = []
    for action in bar.actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.isVisible():
            _walk(menu, (plain_text(menu.title()),), found)
    return found


def _walk(menu: QMenu, path: tuple[str, ...], found: list[MenuAction]) -> None:
    for action in menu.actions():
        if action.isSeparator() or not action.isVisible():
            continue
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            _walk(submenu, (*path, plain_text(submenu.title())), found)
        elif action.text():
            found.append(MenuAction(action, path, plain_text(action.text())))
