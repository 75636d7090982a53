"""Host cards: one machine's name, state and last minute of CPU, RAM and each GPU, at a glance.

A card keeps its last figures when the machine stops answering, greyed, under the problem
sentence. :class:`CardGrid` lays cards out in as many columns as its width allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from mlops_desktop.core.hardware import GpuSample, HostSample, MonitoredHost
from mlops_desktop.monitoring.history import HostHistory
from mlops_desktop.ui.formatting import short_id, shown_html
from mlops_desktop.ui.panes.monitors.sparkline import Sparkline, is_dark, load_color

SPARK_SECONDS = 60.0
CARD_WIDTH = 330
GIB = 1024**3
STATE_TEXT = {
    "connecting": "connecting…",
    "live": "live",
    "unreachable": "unreachable",
    "stopped": "stopped",
}


def gib(value: float | None) -> str:
    return "—" if value is None else f"{value / GIB:.1f}"


def energy_text(joules: float) -> str:
    if joules >= 3.6e6:
        return f"{joules / 3.6e6:.2f} kWh"
    return f"{joules / 1000:.1f} kJ" if joules >= 1000 else f"{joules:.0f} J"


def gpu_figures(gpu: GpuSample, energy_j: float | None) -> str:
    """The GPU's figures in one line: util, memory, power and energy (temperature: charts)."""
    parts = ["—" if gpu.util is None else f"{gpu.util:.0f} %"]
    if gpu.memory_used is not None:
        parts.append(f"{gib(gpu.memory_used)}/{gib(gpu.memory_total)} GiB")
    if gpu.power is not None:
        parts.append(f"{gpu.power:.0f} W")
    if energy_j is not None:
        parts.append(energy_text(energy_j))
    return " · ".join(parts)


def holder_text(gpu: GpuSample, names: dict[str, str] | None = None) -> str:
    """Who holds the GPU: "free", or its run (by name when known) and user."""
    lease = gpu.lease
    if lease is None:
        return "free"
    who = f" ({lease.user})" if lease.user else ""
    name = (names or {}).get(lease.run)
    return f"run {name or short_id(lease.run)}{who}"


@dataclass
class _Row:
    key: str
    name: QLabel
    spark: Sparkline
    value: QLabel
    holder: QLabel | None = None


