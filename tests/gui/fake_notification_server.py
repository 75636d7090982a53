"""A fake desktop notification server for tests, run under ``dbus-run-session``.

    python fake_notification_server.py RECORD [--absent] [--click]

Prints the session bus's address on its first line of output, then (unless ``--absent``: a bus
with no server on it) owns ``org.freedesktop.Notifications``, appends each ``Notify`` call to
RECORD as a JSON line, and with ``--click`` answers each one by emitting ``ActionInvoked`` with
the "default" action, as a click on the notification does. Prints "ready" when serving.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, QTimer, Signal, Slot
from PySide6.QtDBus import QDBusConnection


@ClassInfo({"D-Bus Interface": "org.freedesktop.Notifications"})
class FakeServer(QObject):
    ActionInvoked = Signal("uint", str)
    NotificationClosed = Signal("uint", "uint")

    def __init__(self, record: str, click: bool) -> None:
        super().__init__()
        self.record = record
        self.click = click
        self.last_id = 0

    @Slot(result="QStringList")
    def GetCapabilities(self) -> list[str]:  # noqa: N802 - the D-Bus method's name
        return ["actions", "body"]

    @Slot(result=str)
    def GetServerInformation(self) -> str:  # noqa: N802 - a real server answers 4 strings
        return "fake"

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(  # noqa: N802, PLR0913 - the D-Bus method
        self,
        app_name: str,
        replaces_id: int,
        app_icon: str,
        summary: str,
        body: str,
        actions: list[str],
        hints: dict[str, object],
        expire_timeout: int,
    ) -> int:
        self.last_id += 1
        call = {
            "id": self.last_id,
            "app_name": app_name,
            "replaces_id": replaces_id,
            "app_icon": app_icon,
            "summary": summary,
            "body": body,
            "actions": list(actions),
            "hints": {k: str(v) for k, v in hints.items()},
            "expire_timeout": expire_timeout,
        }
        with open(self.record, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(call) + "\n")
        if self.click and actions:
            notification_id = self.last_id
            QTimer.singleShot(100, lambda: self.ActionInvoked.emit(notification_id, actions[0]))
        return self.last_id


def main(argv: list[str]) -> int:
    app = QCoreApplication(argv)
    print(os.environ["DBUS_SESSION_BUS_ADDRESS"], flush=True)
    bus = QDBusConnection.sessionBus()
    server = FakeServer(argv[1], "--click" in argv)
    if "--absent" not in argv:
        options = (
            QDBusConnection.RegisterOption.ExportAllSlots
            | QDBusConnection.RegisterOption.ExportAllSignals
        )
        if not bus.registerObject("/org/freedesktop/Notifications", server, options):
            return 1
        if not bus.registerService("org.freedesktop.Notifications"):
            return 1
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
