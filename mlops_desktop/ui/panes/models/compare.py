"""The Compare tab: two versions of a model side by side (metrics, params, data, code, packages)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.models import ModelVersion, VersionComparison
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import format_value, human_bytes
from mlops_desktop.ui.panes.models.compare_colors import (
    colour_metric_deltas,
    highlight_different_params,
)
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import ReadOnlyTable

CHANGE_COLORS = {"added": "#2ca02c", "removed": "#d62728", "changed": "#e08a00"}


def _compare(
    service: ModelService, name: str, a: int, b: int, *, state: TaskState
) -> VersionComparison:
    return service.compare(name, a, b)


def metric_delta(a: Any, b: Any) -> str:
    """``b - a`` with a sign, or an empty text when either is not a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return ""
    if isinstance(a, int | float) and isinstance(b, int | float):
        delta = float(b) - float(a)
        return ("+" if delta > 0 else "") + format_value(delta)
    return ""


def _cell(value: Any) -> str:
    return "—" if value is None else format_value(value)


def _titled(title: str, table: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(table, 1)
    return box


class CompareView(QWidget):
    """Two version pickers; the comparison loads on the runner whenever either changes.

    Signals:
        compared(): a comparison is on screen.
    """

    compared = Signal()

    def __init__(
        self, service: ModelService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.name: str | None = None
        self.comparison: VersionComparison | None = None
        self.a_combo = QComboBox()
        self.b_combo = QComboBox()
        self.status_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("Compare"))
        top.addWidget(self.a_combo)
        top.addWidget(QLabel("with"))
        top.addWidget(self.b_combo)
        top.addWidget(self.status_label, 1)
        self.metrics = ReadOnlyTable(["Metric", "A", "B", "Δ"])
        self.params = ReadOnlyTable(["Param", "A", "B"])
        self.datasets = ReadOnlyTable(["Dataset", "A", "B"])
        self.code = ReadOnlyTable(["Code", "A", "B"])
        self.packages = ReadOnlyTable(["Package", "A", "B", "Change"])
        for table in (self.metrics, self.params, self.datasets, self.code, self.packages):
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(_titled("Metrics", self.metrics))
        left.addWidget(_titled("Params", self.params))
        middle = QSplitter(Qt.Orientation.Vertical)
        middle.addWidget(_titled("Datasets", self.datasets))
        middle.addWidget(_titled("Code", self.code))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(_titled("Packages", self.packages))
        for index, share in enumerate((2, 1, 1)):  # metrics and params: the values compared
            split.setStretchFactor(index, share)
        split.setSizes([500, 250, 250])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.a_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.b_combo.currentIndexChanged.connect(self._on_choice_changed)

    def set_versions(self, name: str, versions: list[ModelVersion], current: int | None) -> None:
        """Offer ``versions``; B is ``current`` (or the newest), A the one before it."""
        numbers = sorted((v.version for v in versions), reverse=True)
        self.name = name
        for combo in (self.a_combo, self.b_combo):
            combo.blockSignals(True)
            combo.clear()
            for number in numbers:
                combo.addItem(f"v{number}", number)
            combo.blockSignals(False)
        if not numbers:
            self._clear("No versions")
            return
        b = current if current in numbers else numbers[0]
        older = [n for n in numbers if n < b]
        a = older[0] if older else b
        self.a_combo.setCurrentIndex(numbers.index(a))
        self.b_combo.setCurrentIndex(numbers.index(b))
        self._on_choice_changed()

    def choose(self, a: int, b: int) -> None:
        self.a_combo.setCurrentIndex(self.a_combo.findData(a))
        self.b_combo.setCurrentIndex(self.b_combo.findData(b))

    def _clear(self, text: str) -> None:
        self.comparison = None
        self.status_label.setText(text)
        for table in (self.metrics, self.params, self.datasets, self.code, self.packages):
            table.setRowCount(0)

    def _on_choice_changed(self, _index: int = 0) -> None:
        a, b = self.a_combo.currentData(), self.b_combo.currentData()
        if self.name is None or a is None or b is None:
            return
        self.status_label.setText("Loading…")
        self._runner.submit(
            _compare,
            self._service,
            self.name,
            int(a),
            int(b),
            key=(self, "compare"),
            on_done=self._on_compared,
            on_failed=self._on_failed,
        )

    def _on_failed(self, failure: Failure) -> None:
        self._clear(f"Cannot compare: {failure}")

    def _on_compared(self, c: VersionComparison) -> None:
        self.comparison = c
        self.status_label.setText("")
        self.metrics.set_rows(
            (k, _cell(a), _cell(b), metric_delta(a, b)) for k, (a, b) in c.metrics.items()
        )
        colour_metric_deltas(self.metrics, c.metrics)
        self.params.set_rows((k, _cell(a), _cell(b)) for k, (a, b) in c.params.items())
        highlight_different_params(self.params, c.params)
        da, db = c.datasets
        names = sorted(set(da) | set(db))
        self.datasets.set_rows((n, "✓" if n in da else "", "✓" if n in db else "") for n in names)
        code_rows = []
        for key, (a, b) in c.code.items():
            if key == "diff_bytes":
                a, b = human_bytes(a or 0), human_bytes(b or 0)
            code_rows.append((key, _cell(a), _cell(b)))
        self.code.set_rows(code_rows)
        rows = [(p, "—", v, "added") for p, v in c.packages_added.items()]
        rows += [(p, v, "—", "removed") for p, v in c.packages_removed.items()]
        rows += [(p, a, b, "changed") for p, (a, b) in c.packages_changed.items()]
        self.packages.set_rows(rows)
        self._colour_packages()
        for table in (self.metrics, self.params, self.datasets, self.code, self.packages):
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for table in (self.metrics, self.params):  # values whole; the last column stretches
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if not rows:
            self.status_label.setText("Same packages.")
        self.compared.emit()

    def _colour_packages(self) -> None:
        for row in range(self.packages.rowCount()):
            change = self.packages.item(row, 3)
            color = QColor(CHANGE_COLORS.get(change.text(), "")) if change else None
            if color is None or not color.isValid():
                continue
            for column in range(self.packages.columnCount()):
                item = self.packages.item(row, column)
                if item is not None:
                    item.setForeground(color)
