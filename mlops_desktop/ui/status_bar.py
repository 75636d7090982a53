"""The main window's status bar: catalog, run counts, background tasks, last ingest, bugs."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from mlops_desktop.ui.formatting import count_noun
from mlops_desktop.ui.read_only import READ_ONLY_BADGE
from mlops_desktop.ui.tasks import TaskHandle


class AppStatusBar(QStatusBar):
    """Permanent fields plus the progress of labelled background tasks, with Cancel.

    After a bug, an "Open log" button stays until it is clicked.

    Signals:
        openLogRequested(): the person asked to see the app's log.
    """

    openLogRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks: list[tuple[TaskHandle, str]] = []
        self.log_button = QToolButton()
        self.log_button.setText("Open log")
        self.log_button.setToolTip("An internal error was written to the app's log")
        self.log_button.setVisible(False)
        self.log_button.clicked.connect(self._on_log_clicked)
        self.addPermanentWidget(self.log_button)
        self.catalog_label = QLabel()
        self.counts_label = QLabel()
        self.task_label = QLabel()
        self.task_progress = QProgressBar()
        self.task_progress.setMaximumWidth(140)
        self.task_progress.setMaximumHeight(14)
        self.task_progress.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Cancel this background task")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.ingest_label = QLabel("not ingested yet")
        self.ingest_label.setToolTip("Last time new points from running scripts were read")
        for widget in (self.task_label, self.task_progress, self.cancel_button):
            self.addPermanentWidget(widget)
        self.read_only_badge = QLabel(READ_ONLY_BADGE)
        self.read_only_badge.setObjectName("readOnlyBadge")
        self.read_only_badge.setStyleSheet(
            "#readOnlyBadge { border: 1px solid palette(mid); border-radius: 8px;"
            " padding: 0px 8px; }"
        )
        self.read_only_badge.setVisible(False)
        self.addPermanentWidget(self.read_only_badge)
        for widget in (self.counts_label, self.catalog_label, self.ingest_label):
            self.addPermanentWidget(widget)
        self._show_task()

    def set_catalog(self, text: str, tooltip: str = "") -> None:
        self.catalog_label.setText(text)
        self.catalog_label.setToolTip(tooltip or text)

    def set_read_only(self, reason: str) -> None:
        """Show the "Read-only" badge, the reason in its tooltip; ingest steps aside."""
        self.read_only_badge.setToolTip(reason)
        self.read_only_badge.setVisible(True)
        self.ingest_label.setText("not ingesting")
        self.ingest_label.setToolTip(
            "Points that scripts log on this desktop are not stored while the catalog is "
            "read-only: they wait in their spools."
        )

    def set_counts(self, runs: int, experiments: int) -> None:
        self.counts_label.setText(
            f"{count_noun(runs, 'run')} in {count_noun(experiments, 'experiment')}"
        )

    def set_last_ingest(self, when: float) -> None:
        self.ingest_label.setText("ingested " + time.strftime("%H:%M:%S", time.localtime(when)))

    def show_problem(self, text: str) -> None:
        """Show a sentence for a while; the full text stays in the tooltip."""
        first_line = text.splitlines()[0] if text else ""
        self.showMessage(first_line, 15000)
        self.setToolTip(text)

    def set_log_file(self, path: Path) -> None:
        """Where the app's log is (shown in the Open log button's tooltip)."""
        self.log_button.setToolTip(f"An internal error was written to {path}")

    def show_bug(self, text: str) -> None:
        """Say that something went wrong inside the app, and offer the log."""
        self.show_problem(text)
        self.log_button.setVisible(True)

    def track_task(self, handle: TaskHandle, label: str) -> None:
        """Show a labelled task's progress until it ends."""
        self._tasks.append((handle, label))
        handle.progress.connect(self._on_task_progress)
        handle.finished.connect(self._on_task_finished)
        self._show_task()

    def _current(self) -> tuple[TaskHandle, str] | None:
        return self._tasks[-1] if self._tasks else None

    def _show_task(self) -> None:
        current = self._current()
        visible = current is not None
        for widget in (self.task_label, self.task_progress, self.cancel_button):
            widget.setVisible(visible)
        if current is None:
            return
        more = f" (+{len(self._tasks) - 1})" if len(self._tasks) > 1 else ""
        self.task_label.setText(current[1] + "…" + more)
        self.task_progress.setRange(0, 0)  # busy until the task reports progress

    def _on_task_progress(self, fraction: float, message: str) -> None:
        current = self._current()
        if current is None or self.sender() is not current[0]:
            return
        self.task_progress.setRange(0, 1000)
        self.task_progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        if message:
            self.task_label.setText(f"{current[1]}: {message}")

    def _on_task_finished(self) -> None:
        sender = self.sender()
        self._tasks = [
            (h, label) for h, label in self._tasks if h is not sender and not h.is_finished
        ]
        self._show_task()

    def _on_log_clicked(self) -> None:
        self.log_button.setVisible(False)
        self.openLogRequested.emit()

    def _on_cancel_clicked(self) -> None:
        current = self._current()
        if current is not None:
            current[0].cancel()
            self.task_label.setText(f"{current[1]}: cancelling…")
