"""The runs table filtered by a parallel-coordinates brush, and the bar that says so.

The pane passes each load of runs through :meth:`BrushFilter.apply`; while a brush is on, only
the runs inside it stay, and a bar above the table reads "Filtered by parallel-coordinates
brush: N runs — Clear".
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from mlops_desktop.core.plural import count_noun
from mlops_desktop.ui.panes.experiments.runs_loader import RunsLoad

BANNER_TEXT = "Filtered by parallel-coordinates brush"


class BrushFilterBar(QWidget):
    """ "Filtered by parallel-coordinates brush: N runs" and a Clear button; hidden when off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(BANNER_TEXT)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Show every run again and remove the brushes")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.clear_button)
        self.setVisible(False)

    def show_count(self, count: int | None) -> None:
        """Show the bar for ``count`` runs inside the brush, or hide it (None)."""
        if count is None:
            self.setVisible(False)
            return
        runs = count_noun(count, "run")
        self.label.setText(f"{BANNER_TEXT}: {runs} inside the brushed ranges")
        self.setVisible(True)


class BrushFilter(QObject):
    """The ids a brush keeps in the table, or None when the table is not brushed.

    Signals:
        changed(): the filter was set or cleared; the table should show its rows again.
        cleared(): the person pressed Clear (or the experiment changed): remove the brushes.
    """

    changed = Signal()
    cleared = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids: frozenset[str] | None = None
        self.bar = BrushFilterBar()
        self.bar.clear_button.clicked.connect(self.clear)

    @property
    def ids(self) -> frozenset[str] | None:
        return self._ids

    def set_ids(self, ids: set[str] | frozenset[str] | None) -> None:
        """Keep only the runs ``ids`` in the table (None: every run)."""
        self._ids = None if ids is None else frozenset(ids)
        self.bar.show_count(None if ids is None else len(ids))
        self.changed.emit()

    def clear(self) -> None:
        """Stop filtering: the table shows every run and the chart drops its brushes."""
        if self._ids is None:
            return
        self.set_ids(None)
        self.cleared.emit()

    def apply(self, load: RunsLoad) -> RunsLoad:
        """``load`` with only the runs inside the brush (all of them when not brushed)."""
        if self._ids is None:
            return load
        return replace(load, runs=[run for run in load.runs if run.id in self._ids])
