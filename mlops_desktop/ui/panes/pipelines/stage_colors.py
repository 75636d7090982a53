"""The colour of each stage state, and the legend that names them.

One fill per state, chosen to read on the light and the dark palette alike (mid saturation,
mid lightness); the text on a node is white or near-black, whichever contrasts more with the
fill (:func:`text_color_on`).
"""

from __future__ import annotations

import html

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

# In the order the legend lists them: what a status says, then what a run does.
STATE_COLORS: dict[str, str] = {
    "cached": "#6f8fa8",
    "restorable": "#7d7fd6",
    "stale": "#e6a23c",
    "queued": "#c7b77a",
    "running": "#2f80ed",
    "done": "#27ae60",
    "restored": "#1a9e9e",
    "failed": "#e0433b",
    "blocked": "#a0522d",
    "cancelled": "#8e8e93",
}
UNKNOWN_COLOR = "#b0b0b0"

STATE_MEANINGS: dict[str, str] = {
    "cached": "unchanged, outs present: nothing to do",
    "restorable": "unchanged, an out is missing: it is restored from the store, not rerun",
    "stale": "something changed: it runs",
    "queued": "waiting for the stages it needs or a free slot",
    "running": "running now",
    "done": "ran and succeeded",
    "restored": "its outs were copied back from the store",
    "failed": "its command failed: see its log",
    "blocked": "a stage it needs failed or was cancelled: not run",
    "cancelled": "cancelled",
}


def state_color(state: str) -> QColor:
    """The fill of a node in ``state`` (grey for a state this version does not know)."""
    return QColor(STATE_COLORS.get(state, UNKNOWN_COLOR))


def text_color_on(fill: QColor) -> QColor:
    """White or near-black, whichever reads better on ``fill`` (WCAG relative luminance)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = (
        0.2126 * channel(fill.red())
        + 0.7152 * channel(fill.green())
        + 0.0722 * channel(fill.blue())
    )
    # Contrast with white is 1.05 / (L + 0.05); with #1a1a1a (L ~ 0.01) it is (L + 0.05) / 0.06.
    return (
        QColor("#ffffff")
        if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.06
        else (QColor("#1a1a1a"))
    )


def legend_entry_html(state: str) -> str:
    """A swatch and the name of one state."""
    return f'<span style="color:{STATE_COLORS[state]}; font-size:large">&#9632;</span>&nbsp;{state}'


class StateLegend(QWidget):
    """The legend under the stage graph, in rows of :data:`PER_ROW`; each state's meaning is
    in the tooltip."""

    PER_ROW = 5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 0, 2, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(0)
        self.labels: dict[str, QLabel] = {}
        for i, state in enumerate(STATE_COLORS):
            label = QLabel(legend_entry_html(state))
            label.setToolTip(STATE_MEANINGS[state])
            grid.addWidget(label, i // self.PER_ROW, i % self.PER_ROW)
            self.labels[state] = label
        grid.setColumnStretch(self.PER_ROW, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "<br>".join(
                f"<b>{s}</b>: {html.escape(meaning)}" for s, meaning in STATE_MEANINGS.items()
            )
        )

    def text(self) -> str:
        """Every entry, as shown."""
        return "  ".join(label.text() for label in self.labels.values())
