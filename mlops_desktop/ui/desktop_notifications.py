"""Desktop notifications through ``org.freedesktop.Notifications`` on the D-Bus session bus.

:func:`send_notification` makes the blocking calls (is a server there, then ``Notify``) and runs
on a worker thread; :class:`DesktopNotifications` lives on the GUI thread and relays the server's
``ActionInvoked`` and ``NotificationClosed`` signals for the notifications this app sent.

``Notify`` takes a ``uint32`` replaces-id, which a Python int cannot be marshalled as; the call
therefore goes through a :class:`QDBusInterface` (whose methods come from the server's
introspection data) with typed ``Q_ARG`` arguments.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, QMetaObject, QObject, Qt, Signal, Slot
from PySide6.QtDBus import QDBus, QDBusConnection, QDBusInterface, QDBusMessage

from mlops_desktop.ui.tasks import TaskState

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
APP_NAME = "MLOps Desktop"
APP_ICON = "mlops-desktop"  # the icon name of the .desktop entry
DESKTOP_ENTRY = "mlops-desktop"
OPEN_ACTION = "default"
CALL_TIMEOUT_MS = 3000
EXPIRE_DEFAULT = -1

_log = logging.getLogger(__name__)


def server_name(bus: QDBusConnection) -> str | None:
    """The notification server's name, or None when there is no bus or no server on it
    (blocking: a worker thread's call)."""
    if not bus.isConnected():
        return None
    call = QDBusMessage.createMethodCall(SERVICE, PATH, INTERFACE, "GetServerInformation")
    reply = bus.call(call, QDBus.CallMode.Block, CALL_TIMEOUT_MS)
    if reply.type() != QDBusMessage.MessageType.ReplyMessage or not reply.arguments():
        _log.info("No desktop notification server: %s", reply.errorMessage() or "no answer")
        return None
    return str(reply.arguments()[0])


def send_notification(
    bus_name: str, summary: str, body: str, with_action: bool, *, state: TaskState
) -> int | None:
    """Show a desktop notification; returns its id, or None when none could be shown (no bus,
    no server, or the server refused it). Runs on a worker thread.

    Args:
        bus_name: the name of the :class:`QDBusConnection` to use (the session bus's, or a
            test's private bus).
        with_action: add the "Open" action (the server's default action, a click on it).
    """
    bus = QDBusConnection(bus_name)
    if server_name(bus) is None:
        return None
    iface = QDBusInterface(SERVICE, PATH, INTERFACE, bus)
    if not iface.isValid():
        _log.info("Notification server has no usable interface: %s", iface.lastError().message())
        return None
    actions = [OPEN_ACTION, "Open"] if with_action else []
    hints = {"desktop-entry": DESKTOP_ENTRY}
    try:
        answer = QMetaObject.invokeMethod(
            iface,
            "Notify",
            Qt.ConnectionType.DirectConnection,
            Q_RETURN_ARG("uint"),
            Q_ARG(str, APP_NAME),
            Q_ARG("uint", 0),
            Q_ARG(str, APP_ICON),
            Q_ARG(str, summary),
            Q_ARG(str, body),
            Q_ARG("QStringList", actions),
            Q_ARG("QVariantMap", hints),
            Q_ARG(int, EXPIRE_DEFAULT),
        )
    except RuntimeError as exc:  # the introspected interface has no such Notify
        _log.info("Notify could not be called: %s", exc)
        return None
    error = iface.lastError()
    if error.isValid() or not isinstance(answer, int) or answer <= 0:
        _log.info("Notify failed: %s", error.message() or f"answer {answer!r}")
        return None
    return answer


class DesktopNotifications(QObject):
    """The notification server's signals about this app's notifications (GUI thread).

    Signals:
        actionInvoked(int, str): a notification's action was clicked (its id, the action key).
        closed(int): a notification was closed (expired, dismissed or clicked).
    """

    actionInvoked = Signal(int, str)
    closed = Signal(int)

    def __init__(self, bus: QDBusConnection | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus if bus is not None else QDBusConnection.sessionBus()
        self.listening = False
        if self.bus.isConnected():
            self.listening = self._listen("ActionInvoked", "1_on_action(uint,QString)")
            self.listening &= self._listen("NotificationClosed", "1_on_closed(uint,uint)")

    def _listen(self, signal: str, slot: str) -> bool:
        """Relay the server's D-Bus ``signal`` to ``slot`` (Qt's SLOT() spelling, "1name(...)";
        PySide6 takes it as text, whatever its stubs say)."""
        return bool(self.bus.connect(SERVICE, PATH, INTERFACE, signal, self, slot))  # type: ignore[call-overload]

    @property
    def bus_name(self) -> str:
        return self.bus.name()

    @Slot("uint", str)
    def _on_action(self, notification_id: int, action: str) -> None:
        self.actionInvoked.emit(int(notification_id), action)

    @Slot("uint", "uint")
    def _on_closed(self, notification_id: int, _reason: int) -> None:
        self.closed.emit(int(notification_id))
