"""ChartGrid: small multiples, one MetricChart per metric key, in sections by key prefix.

Keys are grouped by their prefix (``train/``, ``val/``...); keys without one form the first
section, and the system metrics (``sys/``) come last, collapsed until opened. Each section
header folds its charts away. A chart opens full size on double-click or its expand button;
Esc or "All charts" brings the grid back. The grid lays out 1 to 4 columns by width.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.hardware import SYSTEM_PREFIX
from mlops_desktop.ui.charts.metric_chart import MetricChart
from mlops_desktop.ui.dialogs.about import SHORTCUT_WHERE

PLAIN_GROUP = ""  # keys without a prefix
PLAIN_GROUP_TITLE = "Metrics"
SYSTEM_GROUP_TITLE = "System (sys/): CPU, memory, GPU; never smoothed"
CHART_HEIGHT = 230
MIN_CHART_WIDTH = 340
MAX_COLUMNS = 4
DRAW_INTERVAL_MS = 30  # between two charts drawn in the background
SAME_AS_ALL = "Same as all charts"


def key_group(key: str) -> str:
    """The section of a key: its prefix up to the first ``/`` (with it), or ``""``."""
    head, slash, _rest = key.partition("/")
    return f"{head}/" if slash else PLAIN_GROUP


def ordered_groups(keys: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Sections in display order: no prefix first, prefixes alphabetically, ``sys/`` last."""
    groups: dict[str, list[str]] = {}
    for key in sorted(set(keys)):
        groups.setdefault(key_group(key), []).append(key)

    def rank(group: str) -> tuple[int, str]:
        if group == PLAIN_GROUP:
            return (0, group)
        return (2, group) if group == SYSTEM_PREFIX else (1, group)

    return [(group, groups[group]) for group in sorted(groups, key=rank)]


def is_system_key(key: str) -> bool:
    return key.startswith(SYSTEM_PREFIX)


