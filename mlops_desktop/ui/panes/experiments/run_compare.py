"""The Compare tab: parallel coordinates above, the differing params and metrics below.

While a brush on the parallel coordinates filters the runs table, the selection shrinks to the
runs inside it: the chart keeps every run it was showing (those outside dimmed) and only the
differences below follow the selection.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.charts.parallel_coords import ParallelCoordinatesView
from mlops_desktop.ui.charts.param_diff import ParamDiffView


class CompareView(QWidget):
    """Both comparison views for the selected runs.

    Signals:
        brushChanged(object): the ids (``set[str]``) of the runs inside the parallel
            coordinates' brushes, or None when no axis is brushed any more.
    """

    brushChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parallel = ParallelCoordinatesView()
        self.diff = ParamDiffView()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.parallel)
        splitter.addWidget(self.diff)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([380, 140])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._runs: list[RunSummary] = []
        self.parallel.brushChanged.connect(self.brushChanged)

    @property
    def runs(self) -> list[RunSummary]:
        return list(self._runs)

    def set_runs(self, runs: list[RunSummary], columns: list[str] | None = None) -> None:
        """Compare ``runs``; ``columns`` (the table's) pick the parallel axes when given."""
        self._runs = list(runs)
        brushed = self.parallel.brushed_ids()
        shown = {run.id for run in self.parallel.runs}
        if brushed is None or not {run.id for run in runs} <= shown:
            self.parallel.set_runs(self._runs, columns or None)
        self.diff.set_runs(self._runs)
