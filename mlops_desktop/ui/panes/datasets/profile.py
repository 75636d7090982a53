"""The Profile tab: per-column statistics of a table file and a chart of the chosen column."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.datasets import ColumnProfile, TableProfile
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.charts.distribution import DistributionChart
from mlops_desktop.ui.formatting import count_noun, format_duration, shown_html
from mlops_desktop.ui.item_models.table_preview import PCOL_NAME, ProfileTableModel
from mlops_desktop.ui.panes.datasets.tabs import VersionTab, make_table_view
from mlops_desktop.ui.tasks import TaskRunner, TaskState


def _profile(
    service: DatasetService, name: str, version: str, *, state: TaskState
) -> list[TableProfile]:
    def progress(done: int, total: int, message: str) -> None:
        state.progress(done / total if total else 0.0, message)

    return service.profile(name, version, progress=progress, cancelled=lambda: state.cancelled)


class ProfileTab(VersionTab):
    """Profiles every table file of the version once (the service caches them)."""

    def __init__(
        self, service: DatasetService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(service, runner, parent)
        self.profiles: list[TableProfile] = []
        self.file_combo = QComboBox()
        self.file_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.summary_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(200)
        self.progress_bar.setVisible(False)
        self.model = ProfileTableModel(self)
        self.view = make_table_view(self.model)
        self.chart = DistributionChart()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.view)
        split.addWidget(self.chart)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 420])
        row = QHBoxLayout()
        row.addWidget(QLabel("Table"))
        row.addWidget(self.file_combo)
        row.addWidget(self.summary_label)
        row.addStretch(1)
        row.addWidget(self.progress_bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.message_label)
        layout.addWidget(split, 1)
        self.file_combo.currentIndexChanged.connect(self._on_file_chosen)
        self.view.selectionModel().currentRowChanged.connect(self._on_column_chosen)

    def _reload(self) -> None:
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(True)
        handle = self._submit(
            _profile,
            self.name,
            self.version,
            on_done=self._on_profiles,
            on_progress=lambda f, _m: self.progress_bar.setValue(round(f * 1000)),
            message="Profiling…",
        )
        handle.finished.connect(self._on_finished)

    def _on_finished(self) -> None:
        self.progress_bar.setVisible(self.is_loading())

    def _on_profiles(self, profiles: list[TableProfile]) -> None:
        self.profiles = list(profiles)
        keep = self.file_combo.currentText()
        paths = [p.path for p in self.profiles]
        self.file_combo.blockSignals(True)
        self.file_combo.clear()
        self.file_combo.addItems(paths)
        if keep in paths:
            self.file_combo.setCurrentText(keep)
        self.file_combo.blockSignals(False)
        if not profiles:
            self.model.set_rows([])
            self.chart.set_column(None)
            self.summary_label.setText("")
            self.set_message("This version has no table files to profile.")
            return
        self._on_file_chosen(self.file_combo.currentIndex())

    def current_profile(self) -> TableProfile | None:
        index = self.file_combo.currentIndex()
        return self.profiles[index] if 0 <= index < len(self.profiles) else None

    def _on_file_chosen(self, _index: int) -> None:
        profile = self.current_profile()
        if profile is None:
            return
        self.model.set_rows(profile.columns)
        took = f", profiled in {format_duration(profile.seconds)}" if profile.seconds else ""
        self.summary_label.setText(
            f"{count_noun(profile.rows, 'row')}, {count_noun(len(profile.columns), 'column')} "
            f"({profile.format}){took}"
        )
        if profile.problems:
            self.set_message(shown_html("; ".join(profile.problems)))
        self.view.resizeColumnsToContents()
        self.view.setColumnWidth(PCOL_NAME, min(self.view.columnWidth(PCOL_NAME), 200))
        if profile.columns:
            self.view.selectRow(0)
        else:
            self.chart.set_column(None)

    def select_column(self, name: str) -> None:
        for row, column in enumerate(self.model.rows()):
            if column.name == name:
                self.view.selectRow(row)
                return

    def _on_column_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rows = self.model.rows()
        column: ColumnProfile | None = (
            rows[current.row()] if current.isValid() and current.row() < len(rows) else None
        )
        self.chart.set_column(column)
