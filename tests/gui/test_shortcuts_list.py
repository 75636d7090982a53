"""F1's list of keyboard shortcuts is read from the window's real actions and shortcuts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.dialogs.about import (
    primary_keys,
    show_shortcuts,
    window_shortcuts,
)


@pytest.fixture
def window(qtbot: Any, services: Any, home: Path) -> Any:
    win = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def every_key(window: Any) -> set[str]:
    """The key of each action or shortcut of the window."""
    items = [*window.findChildren(QAction), *window.actions(), *window.findChildren(QShortcut)]
    return {keys for item in items if (keys := primary_keys(item))}


def test_listed_shortcuts_are_the_windows_real_ones(qtbot: Any, window: Any) -> None:
    listed = window_shortcuts(window)
    rows = dict(listed)
    panes = [window.nav.item(i).text() for i in range(window.nav.count())]
    for number, name in enumerate(panes[:9], start=1):
        assert rows[f"Ctrl+{number}"] == f"Show {name}"
    assert rows["Ctrl+L"] == "Launch"
    assert rows["F1"] == "This list"
    assert rows["Ctrl+S (in notes)"] == "Save the run's notes"

    real = every_key(window)
    assert rows["Ctrl+,"] == "Preferences"
    listed_keys = {keys.split(" (")[0] for keys, _what in listed}
    assert listed_keys == real, "every listed key works, and every key that works is listed"


def test_a_shortcut_added_later_is_listed_without_editing_the_list(qtbot: Any, window: Any) -> None:
    pane = window.panes["Experiments"]
    action = QAction("Rename run", pane)
    action.setShortcut(QKeySequence("F2"))
    pane.addAction(action)
    assert ("F2", "Rename run") in window_shortcuts(window)


def test_f1_dialog_shows_the_list(qtbot: Any, window: Any) -> None:
    box = show_shortcuts(window)
    qtbot.addWidget(box)
    assert "Show Jobs" in box.text() or "Jobs" not in str(window.panes)
    assert "Ctrl+L" in box.text() and "Launch" in box.text()
    box.close()
