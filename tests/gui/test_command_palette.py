"""The command palette (Ctrl+K) on a real catalog, driven by the keyboard only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from palette_catalog import fill_catalog
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu

from mlops_desktop.services.bundle import Services
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.command_palette.menu_actions import DISABLED_REASON, plain_text
from mlops_desktop.ui.dialogs.about import window_shortcuts


@pytest.fixture
def filled(services: Services, tmp_path: Path) -> str:
    return fill_catalog(services, tmp_path)


@pytest.fixture
def window(qtbot: Any, services: Services, home: Path, filled: str) -> Iterator[Any]:
    win = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    win.shutdown()


def open_palette(qtbot: Any, window: Any) -> Any:
    """Ctrl+K where the keyboard focus is, then wait for the catalog's names."""
    palette = window.command_palette
    target = QApplication.focusWidget() or window
    with qtbot.waitSignal(palette.loaded, timeout=10000):
        qtbot.keyClick(target, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert palette.isVisible()
    # The popup's activation is asynchronous: on a loaded machine focus lands a moment later.
    qtbot.waitUntil(palette.edit.hasFocus, timeout=5000)
    return palette


def type_query(qtbot: Any, palette: Any, text: str) -> list[Any]:
    palette.edit.clear()
    qtbot.keyClicks(palette.edit, text)
    return palette.model.rows()


def names(rows: list[Any]) -> list[str]:
    return [r.hit.entry.name for r in rows]


def test_find_a_run_and_go_to_it(qtbot: Any, window: Any, filled: str) -> None:
    palette = open_palette(qtbot, window)
    rows = type_query(qtbot, palette, "basln")
    assert names(rows)[0] == "baseline-lr"
    assert rows[0].hit.positions == (0, 1, 2, 4, 6)  # the characters shown in bold
    assert rows[0].detail == "digits · finished"
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    assert not palette.isVisible()
    pane = window.panes["Experiments"]
    assert window.stack.currentWidget() is pane
    qtbot.waitUntil(lambda: [r.id for r in pane.selected_runs()] == [filled], timeout=10000)


def test_models_datasets_monitors_and_hosts(qtbot: Any, window: Any) -> None:
    palette = open_palette(qtbot, window)
    assert names(type_query(qtbot, palette, "churn@prod"))[0] == "churn@prod"
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    models = window.panes["Models"]
    assert window.stack.currentWidget() is models
    qtbot.waitUntil(lambda: models.list.current_name() == "churn", timeout=10000)

    palette = open_palette(qtbot, window)
    assert names(type_query(qtbot, palette, "data: wine")) == ["wine"]
    qtbot.keyClick(palette.edit, Qt.Key.Key_Enter)
    datasets = window.panes["Datasets"]
    assert window.stack.currentWidget() is datasets
    qtbot.waitUntil(lambda: datasets.detail.name == "wine", timeout=10000)

    palette = open_palette(qtbot, window)
    assert names(type_query(qtbot, palette, "wndrf"))[0] == "wine-drift"
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    monitors = window.panes["Monitors"]
    assert window.stack.currentWidget() is monitors
    assert monitors.tabs.currentWidget() is monitors.drift
    qtbot.waitUntil(
        lambda: (sel := monitors.drift.selected()) is not None and sel.name == "wine-drift",
        timeout=10000,
    )
    # The Monitors pane's first showing (its charts) leaves the offscreen window inactive.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)

    palette = open_palette(qtbot, window)
    rows = type_query(qtbot, palette, "host:gpu")
    assert names(rows) == ["gpu-box"] and rows[0].detail == "SSH host · lab@gpu-box:2222"
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    dialog = window.panes["Jobs"].hosts_dialog
    qtbot.waitUntil(lambda: dialog.selected_name() == "gpu-box", timeout=10000)
    dialog.close()


def test_an_action_shows_its_shortcut_and_runs(qtbot: Any, window: Any) -> None:
    palette = open_palette(qtbot, window)
    rows = type_query(qtbot, palette, "> toggle dark")
    assert names(rows)[0] == "Toggle dark/light" and rows[0].shortcut == "Ctrl+Shift+T"
    before = window.theme.dark
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    assert window.theme.dark is not before
    # the recent pick comes first with an empty query
    palette = open_palette(qtbot, window)
    assert names(palette.model.rows())[0] == "Toggle dark/light"


def test_up_down_escape_and_a_disabled_action(qtbot: Any, window: Any) -> None:
    window.focus_filter()  # a line edit, which has its own Ctrl+K (delete to the end)
    typing_in = QApplication.focusWidget()
    assert isinstance(typing_in, QLineEdit)
    palette = open_palette(qtbot, window)
    rows = type_query(qtbot, palette, "wine")
    assert len(rows) >= 2 and palette.current_row() == 0
    qtbot.keyClick(palette.edit, Qt.Key.Key_Down)
    assert palette.current_row() == 1
    qtbot.keyClick(palette.edit, Qt.Key.Key_Up)
    qtbot.keyClick(palette.edit, Qt.Key.Key_Up)
    assert palette.current_row() == 0
    qtbot.keyClick(palette.edit, Qt.Key.Key_Escape)
    assert not palette.isVisible() and QApplication.focusWidget() is typing_in

    refresh = next(a for a in window.actions() if a.text() == "&Refresh")
    refresh.setEnabled(False)
    refresh.setProperty(DISABLED_REASON, "the catalog is busy")
    palette = open_palette(qtbot, window)
    rows = type_query(qtbot, palette, ">refresh")
    assert not rows[0].enabled and rows[0].detail == "unavailable: the catalog is busy"
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    assert palette.isVisible() and "the catalog is busy" in palette.hint.text()
    qtbot.keyClick(palette.edit, Qt.Key.Key_Escape)


def test_every_menu_action_is_in_the_palette(qtbot: Any, window: Any) -> None:
    expected: set[str] = set()

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())  # type: ignore[arg-type]
            elif not action.isSeparator():
                expected.add(plain_text(action.text()))

    for top in window.menuBar().actions():
        walk(top.menu())
    palette = open_palette(qtbot, window)
    found = {r.hit.entry.name.split(": ")[-1] for r in type_query(qtbot, palette, ">")}
    assert expected and found == expected
    assert len(expected) < 50  # all of them fit the list


def test_ctrl_k_is_in_the_help_menu_and_the_shortcut_list(window: Any) -> None:
    help_menu = window.menuBar().actions()[-1].menu()
    palette = next(a for a in help_menu.actions() if "Command Palette" in a.text())
    assert isinstance(palette, QAction) and palette.shortcut().toString() == "Ctrl+K"
    assert any(keys == "Ctrl+K" for keys, _what in window_shortcuts(window))


def test_a_pipeline_and_the_add_pipeline_action(qtbot: Any, window: Any) -> None:
    palette = open_palette(qtbot, window)
    rows = type_query(qtbot, palette, "pipeline: tiny")
    assert names(rows) == ["tiny"] and rows[0].detail == "pipeline.yaml · 1 stage"
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    pipelines = window.panes["Pipelines"]
    assert window.stack.currentWidget() is pipelines
    qtbot.waitUntil(lambda: pipelines.view.title.text() == "tiny", timeout=10000)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    palette = open_palette(qtbot, window)
    assert "Add pipeline…" in names(type_query(qtbot, palette, "> add pipe"))
    palette.close_palette()
