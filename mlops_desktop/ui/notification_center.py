"""The notification centre: takes the app's notices, filters them through a
:class:`NoticeGate` (kinds off, repeats, what ended before the start, bursts), and delivers each
as a desktop notification, or in the window's banner where the desktop has no notification
server. Clicking a notification's "Open" (or the banner's) raises the window and opens the thing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtDBus import QDBusConnection

from mlops_desktop.core.notices import Notice, NoticeTarget
from mlops_desktop.services.notice_gate import NoticeGate
from mlops_desktop.settings import Settings
from mlops_desktop.ui.desktop_notifications import DesktopNotifications, send_notification
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.notice_banner import NoticeBanner
from mlops_desktop.ui.tasks import TaskRunner

_log = logging.getLogger(__name__)
_SENT_REMEMBERED = 200  # ids of desktop notifications whose action may still be clicked


class NotificationCenter(QObject):
    """See the module docstring.

    Args:
        open_target: raises the window and shows a target (None: the window alone).
        bus: the D-Bus connection (None: the session bus; a disconnected one: banner only).
        started_at: when the app started (None: now); earlier events are not told.

    Signals:
        delivered(object, str): a notice left, "desktop" or "banner".
        opened(object): a notice's target (or None) was opened from its action.
    """

    delivered = Signal(object, str)
    opened = Signal(object)

    def __init__(
        self,
        settings: Settings,
        runner: TaskRunner,
        banner: NoticeBanner,
        open_target: Callable[[NoticeTarget | None], None],
        bus: QDBusConnection | None = None,
        started_at: float | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self.banner = banner
        self._open_target = open_target
        self.gate = NoticeGate(settings.notifies, started_at or time.time())
        self.desktop = DesktopNotifications(bus, self)
        self.use_desktop = self.desktop.bus.isConnected()  # False once no server answered
        self._sent: dict[int, NoticeTarget | None] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        self.desktop.actionInvoked.connect(self._on_action)
        banner.openRequested.connect(self._open)

    def post(self, notices: list[Notice]) -> None:
        """Tell ``notices`` (as far as the gate lets them through, now or in a summary)."""
        for notice in self.gate.offer(notices, time.time()):
            self._deliver(notice)
        self._schedule()

    def _schedule(self) -> None:
        now = time.time()
        due = self.gate.due(now)
        if due is not None and not self._timer.isActive():
            self._timer.start(max(0, round((due - now) * 1000)))

    def _flush(self) -> None:
        for notice in self.gate.flush(time.time()):
            self._deliver(notice)
        self._schedule()

    def _deliver(self, notice: Notice) -> None:
        if not self.use_desktop:
            self._to_banner(notice)
            return
        self._runner.submit(
            send_notification,
            self.desktop.bus_name,
            notice.title,
            notice.body,
            True,
            on_done=lambda answer: self._on_sent(notice, answer),
            on_failed=lambda failure: self._on_send_failed(notice, failure),
        )

    def _on_sent(self, notice: Notice, notification_id: int | None) -> None:
        if notification_id is None:
            self.use_desktop = False  # no server: the banner from now on
            self._to_banner(notice)
            return
        self._sent[notification_id] = notice.target
        while len(self._sent) > _SENT_REMEMBERED:
            del self._sent[next(iter(self._sent))]
        self.delivered.emit(notice, "desktop")

    def _on_send_failed(self, notice: Notice, failure: Failure) -> None:
        _log.warning("Desktop notification failed: %s", failure)
        self._to_banner(notice)

    def _to_banner(self, notice: Notice) -> None:
        self.banner.show_notice(notice)
        self.delivered.emit(notice, "banner")

    def _on_action(self, notification_id: int, _action: str) -> None:
        if notification_id in self._sent:  # a notification of this app (not another's)
            self._open(self._sent.pop(notification_id))

    def _open(self, target: NoticeTarget | None) -> None:
        self._open_target(target)
        self.opened.emit(target)