class _Section(QWidget):
    """A header that folds the section plus a grid of charts."""

    def __init__(self, group: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = group
        self.keys: list[str] = []
        self.header = QToolButton()
        self.header.setCheckable(True)
        self.header.setChecked(group != SYSTEM_PREFIX)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        bold = self.header.font()
        bold.setBold(True)
        self.header.setFont(bold)
        self.header.toggled.connect(self._on_toggled)
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        self._on_toggled(self.header.isChecked())

    @property
    def open(self) -> bool:
        return self.header.isChecked()

    def set_title(self, shown: int) -> None:
        title = SYSTEM_GROUP_TITLE if self.group == SYSTEM_PREFIX else self.group
        noun = "chart" if shown == 1 else "charts"
        self.header.setText(f"{title or PLAIN_GROUP_TITLE}  ({shown} {noun})")

    def _on_toggled(self, opened: bool) -> None:
        self.header.setArrowType(Qt.ArrowType.DownArrow if opened else Qt.ArrowType.RightArrow)
        self.body.setVisible(opened)


class ChartGrid(QWidget):
    """The grid of charts and the full-size view of one of them.

    Signals:
        expandedChanged(str): the key shown full size, or "" when back to the grid.
        chartXAxisChanged(str, str): a chart's own x axis was chosen (key, mode or "").
    """

    expandedChanged = Signal(str)
    chartXAxisChanged = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._charts: dict[str, MetricChart] = {}
        self._sections: dict[str, _Section] = {}
        self._filter = ""
        self._columns = 2
        self._expanded: str | None = None

        self._content = QWidget()
        self._content_layout = QVBoxLayout(self._content)
        self._content_layout.setContentsMargins(4, 0, 4, 4)
        self._content_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self._content)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.no_match = QLabel("No metric matches the filter")
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.hide()
        self._content_layout.insertWidget(0, self.no_match)

        self.back_button = QPushButton("← All charts")
        self.back_button.setToolTip("Back to the grid of charts (Esc)")
        self.back_button.clicked.connect(self.collapse)
        self.x_override = QComboBox()
        self.x_override.addItem(SAME_AS_ALL, "")
        for text, mode in (("Step", "step"), ("Wall time", "time"), ("Relative time", "relative")):
            self.x_override.addItem(text, mode)
        self.x_override.setToolTip("The x axis of this chart only")
        self.x_override.currentIndexChanged.connect(self._on_override_chosen)
        self.fit_button = QPushButton("Fit to data")
        self.fit_button.clicked.connect(self._fit_expanded)
        bar = QHBoxLayout()
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        bar.addWidget(QLabel("X axis of this chart"))
        bar.addWidget(self.x_override)
        bar.addWidget(self.fit_button)
        self._expanded_page = QWidget()
        self._expanded_layout = QVBoxLayout(self._expanded_page)
        self._expanded_layout.setContentsMargins(0, 0, 0, 0)
        self._expanded_layout.addLayout(bar)

        self._stack = QStackedLayout(self)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._stack.addWidget(self.scroll_area)
        self._stack.addWidget(self._expanded_page)
        self._drawer = QTimer(self)  # draws deferred charts: on screen first, then the rest
        self._drawer.setInterval(DRAW_INTERVAL_MS)
        self._drawer.timeout.connect(self._draw_deferred)
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._draw_soon)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.setWhatsThis("Back to all charts")
        escape.setProperty(SHORTCUT_WHERE, "in an expanded chart")  # listed so by F1
        escape.activated.connect(self.collapse)

    # -- charts -------------------------------------------------------------------------------

    def chart_keys(self) -> list[str]:
        """Every key with a chart, in display order."""
        return [key for _group, keys in ordered_groups(self._charts) for key in keys]

    @property
    def columns(self) -> int:
        """Charts side by side at the grid's width."""
        return self._columns

    def chart(self, key: str) -> MetricChart:
        return self._charts[key]

    def charts(self) -> dict[str, MetricChart]:
        return dict(self._charts)

    def section(self, group: str) -> _Section:
        return self._sections[group]

    def groups(self) -> list[str]:
        """Sections in display order."""
        return [group for group, _keys in ordered_groups(self._charts)]

    def set_keys(self, keys: Iterable[str]) -> list[str]:
        """Have exactly one chart per key (reusing existing ones); returns the new keys."""
        wanted = set(keys)
        if wanted == set(self._charts):
            return []  # as they are (a live update): no new layout
        if self._expanded is not None and self._expanded not in wanted:
            self.collapse()
        for key in [k for k in self._charts if k not in wanted]:
            chart = self._charts.pop(key)
            chart.setParent(None)
            chart.deleteLater()
        added = []
        for key in sorted(wanted - set(self._charts)):
            chart = MetricChart(compact=True)
            chart.set_key(key)
            chart.set_smoothable(not is_system_key(key))
            chart.setMinimumHeight(CHART_HEIGHT)
            chart.expandRequested.connect(lambda key=key: self.expand(key))
            chart.drawingDeferred.connect(self._draw_soon)
            self._charts[key] = chart
            added.append(key)
        self._relayout()
        return added

    def set_filter(self, text: str) -> None:
        """Show only charts whose key contains ``text`` (case-insensitive)."""
        self._filter = text.strip().lower()
        self._relayout()

    def visible_keys(self) -> list[str]:
        """Keys that pass the filter, in display order (in folded sections too)."""
        return [k for k in self.chart_keys() if self._filter in k.lower()]

    # -- full size ----------------------------------------------------------------------------

    @property
    def expanded_key(self) -> str | None:
        return self._expanded

    def expand(self, key: str) -> None:
        """Show the chart of ``key`` full size, with its own x-axis choice."""
        if key not in self._charts or self._expanded == key:
            return
        if self._expanded is not None:
            self.collapse()
        chart = self._charts[key]
        self._expanded = key
        self._expanded_layout.addWidget(chart, 1)
        chart.set_compact(False)
        self.x_override.blockSignals(True)
        self.x_override.setCurrentIndex(max(0, self.x_override.findData(chart.x_override)))
        self.x_override.blockSignals(False)
        self._stack.setCurrentWidget(self._expanded_page)
        self.back_button.setFocus()
        self.expandedChanged.emit(key)

    def collapse(self) -> None:
        """Back to the grid."""
        if self._expanded is None:
            return
        chart = self._charts.get(self._expanded)
        self._expanded = None
        if chart is not None:
            chart.set_compact(True)
        self._stack.setCurrentWidget(self.scroll_area)
        self._relayout()
        self.expandedChanged.emit("")

    def _on_override_chosen(self, index: int) -> None:
        if self._expanded is not None:
            self.chartXAxisChanged.emit(self._expanded, self.x_override.itemData(index) or "")

    def _fit_expanded(self) -> None:
        if self._expanded is not None:
            self._charts[self._expanded].fit_to_data()

    # -- deferred drawing ---------------------------------------------------------------------

    def _draw_soon(self) -> None:
        if not self._drawer.isActive():
            self._drawer.start()

    def _draw_deferred(self) -> None:
        """Draw every waiting chart on screen; else one waiting chart off screen per tick."""
        waiting = [chart for chart in self._charts.values() if chart.pending]
        if not waiting:
            self._drawer.stop()
            return
        on_screen = [chart for chart in waiting if chart.on_screen()]
        for chart in on_screen or waiting[:1]:
            chart.flush()

    # -- layout -------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        columns = self._columns_for(event.size().width() - 24)  # less the scroll bar
        if columns != self._columns:
            self._columns = columns
            self._relayout()

    @staticmethod
    def _columns_for(width: int) -> int:
        return max(1, min(MAX_COLUMNS, width // MIN_CHART_WIDTH))

    def _relayout(self) -> None:
        groups = ordered_groups(self._charts)
        for group in [g for g in self._sections if g not in dict(groups)]:
            self._sections.pop(group).deleteLater()
        shown_any = False
        for position, (group, keys) in enumerate(groups):
            section = self._sections.get(group)
            if section is None:
                section = self._sections[group] = _Section(group)
            self._content_layout.insertWidget(position + 1, section)
            while section.grid.count():
                section.grid.takeAt(0)
            visible = [k for k in keys if self._filter in k.lower()]
            for index, key in enumerate(visible):
                chart = self._charts[key]
                if key == self._expanded:
                    continue
                section.grid.addWidget(chart, index // self._columns, index % self._columns)
                chart.show()
            for key in keys:
                if key not in visible and key != self._expanded:
                    self._charts[key].hide()
            for column in range(MAX_COLUMNS):  # empty columns keep their share of the width
                used = column < self._columns
                section.grid.setColumnStretch(column, 1 if used else 0)
                section.grid.setColumnMinimumWidth(column, MIN_CHART_WIDTH * 3 // 4 if used else 0)
            section.keys = visible
            section.set_title(len(visible))
            section.setVisible(bool(visible))
            shown_any = shown_any or bool(visible)
        self.no_match.setVisible(bool(self._charts) and not shown_any)
