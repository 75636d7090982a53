"""One legend strip for every chart of the grid: each shown run's colour swatch and name.

It sits above the charts, never over a curve. With many runs it shows the first few and a
button to show them all.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

COLLAPSED_RUNS = 8  # runs named while the legend is collapsed


def unbroken(text: str) -> str:
    """``text`` as HTML that never wraps inside (non-breaking spaces and hyphens)."""
    return html.escape(text).replace(" ", "&nbsp;").replace("-", "\u2011")


class RunLegend(QWidget):
    """Swatch + name per run, wrapped over as many lines as needed; collapsible."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[tuple[str, QColor]] = []
        self._expanded = False
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.toggle = QToolButton()
        self.toggle.setAutoRaise(True)
        self.toggle.clicked.connect(self._on_toggle)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        self._render()

    @property
    def expanded(self) -> bool:
        return self._expanded

    def set_runs(self, entries: list[tuple[str, QColor]]) -> None:
        """The runs to name, as (label, colour), in the table's order."""
        self._entries = [(label, QColor(color)) for label, color in entries]
        self._render()

    def entries(self) -> list[tuple[str, QColor]]:
        return list(self._entries)

    def set_expanded(self, expanded: bool) -> None:
        self._expanded = bool(expanded)
        self._render()

    def _on_toggle(self) -> None:
        self.set_expanded(not self._expanded)

    def _render(self) -> None:
        shown = self._entries
        hidden = 0
        if not self._expanded and len(shown) > COLLAPSED_RUNS:
            hidden = len(shown) - COLLAPSED_RUNS
            shown = shown[:COLLAPSED_RUNS]
        parts = [
            f'<span style="white-space:nowrap"><span style="color:{color.name()}">■</span>'
            f"&nbsp;{unbroken(label)}</span>"
            for label, color in shown
        ]
        if hidden:
            parts.append(f"<i>and&nbsp;{hidden}&nbsp;more</i>")
        self.label.setText(" &nbsp; ".join(parts))
        many = len(self._entries) > COLLAPSED_RUNS
        self.toggle.setVisible(many)
        self.toggle.setText("Show fewer" if self._expanded else "Show all")
        self.setVisible(bool(self._entries))
