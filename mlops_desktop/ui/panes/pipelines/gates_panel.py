"""The gates of one pipeline run: what each register step decided, with its evidence, and
Approve / Reject for a version that waits for a person.

The panel only shows and asks: :attr:`GatesPanel.approveRequested` and ``rejectRequested``
carry (pipeline run id, stage); the pane calls the service on a worker and feeds the run back.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.pipelines import GateResult, PipelineRunInfo
from mlops_desktop.pipelines.evidence_numbers import SHOWN_DIGITS, as_decimal, number_text
from mlops_desktop.ui.formatting import format_time, short_id
from mlops_desktop.ui.widgets import ReadOnlyTable

GATE_HEADERS = ("Stage", "Model", "Version", "Result", "Approval")
COL_MODEL = 1
NO_GATES = "This run has no register step: nothing to approve."
NO_RUN = "Choose a pipeline run to see its gates."


def decision_text(gate: GateResult) -> str:
    """One sentence on where the gate left the version."""
    if not gate.passed:
        return f"Refused: no version of {gate.model} was registered."
    version = f"v{gate.version}" if gate.version is not None else "The version"
    who = f" by {gate.decided_by}" if gate.decided_by else ""
    when = f" at {format_time(gate.decided_at)}" if gate.decided_at else ""
    if gate.approval == "waiting":
        return (
            f"{version} of {gate.model} has the alias {gate.alias}; it becomes champion when "
            "a person approves it."
        )
    if gate.approval == "approved":
        return f"{version} of {gate.model} was approved{who}{when}: it is the champion."
    if gate.approval == "rejected":
        return f"{version} of {gate.model} was rejected{who}{when}: the champion stays."
    if gate.approval == "auto":
        return f"{version} of {gate.model} promoted itself (promote: auto)."
    return f"{version} of {gate.model} was registered with the alias {gate.alias}."


def evidence_html(gate: GateResult) -> str:
    """The evidence lines, a condition's marked by whether it held (:attr:`GateResult.checks`);
    a line that reports no condition (the champion compared with, the outcome) gets a bullet."""
    lines = []
    for line in gate.evidence or ("(no conditions: registered as it is)",):
        held = gate.held(line)
        mark = "&#8226;" if held is None else "&#10003;" if held else "&#10007;"
        lines.append(f"{mark} <code>{html.escape(line)}</code>")
    return "<br>".join(lines)


class GatesPanel(QWidget):
    """See the module docstring.

    Signals:
        approveRequested(str, str): (pipeline run id, stage) to approve.
        rejectRequested(str, str): (pipeline run id, stage) to reject.
        modelActivated(str, int): show this model version in the Models pane.
        shownChanged(): another run (or the same run, changed) is shown.
    """

    approveRequested = Signal(str, str)
    rejectRequested = Signal(str, str)
    modelActivated = Signal(str, int)
    shownChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: PipelineRunInfo | None = None
        self.table = QTableWidget(0, len(GATE_HEADERS))
        self.table.setHorizontalHeaderLabels(GATE_HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        # never sideways: the model's name takes what the other columns leave, elided
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_MODEL, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.message = QLabel(NO_RUN)
        self.message.setWordWrap(True)
        self.decision = QLabel()
        self.decision.setWordWrap(True)
        self.decision.setTextFormat(Qt.TextFormat.RichText)
        self.decision.linkActivated.connect(self._on_link)
        self.evidence = QLabel()
        self.evidence.setWordWrap(True)
        self.evidence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.metrics = ReadOnlyTable(["Metric", "Value"])
        self.approve_button = QPushButton("Approve")
        self.approve_button.setToolTip("Move the champion alias to this version")
        self.reject_button = QPushButton("Reject")
        self.reject_button.setToolTip("Keep the champion; record that this version was refused")
        buttons = QHBoxLayout()
        buttons.addWidget(self.decision, 1)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        detail = QWidget()
        column = QVBoxLayout(detail)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(buttons)
        column.addWidget(self.evidence)
        column.addWidget(self.metrics, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.table)
        self.split.addWidget(detail)
        self.split.setSizes([370, 580])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.message)
        layout.addWidget(self.split, 1)
        self.table.itemSelectionChanged.connect(self._show_current)
        self.approve_button.clicked.connect(lambda: self._ask(self.approveRequested))
        self.reject_button.clicked.connect(lambda: self._ask(self.rejectRequested))
        self.set_run(None)

    def set_run(self, run: PipelineRunInfo | None) -> None:
        """Show the gates of ``run`` (None: none), keeping the chosen stage when it has one."""
        chosen = self.current_gate()
        self.run = run
        gates = run.gates if run is not None else ()
        self.message.setText(NO_RUN if run is None else NO_GATES)
        self.message.setVisible(not gates)
        self.split.setVisible(bool(gates))
        self.table.blockSignals(True)
        self.table.setRowCount(len(gates))
        for row, gate in enumerate(gates):
            cells = (
                gate.stage,
                gate.model,
                f"v{gate.version}" if gate.version is not None else "—",
                "passed" if gate.passed else "refused",
                gate.approval,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        row = next(
            (i for i, g in enumerate(gates) if chosen is not None and g.stage == chosen.stage),
            0,
        )
        if gates:
            self.table.selectRow(row)
        self._show_current()
        self.shownChanged.emit()

    def current_gate(self) -> GateResult | None:
        if self.run is None or not self.run.gates:
            return None
        row = self.table.currentRow()
        return self.run.gates[row] if 0 <= row < len(self.run.gates) else None

    def _show_current(self) -> None:
        gate = self.current_gate()
        waiting = gate is not None and gate.passed and gate.approval == "waiting"
        self.approve_button.setEnabled(waiting)
        self.reject_button.setEnabled(waiting)
        if gate is None:
            self.decision.clear()
            self.evidence.clear()
            self.metrics.set_rows([])
            return
        text = html.escape(decision_text(gate))
        if gate.version is not None:
            text += f' <a href="model">Show v{gate.version} in Models</a>'
        self.decision.setText(text)
        run = f"run {short_id(gate.pipeline_run_id)}, stage {gate.stage}"
        self.evidence.setText(f"<b>Evidence</b> ({html.escape(run)}):<br>{evidence_html(gate)}")
        self.metrics.set_rows((k, _metric_text(v)) for k, v in sorted(gate.metrics.items()))

    def _ask(self, signal: SignalInstance) -> None:
        gate = self.current_gate()
        if gate is not None:
            signal.emit(gate.pipeline_run_id, gate.stage)

    def _on_link(self, _href: str) -> None:
        gate = self.current_gate()
        if gate is not None and gate.version is not None:
            self.modelActivated.emit(gate.model, gate.version)


def _metric_text(value: float) -> str:
    """A metric as the evidence writes it ("0.97727")."""
    return number_text(as_decimal(value), SHOWN_DIGITS)
