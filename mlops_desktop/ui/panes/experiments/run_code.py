"""The Code tab: commit, branch, dirty flag and the uncommitted diff with +/- colouring."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QFormLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from mlops_desktop.core.runs import GitInfo
from mlops_desktop.ui.formatting import count_noun, human_bytes
from mlops_desktop.ui.widgets import monospace_font


def _format(color: str, bold: bool = False, tint: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    if tint:
        background = QColor(color)
        background.setAlpha(34)
        fmt.setBackground(background)
    return fmt


class DiffHighlighter(QSyntaxHighlighter):
    """Colours a unified diff: additions green, removals red, hunks blue, headers bold.

    The colours are mid-tones with a faint background, readable on light and dark palettes.
    """

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.added = _format("#2ea043", tint=True)
        self.removed = _format("#e5534b", tint=True)
        self.hunk = _format("#4c8ed9")
        self.header = _format("#9a7bd1", bold=True)

    def highlightBlock(self, text: str) -> None:
        if text.startswith(("diff --git", "+++", "---", "index ", "new file", "deleted file")):
            fmt = self.header
        elif text.startswith("@@"):
            fmt = self.hunk
        elif text.startswith("+"):
            fmt = self.added
        elif text.startswith("-"):
            fmt = self.removed
        else:
            return
        self.setFormat(0, len(text), fmt)


def truncation_note(git: GitInfo) -> str:
    """``diff truncated at N of M bytes`` when the diff was capped, else empty."""
    if not git.diff_truncated:
        return ""
    return f"diff truncated at {git.cap_bytes:,} of {count_noun(git.diff_bytes, 'byte')}"


class CodeView(QWidget):
    """What code a run ran."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.commit_label = QLabel()
        self.branch_label = QLabel()
        self.dirty_label = QLabel()
        self.repo_label = QLabel()
        for label in (self.commit_label, self.branch_label, self.repo_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.commit_label.setFont(monospace_font())
        self.truncated_label = QLabel()
        self.truncated_label.setStyleSheet("color: #b7791f;")
        self.truncated_label.setVisible(False)
        self.diff_view = QPlainTextEdit()
        self.diff_view.setReadOnly(True)
        self.diff_view.setFont(monospace_font())
        self.diff_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = DiffHighlighter(self.diff_view.document())
        form = QFormLayout()
        form.addRow("Commit:", self.commit_label)
        form.addRow("Branch:", self.branch_label)
        form.addRow("Uncommitted changes:", self.dirty_label)
        form.addRow("Repository:", self.repo_label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.truncated_label)
        layout.addWidget(self.diff_view, 1)
        self.set_git(None)

    def set_git(self, git: GitInfo | None) -> None:
        if git is None:
            for label in (self.commit_label, self.branch_label, self.dirty_label, self.repo_label):
                label.setText("—")
            self.truncated_label.setVisible(False)
            self.diff_view.setPlainText("The run was not started inside a git repository.")
            return
        self.commit_label.setText(git.commit or "—")
        self.branch_label.setText(git.branch or "(detached)")
        self.dirty_label.setText(
            f"yes, {human_bytes(git.diff_bytes)} of diff" if git.dirty else "no, the tree was clean"
        )
        self.repo_label.setText(git.repo_root or "—")
        note = truncation_note(git)
        self.truncated_label.setText(note)
        self.truncated_label.setVisible(bool(note))
        if git.diff:
            text = git.diff
        elif git.dirty:
            text = "(the diff was not recorded)"
        else:
            text = "(no uncommitted changes)"
        self.diff_view.setPlainText(text)
