"""Help menu dialogs: About and the list of keyboard shortcuts.

The list is read from the window's own actions and shortcuts when it opens, so it cannot drift
from the keys that work. An action or :class:`QShortcut` describes itself by its status tip (else
its text, else its "What's this"); one that works only in part of the window says where in its
``SHORTCUT_WHERE`` property ("in notes").
"""

from __future__ import annotations

import html
from importlib import metadata

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMessageBox, QWidget

SHORTCUT_WHERE = "shortcutWhere"
NATIVE = QKeySequence.SequenceFormat.NativeText


def shortcut_description(item: QAction | QShortcut) -> str:
    """What a shortcut does, in a few words ("Preferences", "Save the run's notes")."""
    text = (item.statusTip() or item.text()) if isinstance(item, QAction) else item.whatsThis()
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def window_shortcuts(window: QObject) -> list[tuple[str, str]]:
    """(keys, what they do) for every action and shortcut of ``window`` that has keys."""
    items: list[QAction | QShortcut] = [*window.findChildren(QAction)]
    if isinstance(window, QWidget):
        items += [a for a in window.actions() if a not in items]
    items += window.findChildren(QShortcut)
    rows: list[tuple[str, str]] = []
    for item in items:
        keys = primary_keys(item)
        what = shortcut_description(item)
        if not keys or not what:
            continue
        where = item.property(SHORTCUT_WHERE)
        row = (f"{keys} ({where})" if where else keys, what)
        if row not in rows:
            rows.append(row)
    return rows


def primary_keys(item: QAction | QShortcut) -> str:
    """The first key sequence of an action or a shortcut, as the platform writes it ("" if none).

    A standard key may bring platform extras (Ctrl+S and the keyboard's Save key): the first
    is the one people type.
    """
    sequences = item.shortcuts() if isinstance(item, QAction) else item.keys()
    return next((s.toString(NATIVE) for s in sequences if not s.isEmpty()), "")


def app_version() -> str:
    try:
        return metadata.version("mlops-desktop")
    except metadata.PackageNotFoundError:
        return "unknown"


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent,
        "About MLOps Desktop",
        f"<h3>MLOps Desktop {app_version()}</h3>"
        "<p>Datasets, experiments, models and monitors on your own machines, offline.</p>"
        "<p>Log a run from any script with <code>mlops_desktop.start_run(...)</code>.</p>",
    )


def shortcuts_html(shortcuts: list[tuple[str, str]]) -> str:
    rows = "".join(
        f"<tr><td><b>{html.escape(keys)}</b></td><td>&nbsp;&nbsp;{html.escape(what)}</td></tr>"
        for keys, what in shortcuts
    )
    return f"<table>{rows}</table>"


def show_shortcuts(parent: QWidget) -> QMessageBox:
    """The keyboard shortcuts of ``parent``'s window, as they are now."""
    box = QMessageBox(parent)
    box.setWindowTitle("Keyboard shortcuts")
    box.setText(shortcuts_html(window_shortcuts(parent.window())))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.open()
    return box
