"""The write guard of read-only mode: what it disables stays disabled, with the reason."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QWidget

from mlops_desktop.core.access import WRITABLE, CatalogAccess
from mlops_desktop.ui.command_palette.menu_actions import DISABLED_REASON
from mlops_desktop.ui.read_only import WriteGuard

REASON = "Your catalog role bo may read but not change the catalog: ask its owner."


def test_guarded_actions_and_buttons_stay_disabled_with_the_reason(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    action, button = QAction("Rename…", host), QPushButton("Register…", host)
    notes = QPlainTextEdit(host)
    guard = WriteGuard(CatalogAccess.read_only(REASON), host)
    guard.guard(action, button, notes)

    action.setEnabled(True)  # what a pane does when a run gets selected
    action.setToolTip("Rename the selected run")
    button.setEnabled(True)
    button.setToolTip("Register a model")
    assert not action.isEnabled() and not button.isEnabled()
    assert action.toolTip() == REASON and action.statusTip() == REASON
    assert action.property(DISABLED_REASON) == REASON
    assert button.toolTip() == REASON
    assert notes.isReadOnly() and notes.isEnabled()  # still readable and scrollable


def test_a_writable_catalog_guards_nothing(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    action, button = QAction("Rename…", host), QPushButton("Register…", host)
    guard = WriteGuard(WRITABLE, host)
    guard.guard(action, button)
    action.setEnabled(True)
    button.setEnabled(True)
    assert action.isEnabled() and button.isEnabled() and not guard.guarded
    assert not guard.read_only and action.property(DISABLED_REASON) is None
