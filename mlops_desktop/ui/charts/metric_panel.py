"""MetricPanel: metric key, smoothing, log scale and x-axis controls above a MetricChart.

Keys and series load on the TaskRunner, never on the GUI thread. A new selection or key wins
over the load in flight (its result is dropped); live refreshes of the shown runs queue behind
each other, so a run that logs fast never piles them up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MetricNotFound, RunNotFound
from mlops_desktop.core.hardware import SYSTEM_PREFIX
from mlops_desktop.core.runs import MetricSeries, RunSummary
from mlops_desktop.ui.charts.metric_chart import MetricChart
from mlops_desktop.ui.charts.palette import run_label
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState

X_AXIS_CHOICES = (("Step", "step"), ("Wall time", "time"), ("Relative time", "relative"))


class MetricSource(Protocol):
    """What the panel needs from the experiment service."""

    def metric_keys(self, run_ids: list[str]) -> list[str]: ...

    def metric_series(self, run_id: str, key: str) -> MetricSeries: ...


def choose_key(keys: list[str], preferred: str | None) -> str | None:
    """The key to show: the remembered one if available, else one containing "loss", else first."""
    if not keys:
        return None
    if preferred in keys:
        return preferred
    return next((k for k in keys if "loss" in k.lower()), keys[0])


def load_series(
    source: MetricSource, run_ids: list[str], key: str, *, state: TaskState
) -> list[MetricSeries]:
    """Series of ``key`` for each run that has it (worker thread)."""
    loaded = []
    for run_id in run_ids:
        state.check()
        try:
            loaded.append(source.metric_series(run_id, key))
        except (MetricNotFound, RunNotFound):
            continue
    return loaded


def load_selection(
    source: MetricSource, run_ids: list[str], preferred: str | None, *, state: TaskState
) -> tuple[list[str], str | None, list[MetricSeries]]:
    """Keys of the runs, the key to show and its series, in one trip (worker thread).

    The hardware a run used (``sys/`` keys) is left to the run's System tab: it is never
    smoothed nor mixed with the user's metrics.
    """
    keys = [k for k in source.metric_keys(run_ids) if not k.startswith(SYSTEM_PREFIX)]
    key = choose_key(keys, preferred)
    series = load_series(source, run_ids, key, state=state) if key is not None else []
    return keys, key, series


class MetricPanel(QWidget):
    """Controls plus :class:`MetricChart` for the selected runs.

    Args:
        service: anything with ``metric_keys(run_ids)`` and ``metric_series(run_id, key)``.
        runner: the task runner that loads data off the GUI thread.
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
        self._key: str | None = None  # remembered across selections
        self._stale: set[str] = set()  # shown runs with new points not drawn yet

        self.chart = MetricChart(self)
        self.key_combo = QComboBox()
        self.key_combo.setMinimumContentsLength(18)
        self.key_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setFixedWidth(140)
        self.smoothing_slider.setToolTip("Exponential moving average weight (0 = raw values)")
        self.smoothing_label = QLabel("0.00")
        self.smoothing_label.setMinimumWidth(32)
        self.log_check = QCheckBox("Log scale")
        self.x_combo = QComboBox()
        for text, mode in X_AXIS_CHOICES:
            self.x_combo.addItem(text, mode)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Metric"))
        controls.addWidget(self.key_combo, 1)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing_slider)
        controls.addWidget(self.smoothing_label)
        controls.addSpacing(12)
        controls.addWidget(self.log_check)
        controls.addSpacing(12)
        controls.addWidget(QLabel("X axis"))
        controls.addWidget(self.x_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.chart, 1)

        self.key_combo.currentIndexChanged.connect(self._on_key_chosen)
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        self.log_check.toggled.connect(self.chart.set_log_y)
        self.x_combo.currentIndexChanged.connect(self._on_x_axis_chosen)

    @property
    def current_key(self) -> str | None:
        return self._key

    def set_runs(self, runs: list[RunSummary]) -> None:
        """Show the metrics of ``runs`` (labels from run name and short id); loads in background."""
        self._run_ids = [run.id for run in runs]
        self._labels = {run.id: run_label(run.name, run.id) for run in runs}
        self._forget_refreshes()
        if not runs:
            self._runner.cancel((self, "series"))
            self._set_keys([], None)
            self.chart.set_empty_text("")
            self.chart.clear()
            return
        self._runner.submit(
            load_selection,
            self._service,
            list(self._run_ids),
            self._key,
            key=(self, "series"),
            on_done=self._on_selection,
            on_failed=self._on_failed,
        )

    def refresh_runs(self, run_ids: Iterable[str]) -> None:
        """Reload the shown series of ``run_ids`` (live runs); others are ignored."""
        self._stale |= {run_id for run_id in run_ids if run_id in self._labels}
        if not self._stale or self._key is None:
            return
        ordered = [run_id for run_id in self._run_ids if run_id in self._stale]
        self._runner.submit_when_idle(
            (self, "refresh"),
            load_series,
            self._service,
            ordered,
            self._key,
            on_done=lambda result: self._on_refreshed(ordered, result),
            # a failed live refresh keeps the curves shown and is tried again next time
        )

    # -- background results -------------------------------------------------------------------

    def _forget_refreshes(self) -> None:
        self._stale.clear()
        self._runner.cancel((self, "refresh"))

    def _on_selection(self, result: tuple[list[str], str | None, list[MetricSeries]]) -> None:
        keys, key, series = result
        self._set_keys(keys, key)
        self._show(key, series)

    def _on_series(self, result: list[MetricSeries]) -> None:
        self._show(self._key, result)

    def _on_refreshed(self, run_ids: list[str], result: list[MetricSeries]) -> None:
        self._stale.difference_update(run_ids)
        for series in result:
            if series.key == self._key:
                self.chart.update_series(series)

    def _on_failed(self, failure: Failure) -> None:
        self.chart.clear()
        self.chart.set_empty_text(f"Could not load metrics: {failure}")

    def _show(self, key: str | None, series: list[MetricSeries]) -> None:
        self.chart.set_empty_text("" if self._run_ids and key else "No metrics logged yet")
        self.chart.set_key(key or "")
        self.chart.set_series(series, self._labels)

    def _set_keys(self, keys: list[str], key: str | None) -> None:
        self.key_combo.blockSignals(True)
        self.key_combo.clear()
        self.key_combo.addItems(keys)
        if key is not None:
            self.key_combo.setCurrentIndex(keys.index(key))
        self.key_combo.blockSignals(False)
        if key is not None and key != self._key:
            self._key = key
            self.keyChanged.emit(key)

    # -- control slots ------------------------------------------------------------------------

    def _on_key_chosen(self, index: int) -> None:
        key = self.key_combo.itemText(index) if index >= 0 else None
        if not key or key == self._key:
            return
        self._key = key
        self.keyChanged.emit(key)
        self._forget_refreshes()
        self._runner.submit(
            load_series,
            self._service,
            list(self._run_ids),
            key,
            key=(self, "series"),
            on_done=self._on_series,
            on_failed=self._on_failed,
        )

    def _on_smoothing_changed(self, value: int) -> None:
        weight = value / 100.0
        self.smoothing_label.setText(f"{weight:.2f}")
        self.chart.set_smoothing(weight)

    def _on_x_axis_chosen(self, index: int) -> None:
        self.chart.set_x_axis(self.x_combo.itemData(index))
