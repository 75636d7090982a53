"""The lower half of a monitor's page: the alert log (Acknowledge, Retrain) and the scored
versions (Promote). Widgets only: they say what was asked through signals; the page calls
the service.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.drift import Alert, ModelScore
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE
from mlops_desktop.ui.panes.monitors.drift_models import AlertsTableModel, ScoresTableModel


def rows_view(model: AlertsTableModel | ScoresTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class AlertsPanel(QWidget):
    """The alert log, newest first, with Acknowledge and Retrain.

    Signals:
        acknowledgeRequested(int): the alert's id.
        retrainRequested(object): the selected alert's id, or None (retrain without an alert).
        runRequested(str): open this run (the alert's retrain run, or the one just launched).
    """

    acknowledgeRequested = Signal(int)
    retrainRequested = Signal(object)
    runRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AlertsTableModel(self)
        self.table = rows_view(self.model)
        for column, width in ((0, 120), (1, 56), (2, 220), (3, 240), (4, 110)):
            self.table.setColumnWidth(column, width)
        self.acknowledge_button = QPushButton("Acknowledge")
        self.acknowledge_button.setToolTip("Mark the selected alert as seen")
        self.retrain_button = QPushButton("Retrain…")
        self.retrain_button.setToolTip(
            "Launch the monitor's retrain command on the newest data (for the selected alert)"
        )
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.open_run_button = QPushButton("Open run")
        self.open_run_button.setVisible(False)
        self.launched_run: str | None = None
        row = QHBoxLayout()
        row.addWidget(self.acknowledge_button)
        row.addWidget(self.retrain_button)
        row.addWidget(self.status, 1)
        row.addWidget(self.open_run_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self.acknowledge_button.clicked.connect(self._on_acknowledge)
        self.retrain_button.clicked.connect(self._on_retrain)
        self.open_run_button.clicked.connect(self._on_open_run)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_enabled())
        self.update_enabled()

    def set_alerts(self, alerts: list[Alert]) -> None:
        """Show ``alerts`` newest first, keeping the selected one selected."""
        keep = self.selected()
        self.model.set_rows(sorted(alerts, key=lambda a: a.created_at, reverse=True))
        if keep is not None:
            self.select_alert(keep.id)
        self.update_enabled()

    def selected(self) -> Alert | None:
        rows = self.table.selectionModel().selectedRows()
        alert = rows[0].data(ROW_ROLE) if rows else None
        return alert if isinstance(alert, Alert) else None

    def select_alert(self, alert_id: int) -> None:
        for row, alert in enumerate(self.model.rows()):
            if alert.id == alert_id:
                self.table.selectRow(row)
                return

    def show_launched(self, run_id: str, text: str) -> None:
        """Say that a retrain run was launched, and offer to open it."""
        self.launched_run = run_id
        self.status.setText(text)
        self.open_run_button.setVisible(True)

    def update_enabled(self, busy: bool = False) -> None:
        alert = self.selected()
        self.acknowledge_button.setEnabled(
            not busy and alert is not None and alert.acknowledged_at is None
        )
        self.retrain_button.setEnabled(not busy)

    def _on_acknowledge(self) -> None:
        alert = self.selected()
        if alert is not None:
            self.acknowledgeRequested.emit(alert.id)

    def _on_retrain(self) -> None:
        alert = self.selected()
        self.retrainRequested.emit(alert.id if alert is not None else None)

    def _on_open_run(self) -> None:
        if self.launched_run:
            self.runRequested.emit(self.launched_run)

    def _on_double_click(self, index: QModelIndex) -> None:
        alert = index.data(ROW_ROLE)
        if isinstance(alert, Alert) and alert.retrain_run:
            self.runRequested.emit(alert.retrain_run)


class ChallengersPanel(QWidget):
    """The champion and the challengers scored on the newest labelled window, with Promote.

    Signals:
        promoteRequested(object): the :class:`ModelScore` of the version to promote.
        runRequested(str): open the run that produced a version.
    """

    promoteRequested = Signal(object)
    runRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ScoresTableModel(self)
        self.table = rows_view(self.model)
        self.monitored_alias: str | None = None  # the alias Promote moves ("champion")
        self.promote_button = QPushButton("Promote…")
        self.promote_button.setToolTip("Move the monitored alias to the selected version")
        self.hint = QLabel(
            "Versions registered by retrain runs are scored here beside the champion, on the "
            "newest window with labels."
        )
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.promote_button)
        row.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self.promote_button.clicked.connect(self._on_promote)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_enabled())
        self.update_enabled()

    def set_scores(self, scores: list[ModelScore]) -> None:
        self.model.set_rows(scores)
        for column in range(self.model.columnCount()):
            self.table.resizeColumnToContents(column)
        self.update_enabled()

    def selected(self) -> ModelScore | None:
        rows = self.table.selectionModel().selectedRows()
        score = rows[0].data(ROW_ROLE) if rows else None
        return score if isinstance(score, ModelScore) else None

    def select_version(self, version: str) -> None:
        for row, score in enumerate(self.model.rows()):
            if score.version == version:
                self.table.selectRow(row)
                return

    def update_enabled(self, busy: bool = False) -> None:
        score = self.selected()
        self.promote_button.setEnabled(
            not busy
            and score is not None
            and score.problem is None
            and (self.monitored_alias or "champion") not in score.aliases
        )

    def _on_promote(self) -> None:
        score = self.selected()
        if score is not None:
            self.promoteRequested.emit(score)

    def _on_double_click(self, index: QModelIndex) -> None:
        score = index.data(ROW_ROLE)
        if isinstance(score, ModelScore) and score.run_id:
            self.runRequested.emit(score.run_id)
