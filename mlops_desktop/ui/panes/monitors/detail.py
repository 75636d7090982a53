"""One machine in detail: CPU, RAM and per-GPU charts over a range, and its processes.

The minute and the hour come from the in-memory :class:`HostHistory`; the day adds the stored
minutes (the pane loads them through the runner). Activating a process of a run opens the run.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.hardware import HostSample, ProcessSample
from mlops_desktop.monitoring.history import HostHistory
from mlops_desktop.ui.charts.palette import run_color
from mlops_desktop.ui.formatting import shown_html
from mlops_desktop.ui.item_models import processes_table as pt
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE, SORT_ROLE
from mlops_desktop.ui.panes.monitors.charts import HardwareChart
from mlops_desktop.ui.widgets import heading_label

GIB = 1024**3
# label, seconds shown, most points drawn per line
RANGES = (("Last minute", 60.0, None), ("Last hour", 3600.0, 600), ("Last day", 86400.0, 720))
DAY = 2
GPU_CHARTS = ("util", "memory_gpu", "power", "temperature")
NO_GPU_TEXT = "No GPU here: NVML and nvidia-smi found none on this machine."


def chart_set() -> dict[str, HardwareChart]:
    """The charts of a machine, by the series suffix they draw."""
    return {
        "cpu": HardwareChart("CPU", "%", top=100.0),
        "memory": HardwareChart("RAM used", "GiB", scale=GIB),
        "util": HardwareChart("GPU utilisation", "%", top=100.0),
        "memory_gpu": HardwareChart("GPU memory used", "GiB", scale=GIB),
        "power": HardwareChart("GPU power", "W"),
        "temperature": HardwareChart("GPU temperature", "°C"),
    }


def processes_view(model: pt.ProcessesTableModel) -> tuple[QTableView, QSortFilterProxyModel]:
    """The process table, sortable (the busiest CPU first), one selected row."""
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(pt.COL_CPU, Qt.SortOrder.DescendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(pt.COL_COMMAND, QHeaderView.ResizeMode.Stretch)
    widths = ((pt.COL_PID, 70), (pt.COL_USER, 80), (pt.COL_CPU, 64), (pt.COL_RAM, 80),
              (pt.COL_GPU_MEMORY, 90), (pt.COL_SM, 56), (pt.COL_RUN, 110))  # fmt: skip
    for column, width in widths:
        view.setColumnWidth(column, width)
    return view, proxy


class HostDetail(QWidget):
    """See the module docstring.

    Signals:
        rangeChanged(int): the range selector moved (an index of ``RANGES``).
        runRequested(str): a process of this run was activated.
    """

    rangeChanged = Signal(int)
    runRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = ""
        self.title = heading_label("")
        self.range_combo = QComboBox()
        for label, _span, _points in RANGES:
            self.range_combo.addItem(label)
        self.charts = chart_set()
        self.model = pt.ProcessesTableModel(self)
        self.table, self.proxy = processes_view(self.model)
        head = QHBoxLayout()
        self.no_gpu = QLabel(NO_GPU_TEXT)
        self.no_gpu.setVisible(False)
        head.addWidget(self.title, 1)
        head.addWidget(self.no_gpu)
        head.addSpacing(12)
        head.addWidget(QLabel("Show"))
        head.addWidget(self.range_combo)
        chart_box = QWidget()
        grid = QGridLayout(chart_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        for i, chart in enumerate(self.charts.values()):
            grid.addWidget(chart, i // 3, i % 3)
        for row in range(2):
            grid.setRowStretch(row, 1)  # both rows alike, whichever charts show
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(chart_box)
        self.split.addWidget(self.table)
        self.split.setSizes([380, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(head)
        layout.addWidget(self.split, 1)
        self.range_combo.currentIndexChanged.connect(self.rangeChanged)
        self.table.activated.connect(self._on_activated)
        self.table.doubleClicked.connect(self._on_activated)

    def set_host(self, name: str, detail: str) -> None:
        self.host = name
        shown = shown_html(name)
        self.title.setText(f"{shown}  <small>{shown_html(detail)}</small>" if detail else shown)
        self.model.update_processes(())

    def show_history(self, history: HostHistory, sample: HostSample | None) -> None:
        """Redraw the charts over the chosen range; ``sample`` refreshes the process table."""
        if sample is not None:
            self.model.update_processes(sample.processes, sample.extra.get("run_names"))
        end = history.latest_time()
        if end is None:
            return
        _label, span, points = RANGES[self.range_combo.currentIndex()]
        since = end - span
        for chart in self.charts.values():
            chart.set_span(span)
        cpu = history.series("cpu", since, points)
        self.charts["cpu"].set_line("CPU", cpu, run_color(0), end)
        memory = history.series("memory", since, points)
        self.charts["memory"].set_line("RAM", memory, run_color(1), end)
        gpus = sorted(
            {int(k[3 : k.index(".")]) for k in history.series_keys() if k.startswith("gpu")}
        )
        names = {str(i) for i in gpus}  # the chart's title says "GPU": a legend of indices fits
        self._show_gpu_charts(bool(gpus))
        for suffix, chart in (
            ("util", self.charts["util"]),
            ("memory", self.charts["memory_gpu"]),
            ("power", self.charts["power"]),
            ("temperature", self.charts["temperature"]),
        ):
            chart.keep_lines(names)
            for n, index in enumerate(gpus):
                view = history.series(f"gpu{index}.{suffix}", since, points)
                chart.set_line(str(index), view, run_color(n), end)

    def _show_gpu_charts(self, shown: bool) -> None:
        """A machine without GPUs gets its CPU and RAM charts, and a line saying why."""
        for key in GPU_CHARTS:
            self.charts[key].setVisible(shown)
        self.no_gpu.setVisible(not shown)

    def selected_process(self) -> ProcessSample | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _on_activated(self, index: QModelIndex) -> None:
        process = index.data(ROW_ROLE)
        if isinstance(process, ProcessSample) and process.run:
            self.runRequested.emit(process.run)
