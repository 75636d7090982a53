"""MetricPanel: the Charts tab, a grid of every metric of the selected runs, with its controls.

Series load on the TaskRunner, never on the GUI thread. A new selection wins over the load in
flight (its result is dropped). Live refreshes read only the points stored since the last read
(a cursor per run and key) and append them to the curves; they queue behind each other, so a
run that logs fast never piles them up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MetricNotFound, RunNotFound
from mlops_desktop.core.runs import MetricSeries, RunSummary
from mlops_desktop.ui.charts.chart_data import RunData
from mlops_desktop.ui.charts.chart_grid import ChartGrid, is_system_key, ordered_groups
from mlops_desktop.ui.charts.chart_legend import RunLegend
from mlops_desktop.ui.charts.metric_chart import EMPTY_TEXT, MetricChart
from mlops_desktop.ui.charts.palette import color_of_run, run_label
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState

FIRST_CHARTS = 6  # charts loaded before the others (at most): what the tab shows first
FIRST_ROWS = 2  # rows of charts the tab shows first
LOADING_TEXT = "Loading…"
X_AXIS_CHOICES = (("Step", "step"), ("Wall time", "time"), ("Relative time", "relative"))
Cursor = tuple[int, int]
Loaded = dict[tuple[str, str], tuple[MetricSeries, Cursor]]  # (run id, key) -> points, cursor
Computed = dict[tuple[str, str], tuple[RunData, Cursor]]


class MetricSource(Protocol):
    """What the panel needs from the experiment service."""

    def metric_keys(self, run_ids: list[str]) -> list[str]: ...

    def metric_series_after(
        self, run_id: str, key: str, after: Cursor | None = None
    ) -> tuple[MetricSeries, Cursor]: ...


def choose_key(keys: list[str], preferred: str | None) -> str | None:
    """The key to show: the remembered one if available, else one containing "loss", else first."""
    if not keys:
        return None
    if preferred in keys:
        return preferred
    return next((k for k in keys if "loss" in k.lower()), keys[0])


def load_selection(
    source: MetricSource,
    run_ids: list[str],
    modes: dict[str, str],
    mode: str,
    smoothing: float,
    keys: list[str] | None = None,
    first: int = FIRST_CHARTS,
    *,
    state: TaskState,
) -> tuple[list[str], Computed, list[str]]:
    """Whole series of the runs' keys, first the charts seen first (worker thread).

    With ``keys`` None, every key of the runs is listed and the ``first`` ones in display
    order are loaded; the others are returned to be loaded next. With ``keys``, those
    are loaded. The curves are computed here too, for the x-axis mode of each key's chart
    (``modes``, else ``mode``) and the smoothing (never for ``sys/`` keys), so the GUI thread
    only draws.

    Returns:
        Every key, the loaded (run, key) data with its cursor, and the keys left to load.
    """
    if keys is None:
        every = [
            key
            for _group, group_keys in ordered_groups(source.metric_keys(run_ids))
            for key in group_keys
        ]
        now, later = every[:first], every[first:]
    else:
        every, now, later = list(keys), list(keys), []
    loaded: Computed = {}
    for key in now:
        weight = 0.0 if is_system_key(key) else smoothing
        for run_id in run_ids:
            state.check()
            try:
                series, cursor = source.metric_series_after(run_id, key, None)
            except (MetricNotFound, RunNotFound):
                continue
            loaded[(run_id, key)] = (RunData.of(series, modes.get(key) or mode, weight), cursor)
    return every, loaded, later


def load_new_points(
    source: MetricSource,
    run_ids: list[str],
    cursors: dict[tuple[str, str], Cursor],
    *,
    state: TaskState,
) -> tuple[list[str], Loaded]:
    """The keys of ``run_ids`` and, per run and key, only the points after its cursor."""
    keys = source.metric_keys(run_ids)
    loaded: Loaded = {}
    for key in keys:
        for run_id in run_ids:
            state.check()
            try:
                loaded[(run_id, key)] = source.metric_series_after(
                    run_id, key, cursors.get((run_id, key))
                )
            except (MetricNotFound, RunNotFound):
                continue
    return keys, loaded


class MetricPanel(QWidget):
    """Filter, smoothing, log scale and x-axis controls, the run legend, and the chart grid.

    Args:
        service: anything with ``metric_keys(run_ids)`` and ``metric_series_after(...)``.
        runner: the task runner that loads data off the GUI thread.

    Signals:
        keyChanged(str): the chart shown full size (or the grid's main chart) changed.
    """

    keyChanged = Signal(str)

    def __init__(
        self, service: MetricSource, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._run_ids: list[str] = []
        self._labels: dict[str, str] = {}
        self._colors: dict[str, QColor] = {}
        self._cursors: dict[tuple[str, str], Cursor] = {}
        self._key: str | None = None  # the main chart's key, remembered across selections
        self._stale: set[str] = set()  # shown runs with new points not drawn yet
        self._smoothing = 0.0
        self._log_y = False
        self._x_mode = "step"

        self.grid = ChartGrid(self)
        self.legend = RunLegend(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter metrics")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(220)
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setFixedWidth(120)
        self.smoothing_slider.setToolTip(
            "Exponential moving average weight (0 = raw values); never applied to sys/ metrics"
        )
        self.smoothing_label = QLabel("0.00")
        self.smoothing_label.setMinimumWidth(32)
        self.log_check = QCheckBox("Log scale")
        self.x_combo = QComboBox()
        for text, mode in X_AXIS_CHOICES:
            self.x_combo.addItem(text, mode)
        self.message = QLabel(EMPTY_TEXT)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #777; font-size: 14px;")

        controls = QHBoxLayout()
        controls.addWidget(self.search, 1)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing_slider)
        controls.addWidget(self.smoothing_label)
        controls.addSpacing(8)
        controls.addWidget(self.log_check)
        controls.addSpacing(8)
        controls.addWidget(QLabel("X axis"))
        controls.addWidget(self.x_combo)
        body = QWidget()
        self._body_stack = QStackedLayout(body)
        self._body_stack.addWidget(self.message)
        self._body_stack.addWidget(self.grid)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addWidget(self.legend)
        layout.addWidget(body, 1)

        self.search.textChanged.connect(self.grid.set_filter)
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        self.log_check.toggled.connect(self._on_log_toggled)
        self.x_combo.currentIndexChanged.connect(self._on_x_axis_chosen)
        self.grid.chartXAxisChanged.connect(self._on_chart_x_axis)
        self.grid.expandedChanged.connect(self._on_expanded)

    # -- public API ---------------------------------------------------------------------------

    @property
    def current_key(self) -> str | None:
        """The key of the chart shown full size, else of the grid's main (loss-like) chart."""
        return self._key

    @property
    def chart(self) -> MetricChart | None:
        """The chart of :attr:`current_key` (None before anything is loaded)."""
        if self._key is None or self._key not in self.grid.charts():
            return None
        return self.grid.chart(self._key)

    def first_charts(self) -> int:
        """How many charts load first: the first rows at the grid's width."""
        return min(FIRST_CHARTS, FIRST_ROWS * self.grid.columns)

    def set_runs(self, runs: list[RunSummary]) -> None:
        """Chart every metric of ``runs`` (each in its stable colour); loads in background."""
        self._run_ids = [run.id for run in runs]
        self._labels = {run.id: run_label(run.name, run.id) for run in runs}
        self._colors = {run.id: color_of_run(run) for run in runs}
        self.legend.set_runs([(self._labels[r], self._colors[r]) for r in self._run_ids])
        self._forget_refreshes()
        self._cursors.clear()
        if not runs:
            self._runner.cancel((self, "series"))
            self._show_message(EMPTY_TEXT)
            self.grid.set_keys([])
            return
        self._load(None)

    def _load(self, keys: list[str] | None) -> None:
        """Load the series of ``keys`` (None: list the keys, load the first charts)."""
        overrides = {key: chart.x_override for key, chart in self.grid.charts().items()}
        self._runner.submit(
            load_selection,
            self._service,
            list(self._run_ids),
            {key: mode for key, mode in overrides.items() if mode},
            self._x_mode,
            self._smoothing,
            keys,
            self.first_charts(),
            key=(self, "series"),
            on_done=self._on_selection if keys is None else self._on_more,
            on_failed=self._on_failed,
        )

    def refresh_runs(self, run_ids: Iterable[str]) -> None:
        """Append the new points of ``run_ids`` (live runs) to the charts; others are ignored."""
        self._stale |= {run_id for run_id in run_ids if run_id in self._labels}
        if not self._stale or self._runner.is_busy((self, "series")):
            return
        ordered = [run_id for run_id in self._run_ids if run_id in self._stale]
        self._runner.submit_when_idle(
            (self, "refresh"),
            load_new_points,
            self._service,
            ordered,
            dict(self._cursors),
            on_done=lambda result: self._on_new_points(ordered, result),
            # a failed live refresh keeps the curves shown and is tried again next time
        )

    # -- background results -------------------------------------------------------------------

    def _forget_refreshes(self) -> None:
        self._stale.clear()
        self._runner.cancel((self, "refresh"))

    def _on_selection(self, result: tuple[list[str], Computed, list[str]]) -> None:
        keys, loaded, later = result
        self._cursors = {}
        if not keys:
            self._show_message("No metrics logged yet")
            self.grid.set_keys([])
            return
        self.grid.set_keys(keys)
        for chart in self.grid.charts().values():
            chart.clear()  # the last selection's curves need no recomputing
            chart.set_empty_text(LOADING_TEXT)
            self._configure(chart)
        self._show_loaded(loaded)
        self._body_stack.setCurrentWidget(self.grid)
        self._set_main_key(choose_key([k for k in keys if not is_system_key(k)], self._key))
        if later:
            self._load(later)
        elif self._stale:
            QTimer.singleShot(0, self._refresh_stale)  # once this load is off the runner

    def _refresh_stale(self) -> None:
        self.refresh_runs(())

    def _on_more(self, result: tuple[list[str], Computed, list[str]]) -> None:
        self._show_loaded(result[1])
        for chart in self.grid.charts().values():
            chart.set_empty_text("No points logged yet")
        if self._stale:
            QTimer.singleShot(0, self._refresh_stale)  # once this load is off the runner

    def _show_loaded(self, loaded: Computed) -> None:
        self._cursors.update({pair: cursor for pair, (_d, cursor) in loaded.items()})
        charts = self.grid.charts()
        for key in {key for _run, key in loaded}:
            runs = [(r, loaded[(r, key)][0]) for r in self._run_ids if (r, key) in loaded]
            charts[key].set_run_data(runs, self._labels, self._colors)

    def _on_new_points(self, run_ids: list[str], result: tuple[list[str], Loaded]) -> None:
        keys, loaded = result
        self._stale.difference_update(run_ids)
        wanted = set(run_ids)
        if not wanted <= set(self._run_ids):
            return  # the selection changed meanwhile
        for key in self.grid.set_keys(set(self.grid.chart_keys()) | set(keys)):
            self._configure(self.grid.chart(key))
        for (run_id, key), (points, cursor) in loaded.items():
            self._cursors[(run_id, key)] = cursor
            self.grid.chart(key).append_points(points, self._colors.get(run_id))
        if self._stale:
            self.refresh_runs(())

    def _on_failed(self, failure: Failure) -> None:
        self.grid.set_keys([])
        self._show_message(f"Could not load metrics: {failure}")

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self._body_stack.setCurrentWidget(self.message)

    def _set_main_key(self, key: str | None) -> None:
        if key is not None and key != self._key:
            self._key = key
            self.keyChanged.emit(key)

    def _configure(self, chart: MetricChart) -> None:
        chart.set_smoothing(self._smoothing)
        chart.set_log_y(self._log_y)
        chart.set_x_axis(chart.x_override or self._x_mode)

    # -- control slots ------------------------------------------------------------------------

    def _on_smoothing_changed(self, value: int) -> None:
        self._smoothing = value / 100.0
        self.smoothing_label.setText(f"{self._smoothing:.2f}")
        for chart in self.grid.charts().values():
            chart.set_smoothing(self._smoothing)

    def _on_log_toggled(self, enabled: bool) -> None:
        self._log_y = bool(enabled)
        for chart in self.grid.charts().values():
            chart.set_log_y(self._log_y)

    def _on_x_axis_chosen(self, index: int) -> None:
        self._x_mode = self.x_combo.itemData(index)
        for chart in self.grid.charts().values():
            chart.set_x_axis(chart.x_override or self._x_mode)

    def _on_chart_x_axis(self, key: str, mode: str) -> None:
        chart = self.grid.chart(key)
        chart.x_override = mode
        chart.set_x_axis(mode or self._x_mode)

    def _on_expanded(self, key: str) -> None:
        if key:
            self._set_main_key(key)
