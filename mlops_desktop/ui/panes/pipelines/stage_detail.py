"""The selected stage: its state and why, the run it made or reused (a link to the
Experiments pane), its command, the end of its log and its metrics.

The run's log and metrics are read through ``services.experiments`` on a worker (the latest
selection wins); a failed stage's log tail is shown at once from the pipeline run itself.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.hardware import SYSTEM_PREFIX
from mlops_desktop.core.pipelines import Stage
from mlops_desktop.core.runs import RunDetail
from mlops_desktop.pipelines.metrics_files import read_metrics_file
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import format_number, short_id
from mlops_desktop.ui.panes.pipelines.stage_colors import STATE_COLORS, STATE_MEANINGS
from mlops_desktop.ui.panes.pipelines.stage_graph import StageShown
from mlops_desktop.ui.panes.pipelines.stage_reasons import reasons_for
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import ReadOnlyTable, heading_label, monospace_font

LOG_TAIL_LINES = 60
LOG_TAIL_BYTES = 256 * 1024
NO_RUN_LOG = "No log to show: the graph shows no run of this stage."
GATE_LOG = "A register step runs no command: what it decided is in the Gates tab."
EMPTY_LOG = "The stage's run wrote nothing to its log."
READING_LOG = "Reading the log of the stage's run…"
NO_STAGE = "Select a stage in the graph to see its state, its run, its log and its metrics."


class RunReader(Protocol):
    """What the panel reads of a run (``ExperimentService``)."""

    def get_run(self, run_id: str) -> RunDetail: ...

    def read_log(
        self, run_id: str, offset: int = 0, max_bytes: int = 1 << 20
    ) -> tuple[str, int]: ...


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


@dataclass(frozen=True)
class StageReading:
    """What the panel read of a stage on a worker.

    Attributes:
        key: (run id or "", stage name): what it was read for.
        metrics: (name, value, where from: a metrics file, or "run") rows.
        log: the end of the run's log ("" when none).
        log_read: whether a run's log was read at all.
    """

    key: tuple[str, str]
    metrics: list[tuple[str, float, str]]
    log: str = ""
    log_read: bool = False


def read_stage(
    reader: RunReader | None,
    run_id: str | None,
    stage: str,
    root: Path | None,
    metric_files: tuple[str, ...],
    *,
    state: TaskState,
) -> StageReading:
    """The stage's metrics files as they are on disk now, its run's metrics and log tail."""
    rows: list[tuple[str, float, str]] = []
    for rel in metric_files:
        try:
            values = read_metrics_file(root, rel) if root is not None else {}
        except UserFacingError:
            continue  # not written yet, or unreadable: the gate says so when it matters
        rows += [(k, v, rel) for k, v in sorted(values.items())]
    if run_id is None or reader is None:
        return StageReading((run_id or "", stage), rows)
    detail = reader.get_run(run_id)
    state.check()
    logged = detail.summary.metrics.items()  # hardware samples are the run's, not results
    rows += [(k, v, "run") for k, v in sorted(logged) if not k.startswith(SYSTEM_PREFIX)]
    text, _next = reader.read_log(detail.summary.id, 0, 64 << 20)
    return StageReading((run_id, stage), rows, _tail(text[-LOG_TAIL_BYTES:]), True)


class StageDetailView(QWidget):
    """See the module docstring.

    Signals:
        runActivated(str): show this run in the Experiments pane.
    """

    runActivated = Signal(str)

    def __init__(
        self, reader: RunReader | None, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._reader = reader
        self._runner = runner
        self.stage_name: str | None = None
        self.root: Path | None = None  # the pipeline's folder (its metrics files)
        self.shown_run_id: str | None = None
        self.title = heading_label()
        self.summary = QLabel(NO_STAGE)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.summary.setOpenExternalLinks(False)
        self.summary.linkActivated.connect(self._on_link)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setFont(monospace_font())
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setPlaceholderText(NO_RUN_LOG)
        self.metrics = ReadOnlyTable(["Metric", "Value", "From"])
        self.metrics.setToolTip(
            "A metrics file's values as the file is now; a run's: the last value it logged"
        )
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.log, "Log")
        self.tabs.addTab(self.metrics, "Metrics")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        self.set_stage(None, None, None)

    def set_stage(self, name: str | None, shown: StageShown | None, stage: Stage | None) -> None:
        """Show stage ``name`` as the graph shows it (None: nothing selected)."""
        self.stage_name = name
        self.title.setText(name or "")
        self.title.setVisible(bool(name))
        self.tabs.setVisible(bool(name))
        if name is None:
            self.summary.setText(NO_STAGE)
            self.shown_run_id = None
            self._runner.cancel((self, "run"))
            return
        shown = shown or StageShown()
        self.summary.setText(summary_html(shown, stage))
        self.log.setPlainText(shown.detail if shown.state == "failed" else "")
        gate_only = stage is not None and stage.register is not None and not stage.cmd
        self.log.setPlaceholderText(GATE_LOG if gate_only else NO_RUN_LOG)
        self.metrics.set_rows([])
        self.tabs.setTabText(1, "Metrics")
        run_id = shown.run_id or shown.source_run_id
        self.shown_run_id = run_id
        files = tuple(o.path for o in stage.metrics) if stage is not None else ()
        if (run_id is None or self._reader is None) and not files:
            self._runner.cancel((self, "run"))
            return
        if run_id is not None and self._reader is not None and not gate_only:
            self.log.setPlaceholderText(READING_LOG)  # until the worker has read it
        self._runner.submit(
            read_stage,
            self._reader,
            run_id,
            name,
            self.root,
            files,
            key=(self, "run"),
            on_done=self._on_read,
            on_failed=self._on_failed,
        )

    def _on_read(self, reading: StageReading) -> None:
        if reading.key != (self.shown_run_id or "", self.stage_name):
            return
        if reading.log_read:
            self.log.setPlaceholderText(EMPTY_LOG)
        if reading.log:
            self.log.setPlainText(reading.log)
            self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())
        self.metrics.set_rows((k, format_number(v), src) for k, v, src in reading.metrics)
        count = len(reading.metrics)
        self.tabs.setTabText(1, f"Metrics ({count})" if count else "Metrics")

    def _on_failed(self, failure: Failure) -> None:
        if not self.log.toPlainText():
            self.log.setPlainText(f"Cannot read the stage's run: {failure}")

    def _on_link(self, href: str) -> None:
        if href.startswith("run:"):
            self.runActivated.emit(href[4:])


def summary_html(shown: StageShown, stage: Stage | None) -> str:
    """The stage's state, reasons, run and command as a few lines of rich text."""
    state = shown.state or "unknown"
    color = STATE_COLORS.get(state, "#b0b0b0")
    meaning = STATE_MEANINGS.get(state, "")
    lines = [
        f'<span style="color:{color}; font-size:large">&#9632;</span> <b>{html.escape(state)}</b>'
        + (f": {html.escape(meaning)}" if meaning else "")
    ]
    if shown.reasons:
        label, reasons = reasons_for(state, shown.reasons)
        lines.append(f"{label}: " + "; ".join(html.escape(r) for r in reasons))
    if shown.run_id:
        lines.append(f'Run: <a href="run:{shown.run_id}">{short_id(shown.run_id)}</a>')
    if shown.source_run_id and shown.source_run_id != shown.run_id:
        sid = shown.source_run_id
        lines.append(f'Outs made by run <a href="run:{sid}">{short_id(sid)}</a>')
    if stage is not None:
        where = shown.target if shown.target != "local" else stage.target
        gpus = f", {stage.gpus} GPU" if stage.gpus else ""
        lines.append(f"On: {html.escape(where)}{gpus}")
        if stage.cmd:
            cmd = " && ".join(stage.cmd)
            lines.append(f"Command: <code>{html.escape(cmd)}</code>")
        if stage.register is not None:
            gate = stage.register
            lines.append(
                f"Registers {html.escape(gate.out)} as {html.escape(gate.model)} when "
                + (" and ".join(html.escape(w) for w in gate.when) or "always")
            )
    return "<br>".join(lines)