class HostCard(QFrame):
    """See the module docstring.

    Signals:
        clicked(str): the card of this host name was clicked.
    """

    clicked = Signal(str)

    def __init__(self, host: MonitoredHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.state = "connecting"
        self.problem: str | None = None
        self._gpu_indices: tuple[int, ...] = ()
        self._energy_start: dict[int, float] = {}
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(CARD_WIDTH)
        self.title = QLabel(f"<b>{shown_html(host.name)}</b>")
        self.state_label = QLabel(STATE_TEXT["connecting"])
        self.detail_label = QLabel(host.detail or host.address)
        self.detail_label.setVisible(bool(host.detail or host.address))
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(1)
        self.grid.setColumnStretch(1, 1)
        self.rows: list[_Row] = [self._add_row("cpu", "CPU"), self._add_row("memory", "RAM")]
        head = QGridLayout()
        head.addWidget(self.title, 0, 0)
        head.addWidget(self.state_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        layout.addLayout(head)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.body)
        self.set_selected(False)

    def _add_row(self, key: str, text: str, holder: bool = False) -> _Row:
        r = self.grid.rowCount()
        row = _Row(key, QLabel(text), Sparkline(), QLabel("—"))
        row.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.grid.addWidget(row.name, r, 0)
        self.grid.addWidget(row.spark, r, 1)
        self.grid.addWidget(row.value, r, 2)
        if holder:
            row.holder = QLabel()
            self.grid.addWidget(row.holder, r + 1, 0, 1, 3)
        return row

    def _ensure_gpu_rows(self, gpus: tuple[GpuSample, ...]) -> None:
        indices = tuple(g.index for g in gpus)
        if indices == self._gpu_indices:
            return
        for row in self.rows[2:]:
            for widget in (row.name, row.spark, row.value, row.holder):
                if widget is not None:
                    self.grid.removeWidget(widget)
                    widget.deleteLater()
        del self.rows[2:]
        for gpu in gpus:
            row = self._add_row(f"gpu{gpu.index}.util", f"GPU{gpu.index}", holder=True)
            row.name.setToolTip(gpu.name)
            self.rows.append(row)
        self._gpu_indices = indices

    # --- public --------------------------------------------------------------------------
    def set_selected(self, selected: bool) -> None:
        self.setLineWidth(2 if selected else 1)
        role = QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid
        self.setForegroundRole(role)
        self.setFrameShadow(QFrame.Shadow.Plain)

    def set_state(self, state: str, problem: str | None) -> None:
        """Show the state; a problem greys the last figures under its sentence."""
        self.state = state
        self.problem = problem
        self.state_label.setText(STATE_TEXT.get(state, state))
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(bool(problem))
        stale = problem is not None or state in ("unreachable", "stopped")
        if stale != self.is_stale():
            self._set_stale(stale)

    def is_stale(self) -> bool:
        return bool(self.body.property("stale"))

    def _set_stale(self, stale: bool) -> None:
        self.body.setProperty("stale", stale)
        palette = self.palette()
        if stale:
            grey = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
            palette.setColor(QPalette.ColorRole.WindowText, grey)
        self.body.setPalette(palette)
        for row in self.rows:
            row.spark.stale = stale
            row.spark.update()

    def show_sample(self, history: HostHistory, sample: HostSample | None) -> None:
        """Redraw the sparklines from ``history`` and the figures from ``sample`` (None: keep)."""
        if sample is not None:
            self._ensure_gpu_rows(sample.gpus)
            self._show_figures(sample)
        end = history.latest_time()
        if end is None:
            return
        dark = is_dark(self)
        memory_total = history.latest("memory_total")
        for row in self.rows:
            view = history.series(row.key, since=end - SPARK_SECONDS)
            values = view.mean
            if row.key == "memory":
                values = values * (100.0 / memory_total) if memory_total else values * np.nan
            latest = values[-1] if values.size else None
            row.spark.set_values(view.t, values, end, SPARK_SECONDS, load_color(latest, dark))

    def _show_figures(self, sample: HostSample) -> None:
        cpu = sample.cpu_percent
        self.rows[0].value.setText("—" if cpu is None else f"{cpu:.0f} %")
        self.rows[1].value.setText(f"{gib(sample.memory_used)}/{gib(sample.memory_total)} GiB")
        for row, gpu in zip(self.rows[2:], sample.gpus):
            row.value.setText("—" if gpu.util is None else f"{gpu.util:.0f} %")
            if row.holder is not None:
                figures = gpu_figures(gpu, self._energy(gpu)).split(" · ", 1)[-1]
                names = sample.extra.get("run_names")
                row.holder.setText(f"    {figures} · {holder_text(gpu, names)}")

    def track(self, sample: HostSample) -> None:
        """Note where each GPU's energy counter started (call for every sample, drawn or not)."""
        for gpu in sample.gpus:
            if gpu.energy_j is not None:
                start = self._energy_start.setdefault(gpu.index, gpu.energy_j)
                if gpu.energy_j < start:  # the driver reloaded: count from here
                    self._energy_start[gpu.index] = gpu.energy_j

    def _energy(self, gpu: GpuSample) -> float | None:
        """Joules since this card first saw the GPU (a counter that went back starts over)."""
        if gpu.energy_j is None:
            return None
        return gpu.energy_j - self._energy_start.setdefault(gpu.index, gpu.energy_j)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit(self.host.name)
        super().mousePressEvent(event)


REMOTE_HINT = (
    "SSH hosts you add (Hosts…) show up here, and the Slurm nodes where the app's jobs run, "
    "while they run."
)


class CardGrid(QWidget):
    """Host cards in as many columns as fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[HostCard] = []
        self._columns = 0
        self.hint = QLabel(REMOTE_HINT)
        self.hint.setWordWrap(True)
        self.hint.setMaximumWidth(CARD_WIDTH)
        self.hint.setEnabled(False)  # drawn in the palette's quieter text colour
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(6, 6, 6, 6)
        self._grid.setSpacing(6)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

    def set_cards(self, cards: list[HostCard]) -> None:
        for card in self.cards:
            if card not in cards:
                self._grid.removeWidget(card)
                card.deleteLater()
        self.cards = list(cards)
        self._columns = 0
        self._relayout()
        remote = any(c.host.kind in ("ssh", "slurm") for c in self.cards)
        self.hint.setVisible(not remote)

    def _relayout(self) -> None:
        columns = max(1, (self.width() - 6) // (CARD_WIDTH + 6))
        if columns == self._columns:
            return
        self._columns = columns
        for card in self.cards:
            self._grid.removeWidget(card)
        self._grid.removeWidget(self.hint)
        for i, card in enumerate(self.cards):
            self._grid.addWidget(card, i // columns, i % columns)
            card.show()
        rows = (len(self.cards) + columns - 1) // columns
        self._grid.addWidget(self.hint, rows, 0, 1, columns)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()
