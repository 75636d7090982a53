""" "New monitor…": name, what to watch (a model alias or a reference), where current data comes
from, the window, the alert rule and the retrain command; ``add`` runs on the TaskRunner.

Mistakes the form can see are said before anything runs; the service's own one-sentence
errors (no such model, an unreadable reference...) show under the form, which stays open.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.drift import MonitorInfo, RetrainSpec
from mlops_desktop.ui.dialogs.service_dialog import PathField, ServiceDialog
from mlops_desktop.ui.panes.monitors.drift_source import MonitorSource
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import count_suffix

WATCH_MODEL, WATCH_REFERENCE = 0, 1
FROM_FOLDER, FROM_DATASET, FROM_PREDICTIONS = 0, 1, 2


@dataclass(frozen=True)
class MonitorRequest:
    """The arguments of ``MonitorService.add`` the form collected."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


def _add(source: MonitorSource, request: MonitorRequest, *, state: TaskState) -> MonitorInfo:
    return source.add(request.name, **request.options)


class NewMonitorDialog(ServiceDialog):
    """See the module docstring.

    Signals:
        added(MonitorInfo): the monitor was created (its reference summarised).
    """

    added = Signal(object)

    def __init__(
        self, source: MonitorSource, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(runner, "New drift monitor", parent)
        self.resize(600, 0)
        self._source = source
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("wine-quality")
        self.watch_combo = QComboBox()
        self.watch_combo.addItems(["A registered model", "A reference dataset or file"])
        self.model_edit = QLineEdit()
        self.model_edit.setPlaceholderText("wine@champion (its training data is the reference)")
        self.reference_edit = PathField(
            placeholder="wine@v3, or a CSV, Parquet or JSONL file", file_caption="Reference file"
        )
        self.current_combo = QComboBox()
        self.current_combo.addItems(
            ["Files dropped into a folder", "New versions of a dataset", "Logged predictions"]
        )
        self.folder_edit = PathField(
            placeholder="the folder where CSV, Parquet or JSONL files arrive",
            folder_caption="Folder to watch",
        )
        self.dataset_edit = QLineEdit()
        self.dataset_edit.setPlaceholderText("the dataset whose new versions are checked")
        self.rows_spin = QSpinBox()
        self.rows_spin.setRange(0, 100_000_000)
        self.rows_spin.setSingleStep(1000)
        self.rows_spin.setValue(1000)
        self.rows_spin.setSpecialValueText("each arrival")
        count_suffix(self.rows_spin, "row")
        self.after_spin = QSpinBox()
        self.after_spin.setRange(1, 100)
        self.after_spin.setValue(3)
        self.of_spin = QSpinBox()
        self.of_spin.setRange(1, 100)
        self.of_spin.setValue(5)
        self.retrain_edit = QLineEdit()
        self.retrain_edit.setPlaceholderText("optional: python train.py --data data/")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.add_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("Add monitor")
        self._build()
        self.watch_combo.currentIndexChanged.connect(lambda _i: self.update_enabled())
        self.current_combo.currentIndexChanged.connect(lambda _i: self.update_enabled())
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.update_enabled()

    def _build(self) -> None:
        self.form = QFormLayout()
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("Watch", self.watch_combo)
        self.form.addRow("Model", self.model_edit)
        self.form.addRow("Reference", self.reference_edit)
        self.form.addRow("Current data", self.current_combo)
        self.form.addRow("Folder", self.folder_edit)
        self.form.addRow("Dataset", self.dataset_edit)
        self.form.addRow("Window", self.rows_spin)
        rule = QHBoxLayout()
        rule.addWidget(self.after_spin)
        rule.addWidget(QLabel("of the last"))
        rule.addWidget(self.of_spin)
        rule.addWidget(QLabel("windows drifted"))
        rule.addStretch(1)
        self.form.addRow("Alert when", rule)
        self.form.addRow("Retrain command", self.retrain_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def update_enabled(self) -> None:
        model = self.watch_combo.currentIndex() == WATCH_MODEL
        current = self.current_combo.currentIndex()
        self.form.setRowVisible(self.model_edit, model)
        self.form.setRowVisible(self.reference_edit, not model)
        self.form.setRowVisible(self.folder_edit, current == FROM_FOLDER)
        self.form.setRowVisible(self.dataset_edit, current == FROM_DATASET)
        running = self.is_running()
        for widget in (self.name_edit, self.watch_combo, self.current_combo, self.add_button):
            widget.setEnabled(not running)

    def request(self) -> MonitorRequest:
        """The form as ``add``'s arguments.

        Raises:
            ValueError: a sentence saying what to fill in.
        """
        name = self.name_edit.text().strip()
        if not name:
            raise ValueError("Give the monitor a name.")
        options: dict[str, Any] = {
            "alert_after": self.after_spin.value(),
            "alert_window": max(self.of_spin.value(), self.after_spin.value()),
            "window_rows": self.rows_spin.value() or None,
        }
        if self.watch_combo.currentIndex() == WATCH_MODEL:
            if not self.model_edit.text().strip():
                raise ValueError("Name the model to watch, as NAME@ALIAS or NAME@VERSION.")
            options["model"] = self.model_edit.text().strip()
        else:
            if not self.reference_edit.text():
                raise ValueError("Choose the reference: a dataset version or a file.")
            options["reference"] = self.reference_edit.text()
        current = self.current_combo.currentIndex()
        if current == FROM_FOLDER:
            if not self.folder_edit.text():
                raise ValueError("Choose the folder where current data arrives.")
            options["current_folder"] = self.folder_edit.text()
        elif current == FROM_DATASET:
            if not self.dataset_edit.text().strip():
                raise ValueError("Name the dataset whose new versions are current data.")
            options["current_dataset"] = self.dataset_edit.text().strip()
        else:
            options["predictions"] = True
        command = self.retrain_edit.text().strip()
        if command:
            try:
                options["retrain"] = RetrainSpec(command=tuple(shlex.split(command)))
            except ValueError as exc:
                raise ValueError(f"The retrain command does not parse: {exc}.") from exc
        return MonitorRequest(name, options)

    def submit(self) -> None:
        try:
            request = self.request()
        except ValueError as exc:
            self.show_message(str(exc), error=True)
            return
        self.show_message("Summarising the reference…")
        self.run_task(
            _add,
            self._source,
            request,
            on_done=self._on_added,
            failure_text="Cannot add the monitor",
            label=f"Adding monitor {request.name}",
        )

    def _on_added(self, info: MonitorInfo) -> None:
        self.added.emit(info)
        self.accept()
