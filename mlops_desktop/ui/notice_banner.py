"""The in-app banner: where there is no desktop notification server, notices show as a slim
bar at the top of the window, one at a time, with Open and a close button; each hides itself
after a few seconds and the next queued one follows."""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from mlops_desktop.core.notices import Notice, NoticeTarget

SHOWN_MS = 8000
MAX_QUEUED = 20

_STYLE = """
QFrame#noticeBanner {
    background: palette(alternate-base);
    border-bottom: 1px solid palette(mid);
    border-left: 4px solid %s;
}
"""
_KIND_COLORS = {
    "run_finished": "#27ae60",
    "run_failed": "#e0433b",
    "job_lost": "#e0433b",
    "gpu_idle": "#e08a00",
    "monitor_alert": "#e08a00",
}
_DEFAULT_COLOR = "#2f80ed"


class NoticeBanner(QFrame):
    """See the module docstring.

    Signals:
        openRequested(object): "Open" was clicked on a notice with this :class:`NoticeTarget`.
    """

    openRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None, shown_ms: int = SHOWN_MS) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.current: Notice | None = None
        self.queue: deque[Notice] = deque(maxlen=MAX_QUEUED)
        self.title_label = QLabel()
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.body_label = QLabel()
        self.body_label.setTextFormat(Qt.TextFormat.PlainText)
        self.body_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.more_label = QLabel()
        self.more_label.setEnabled(False)  # muted
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self._on_open)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss (the next notice follows)")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 6, 4)
        layout.setSpacing(10)
        layout.addWidget(self.title_label)
        layout.addWidget(self.body_label, 1)
        layout.addWidget(self.more_label)
        layout.addWidget(self.open_button)
        layout.addWidget(self.close_button)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(shown_ms)
        self.timer.timeout.connect(self.dismiss)
        self.hide()

    def show_notice(self, notice: Notice) -> None:
        """Show ``notice`` now, or after the ones already queued."""
        if self.current is None:
            self._present(notice)
        else:
            self.queue.append(notice)
            self._show_more()

    def dismiss(self) -> None:
        """Hide the shown notice; the next queued one takes its place."""
        self.timer.stop()
        if self.queue:
            self._present(self.queue.popleft())
        else:
            self.current = None
            self.hide()

    def _present(self, notice: Notice) -> None:
        self.current = notice
        self.title_label.setText(notice.title)
        self.body_label.setText(notice.body)
        self.body_label.setToolTip(notice.body)
        self.open_button.setToolTip(
            "Show it" if notice.target is not None else "Bring the window to the front"
        )
        self.open_button.setVisible(notice.target is not None)
        self.setStyleSheet(_STYLE % _KIND_COLORS.get(notice.kind, _DEFAULT_COLOR))
        self._show_more()
        self.show()
        self.timer.start()

    def _show_more(self) -> None:
        self.more_label.setText(f"+{len(self.queue)} more" if self.queue else "")

    def _on_open(self) -> None:
        target: NoticeTarget | None = self.current.target if self.current else None
        self.dismiss()
        if target is not None:
            self.openRequested.emit(target)
