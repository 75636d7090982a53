"""The launch dialog's GPU picker: a target's GPUs with their use and leases, loaded on the
runner (a spinner while ``service.gpus(target)`` runs; its error shown, never a frozen dialog),
and the choice of a GPU count or specific GPUs."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QGridLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from mlops_desktop.core.compute import GpuInfo
from mlops_desktop.services.compute import JobService
from mlops_desktop.ui.dialogs.service_dialog import ERROR_COLOR
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, human_bytes
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import count_suffix

SLOW_MS = 8000  # after this, say that the target is slow to answer


def _load_gpus(service: JobService, target: str, *, state: TaskState) -> list[GpuInfo]:
    return list(service.gpus(target))


class GpuPicker(QWidget):
    """See the module docstring. ``spinner`` and ``status_label`` are placed by the dialog,
    next to the target picker."""

    def __init__(
        self, service: JobService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.target = ""
        self.gpus: list[GpuInfo] = []
        self.loading = False
        self.error = ""
        self._wanted: set[int] = set()
        self.spinner = QProgressBar()
        self.spinner.setRange(0, 0)
        self.spinner.setFixedWidth(70)
        self.spinner.setMaximumHeight(12)
        self.spinner.setTextVisible(False)
        self.spinner.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.any_radio = QRadioButton("Any free GPUs:")
        self.these_radio = QRadioButton("These GPUs (tick them below)")
        self.any_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.any_radio)
        group.addButton(self.these_radio)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(0, 64)
        count_suffix(self.count_spin, "GPU")
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["GPU", "Name", "Memory used", "Use", "Leased by"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(170)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.any_radio, 0, 0)
        layout.addWidget(self.count_spin, 0, 1)
        layout.setColumnStretch(2, 1)
        layout.addWidget(self.these_radio, 1, 0, 1, 3)
        layout.addWidget(self.table, 2, 0, 1, 3)
        layout.setRowStretch(3, 1)
        self._slow = QTimer(self)
        self._slow.setSingleShot(True)
        self._slow.setInterval(SLOW_MS)
        self._slow.timeout.connect(self._on_slow)
        self.any_radio.toggled.connect(self._on_mode_changed)
        self._on_mode_changed()

    # --- public --------------------------------------------------------------------------
    def load(self, target: str) -> None:
        """Ask ``target`` for its GPUs on the runner; an older answer is ignored."""
        self.target = target
        self.loading = True
        self.error = ""
        self.spinner.show()
        self._set_status(f"Asking {target} for its GPUs…")
        self._slow.start()
        self._runner.submit(
            _load_gpus,
            self._service,
            target,
            key=(self, "gpus"),
            on_done=self._on_loaded,
            on_failed=self._on_load_failed,
        )

    def count(self) -> int:
        return (
            len(self.indices() or []) if self.these_radio.isChecked() else self.count_spin.value()
        )

    def indices(self) -> list[int] | None:
        """The ticked GPUs when "These GPUs" is chosen, else None."""
        if not self.these_radio.isChecked():
            return None
        ticked = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                ticked.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return ticked

    def set_choice(self, count: int, indices: list[int] | None) -> None:
        """Refill from a spec (ticks apply to the GPUs listed now or loaded later)."""
        self._wanted = set(indices or [])
        self.count_spin.setValue(count)
        (self.these_radio if indices else self.any_radio).setChecked(True)
        self._apply_ticks()

    # --- internals -----------------------------------------------------------------------
    def _set_status(self, text: str, error: bool = False) -> None:
        body = html.escape(text)
        self.status_label.setText(
            f"<span style='color:{ERROR_COLOR}'>{body}</span>" if error else body
        )

    def _fill(self, gpus: list[GpuInfo]) -> None:
        self.table.setRowCount(len(gpus))
        for row, gpu in enumerate(gpus):
            index_item = QTableWidgetItem(str(gpu.index))
            index_item.setData(Qt.ItemDataRole.UserRole, gpu.index)
            index_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            index_item.setCheckState(Qt.CheckState.Unchecked)
            used = f"{human_bytes(gpu.memory_used)} / {human_bytes(gpu.memory_total)}"
            use = "" if gpu.utilization is None else f"{gpu.utilization:.0f} %"
            lease = gpu.leased_by[:8] if gpu.leased_by else "free"
            for col, value in enumerate((None, gpu.name, used, use, lease)):
                if col == 0:
                    self.table.setItem(row, 0, index_item)
                    continue
                item = QTableWidgetItem(value or "")
                if col == 4 and gpu.leased_by:
                    item.setToolTip(f"Leased by run {gpu.leased_by}")
                self.table.setItem(row, col, item)
        self._apply_ticks()
        self._on_mode_changed()

    def _apply_ticks(self) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None:
                index = int(item.data(Qt.ItemDataRole.UserRole))
                checked = index in self._wanted
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _on_mode_changed(self, _checked: bool = False) -> None:
        self.count_spin.setEnabled(self.any_radio.isChecked())
        self.table.setEnabled(self.these_radio.isChecked() or not self.gpus)

    def _on_loaded(self, gpus: list[GpuInfo]) -> None:
        self.loading = False
        self._slow.stop()
        self.spinner.hide()
        self.gpus = gpus
        free = sum(1 for g in gpus if not g.leased_by)
        self._set_status(
            f"{count_noun(len(gpus), 'GPU')}, {free} free" if gpus else "No GPUs on this target"
        )
        self.count_spin.setMaximum(max(len(gpus), 0) if gpus else 64)
        self._fill(gpus)

    def _on_load_failed(self, failure: Failure) -> None:
        self.loading = False
        self._slow.stop()
        self.spinner.hide()
        self.gpus = []
        self.error = str(failure) or type(failure.exc).__name__
        self._set_status(f"Cannot list GPUs: {self.error}", error=True)
        self._fill([])

    def _on_slow(self) -> None:
        if self.loading:
            self._set_status(f"Still waiting for {self.target} to answer…")
