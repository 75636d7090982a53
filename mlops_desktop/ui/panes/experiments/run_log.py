"""The Log tab: a run's output, following it live while the run is running."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import monospace_font

POLL_MS = 1000
CHUNK_BYTES = 1 << 20
MAX_LINES = 200_000


class LogSource(Protocol):
    """Where a log comes from: the ExperimentService, or the JobService (remote logs)."""

    def read_log(self, run_id: str, offset: int, max_bytes: int) -> tuple[str, int]:
        """Text from ``offset``; returns (text, next offset)."""
        ...


def _read_log(source: LogSource, run_id: str, offset: int, *, state: TaskState) -> tuple[str, int]:
    return source.read_log(run_id, offset, CHUNK_BYTES)


class LogView(QWidget):
    """Reads ``source.read_log(run_id, offset, max_bytes)`` on the runner; appends only new text.

    While the run is running it polls every second (when visible); the view stays scrolled
    to the bottom unless the person scrolled up to read.
    """

    def __init__(
        self, source: LogSource, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._runner = runner
        self._run_id: str | None = None
        self._offset = 0
        self._running = False
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(monospace_font())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setPlaceholderText("No output captured for this run.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll)

    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def offset(self) -> int:
        return self._offset

    def set_run(self, run_id: str | None, running: bool = False) -> None:
        """Show another run's log from its beginning (None: nothing)."""
        if run_id == self._run_id:
            self.set_running(running)
            return
        self._runner.cancel((self, "read"))
        self._run_id = run_id
        self._offset = 0
        self.text.clear()
        self._running = running
        self._timer.stop()
        if run_id is not None:
            self._read()
            if running:
                self._timer.start()

    def set_running(self, running: bool) -> None:
        """Follow (True) or stop following; stopping reads what is left once more."""
        was_running = self._running
        self._running = running
        if running and not self._timer.isActive() and self._run_id is not None:
            self._timer.start()
        elif not running:
            self._timer.stop()
            if was_running:
                self.fetch()

    def stop(self) -> None:
        self._timer.stop()
        self._running = False

    def fetch(self) -> None:
        """Read new text now unless a read is in flight."""
        if self._run_id is not None and not self._runner.is_busy((self, "read")):
            self._read()

    def _read(self) -> None:
        self._runner.submit(
            _read_log,
            self._source,
            self._run_id,
            self._offset,
            key=(self, "read"),
            on_done=self._on_read,
            on_failed=self._on_read_failed,
        )

    def _on_poll(self) -> None:
        if self.isVisible():
            self.fetch()

    def _on_read(self, result: tuple[str, int]) -> None:
        text, next_offset = result
        more = next_offset - self._offset >= CHUNK_BYTES
        self._offset = next_offset
        if text:
            self._append(text)
        if more:
            self._read()

    def _on_read_failed(self, failure: Failure) -> None:
        self.text.setPlaceholderText(f"Cannot read the log: {failure}")

    def _append(self, text: str) -> None:
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_bottom:
            bar.setValue(bar.maximum())
