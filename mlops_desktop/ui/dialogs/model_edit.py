"""Small dialogs that edit a model version: set an alias, set a tag, describe it in Markdown.

They only collect input; the pane runs the service call on the TaskRunner.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.ui.formatting import shown_html, shown_text
from mlops_desktop.ui.widgets import monospace_font

ALIAS_PATTERN = re.compile(r"^(?!\d+$)[A-Za-z0-9_-]{1,100}$")
ALIAS_HELP = "Letters, digits, “_” and “-”, not only digits (champion, prod-2)."


class SetAliasDialog(QDialog):
    """Pick or type an alias for ``name`` v``version``; says when it will move from another one.

    Args:
        aliases: the model's aliases now, alias → version.
    """

    def __init__(
        self, name: str, version: int, aliases: dict[str, int], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Set alias on {shown_text(name)} v{version}")
        self._version = version
        self._aliases = dict(aliases)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        known = sorted(set(aliases) | {"champion", "challenger"})
        self.combo.addItems(known)
        self.combo.setCurrentText("")
        edit = self.combo.lineEdit()
        if edit is not None:
            edit.setPlaceholderText("champion")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout()
        form.addRow("Alias", self.combo)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(f"An alias points at one version of <b>{html.escape(shown_text(name))}</b>.")
        )
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.combo.currentTextChanged.connect(self._on_text_changed)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._on_text_changed("")

    def alias(self) -> str:
        return self.combo.currentText().strip()

    def _on_text_changed(self, _text: str) -> None:
        alias = self.alias()
        ok = bool(ALIAS_PATTERN.match(alias))
        current = self._aliases.get(alias)
        if not alias:
            self.note.setText("")
        elif not ok:
            self.note.setText(ALIAS_HELP)
        elif current == self._version:
            self.note.setText(f"“{shown_html(alias)}” already points at v{self._version}.")
            ok = False
        elif current is not None:
            self.note.setText(
                f"<b>“{shown_html(alias)}” will move from v{current} to v{self._version}.</b>"
            )
        else:
            self.note.setText(f"New alias “{shown_html(alias)}” → v{self._version}.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class TagDialog(QDialog):
    """A key and a value for a tag on one version."""

    def __init__(self, title: str, key: str = "", value: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.key_edit = QLineEdit(key)
        self.value_edit = QLineEdit(value)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout(self)
        form.addRow("Key", self.key_edit)
        form.addRow("Value", self.value_edit)
        form.addRow(self.buttons)
        self.key_edit.textChanged.connect(self._on_key_changed)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._on_key_changed(key)

    def tag(self) -> tuple[str, str]:
        return self.key_edit.text().strip(), self.value_edit.text()

    def _on_key_changed(self, text: str) -> None:
        ok = bool(text.strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class DescribeDialog(QDialog):
    """A Markdown editor with a live preview (rendered 200 ms after the last key)."""

    def __init__(self, title: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(860, 520)
        self.editor = QPlainTextEdit(text)
        self.editor.setFont(monospace_font())
        self.editor.setPlaceholderText("# What this model is for\n\nTrained on …")
        self.preview = QTextBrowser()
        self.preview.setOpenExternalLinks(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.editor)
        split.addWidget(self.preview)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Markdown on the left, how the card shows it on the right."))
        layout.addWidget(split, 1)
        layout.addWidget(self.buttons)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self._on_render)
        self.editor.textChanged.connect(self.timer.start)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._on_render()

    def text(self) -> str:
        return self.editor.toPlainText()

    def _on_render(self) -> None:
        self.preview.setMarkdown(self.editor.toPlainText())
