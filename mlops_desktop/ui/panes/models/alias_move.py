"""Moving an alias that points at another version (the champion, say) asks first."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from mlops_desktop.ui.formatting import shown_text


def confirm_alias_move(
    parent: QWidget,
    name: str,
    alias: str,
    moves_from: int,
    moves_to: int,
    move: Callable[[], object],
) -> QMessageBox:
    """Open (not exec) a question naming the version ``alias`` moves from; ``move`` on yes."""
    shown = shown_text(alias)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Move alias",
        f"Move “{shown}” from v{moves_from} to v{moves_to}? Whatever loads "
        f"{shown_text(name)}@{shown} gets v{moves_to} from now on.",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    button = box.addButton(f"Move to v{moves_to}", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    button.clicked.connect(lambda: move())
    box.open()
    return box
