"""The strip above a chart's plot: its title, its expand button and the crosshair readout.

Text here follows the palette (a bold font, no style sheet), so a theme switch recolours it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

READOUT_LINES = 2  # lines kept for the readout of a small chart


class ChartHeader(QWidget):
    """Title (the metric key) with the expand button, and the readout line(s) below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_label = QLabel()
        bold = self.title_label.font()
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.expand_button = QToolButton()
        self.expand_button.setText("⤢")
        self.expand_button.setAutoRaise(True)
        self.expand_button.setToolTip("Show this chart full size (or double-click it)")
        self.readout_label = QLabel(" ")
        self.readout_label.setTextFormat(Qt.TextFormat.RichText)
        self.readout_label.setWordWrap(True)
        top = QVBoxLayout(self)
        top.setContentsMargins(6, 2, 2, 0)
        top.setSpacing(0)
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.addWidget(self.title_label, 1)
        title_row.addWidget(self.expand_button)
        top.addLayout(title_row)
        top.addWidget(self.readout_label)

    def set_compact(self, compact: bool) -> None:
        """In a small chart: the expand button, and a readout of fixed height (hovering never
        resizes the plot). Full size: no button, the readout as tall as it needs."""
        self.expand_button.setVisible(compact)
        if compact:
            lines = self.readout_label.fontMetrics().lineSpacing()
            self.readout_label.setFixedHeight(READOUT_LINES * lines + 2)
        else:
            self.readout_label.setMinimumHeight(0)
            self.readout_label.setMaximumHeight(16777215)
