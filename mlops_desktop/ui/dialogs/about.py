"""Help menu dialogs: About and the list of keyboard shortcuts."""

from __future__ import annotations

from importlib import metadata

from PySide6.QtWidgets import QMessageBox, QWidget

SHORTCUTS: list[tuple[str, str]] = [
    ("Ctrl+1 … Ctrl+4", "Show Experiments, Datasets, Models, Monitors"),
    ("Ctrl+F", "Filter runs"),
    ("Enter (in the filter)", "Apply the filter now"),
    ("F5", "Refresh"),
    ("Ctrl+S (in notes)", "Save the run's notes"),
    ("Ctrl+Shift+T", "Toggle dark/light"),
    ("Ctrl+,", "Preferences"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
]


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


def shortcuts_html() -> str:
    rows = "".join(
        f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for keys, what in SHORTCUTS
    )
    return f"<table>{rows}</table>"


def show_shortcuts(parent: QWidget) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("Keyboard shortcuts")
    box.setText(shortcuts_html())
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.open()
    return box
