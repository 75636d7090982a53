"""The System tab of a run: the hardware it used, apart from its own metrics, never smoothed.

CPU and RAM of the run's processes, and per leased GPU its utilisation, memory, power and
temperature, each in a small chart over the time since the run started; above them the run's
GPU energy in joules and watt-hours, with where the figure comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from mlops_desktop.core.hardware import ENERGY_COUNTER, RunSystemMetrics
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.ui.charts.palette import chart_background, chart_foreground, run_color
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState

NO_SYSTEM_TEXT = (
    "<b>No system metrics for this run.</b><br>Runs launched from the app, and runs started by "
    "hand with <code>mlops_desktop.start_run</code>, record CPU, RAM and GPU use every second "
    "unless <code>system_metrics=False</code> was given."
)
CHART_HEIGHT = 150
_GPU_KEY = re.compile(r"^sys/gpu(\d+)_(util|mem_mb|power_w|temp_c|energy_j)$")


@dataclass(frozen=True)
class ChartSpec:
    """One chart of the tab: its title, y unit and the series keys it draws."""

    title: str
    unit: str
    keys: tuple[str, ...]


_GPU_CHARTS = (
    ("util", "utilisation", "%"),
    ("mem_mb", "memory", "MiB"),
    ("power_w", "power", "W"),
    ("temp_c", "temperature", "°C"),
)


def chart_specs(keys: list[str]) -> list[ChartSpec]:
    """Which charts the tab draws for these ``sys/`` keys, in reading order."""
    specs = []
    if "sys/cpu_percent" in keys:
        specs.append(ChartSpec("CPU (the run's processes)", "% of a core", ("sys/cpu_percent",)))
    if "sys/rss_mb" in keys:
        specs.append(ChartSpec("RAM (resident)", "MiB", ("sys/rss_mb",)))
    gpus = sorted({int(m.group(1)) for k in keys if (m := _GPU_KEY.match(k))})
    for index in gpus:
        for suffix, what, unit in _GPU_CHARTS:
            key = f"sys/gpu{index}_{suffix}"
            if key in keys:
                specs.append(ChartSpec(f"GPU {index} {what}", unit, (key,)))
    drawn = {k for s in specs for k in s.keys} | {"sys/energy_j"}
    drawn |= {k for k in keys if k.endswith("_energy_j")}
    specs += [ChartSpec(k.removeprefix("sys/"), "", (k,)) for k in keys if k not in drawn]
    return specs


def time_unit(system: RunSystemMetrics) -> tuple[str, float]:
    """Seconds, minutes or hours for the x axis, by how long the samples span."""
    ends = [float(t[-1]) for t, _v in system.series.values() if len(t)]
    starts = [float(t[0]) for t, _v in system.series.values() if len(t)]
    origin = system.started_at if system.started_at is not None else min(starts, default=0.0)
    span = max(ends, default=origin) - origin
    if span < 120:
        return "seconds", 1.0
    if span < 2 * 3600:
        return "minutes", 60.0
    return "hours", 3600.0


def energy_text(system: RunSystemMetrics) -> str:
    """ "Energy: 12.3 kJ (3.42 Wh), from the GPUs' energy counters" or why there is none."""
    if system.energy_j is None:
        return "Energy: not measured (no GPU power figures for this run)."
    joules = system.energy_j
    amount = f"{joules / 1000:.1f} kJ" if joules >= 1000 else f"{joules:.0f} J"
    source = (
        "from the GPUs' energy counters"
        if system.energy_source == ENERGY_COUNTER
        else "integrated from the GPUs' power draw"
    )
    return f"Energy of its GPUs: {amount} ({joules / 3600:.2f} Wh), {source}."


def _load(service: ExperimentService, run_id: str, *, state: TaskState) -> RunSystemMetrics:
    return service.system_metrics(run_id)


class SystemView(QWidget):
    """Loads and draws :meth:`ExperimentService.system_metrics` of one run."""

    def __init__(
        self, service: ExperimentService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._run_id: str | None = None
        self._system: RunSystemMetrics | None = None
        self.plots: dict[str, pg.PlotWidget] = {}
        self.energy_label = QLabel()
        self.energy_label.setWordWrap(True)
        self.empty = EmptyState(NO_SYSTEM_TEXT)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        charts = QWidget()
        column = QVBoxLayout(charts)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.energy_label)
        column.addWidget(scroll, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(charts)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def set_run(self, run_id: str | None) -> None:
        """Show (or, for the same run, refresh) the system metrics of ``run_id``."""
        self._run_id = run_id
        if run_id is None:
            self._runner.cancel((self, "system"))
            return
        self._runner.submit(
            _load,
            self._service,
            run_id,
            key=(self, "system"),
            on_done=self.set_system,
            on_failed=self._on_failed,
        )

    def _on_failed(self, failure: Failure) -> None:
        self.empty.set_text(f"Cannot show this run's system metrics: {failure}")
        self.stack.setCurrentWidget(self.empty)

    def set_system(self, system: RunSystemMetrics) -> None:
        if system.run_id != self._run_id:
            return
        self._system = system
        specs = chart_specs(sorted(system.series))
        if not specs:
            self.empty.set_text(NO_SYSTEM_TEXT)
            self.stack.setCurrentWidget(self.empty)
            return
        self.energy_label.setText(energy_text(system))
        wanted = [s.title for s in specs]
        if wanted != list(self.plots):
            self._rebuild(specs)
        start = system.started_at
        unit, per = time_unit(system)
        for spec in specs:
            plot = self.plots[spec.title]
            for i, key in enumerate(spec.keys):
                times, values = system.series[key]
                origin = start if start is not None else (times[0] if len(times) else 0.0)
                since = (np.asarray(times, dtype=float) - origin) / per
                curve = plot.getPlotItem().listDataItems()[i]
                curve.setData(since, np.asarray(values, dtype=float), connect="finite")
            plot.getPlotItem().setLabel("bottom", f"{unit} since the run started")
        self.stack.setCurrentIndex(1)

    def _rebuild(self, specs: list[ChartSpec]) -> None:
        for plot in self.plots.values():
            self._grid.removeWidget(plot)
            plot.deleteLater()
        self.plots = {}
        for n, spec in enumerate(specs):
            plot = pg.PlotWidget()
            plot.setMinimumHeight(CHART_HEIGHT)
            plot.setMenuEnabled(False)
            item = plot.getPlotItem()
            item.setTitle(spec.title, size="9pt")
            item.showGrid(x=True, y=True, alpha=0.25)
            for side in ("left", "bottom"):
                item.getAxis(side).enableAutoSIPrefix(False)
            item.setLabel("left", units=spec.unit or None)
            for i, _key in enumerate(spec.keys):
                item.plot(pen=pg.mkPen(run_color(i), width=1.5))
            self._style(plot)
            self.plots[spec.title] = plot
            self._grid.addWidget(plot, n // 2, n % 2)

    def _style(self, plot: pg.PlotWidget) -> None:
        fg = chart_foreground(self)
        plot.setBackground(chart_background(self))
        item = plot.getPlotItem()
        item.titleLabel.setText(item.titleLabel.text, color=fg.name(), size="9pt")
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen("#888"))
            axis.setTextPen(pg.mkPen(fg))
            axis.label.setDefaultTextColor(fg)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for plot in self.plots.values():
                self._style(plot)
