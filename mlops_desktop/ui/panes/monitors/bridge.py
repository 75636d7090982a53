"""From the hardware service's worker threads to the GUI thread, coalesced.

Workers call :meth:`UpdateBridge.post`; updates queue under a lock and one queued wake-up
reaches the GUI thread however many arrived meanwhile, which then takes them all at once
(``updatesArrived``). So a burst costs one repaint per host, not one per update.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal

from mlops_desktop.core.hardware import HostUpdate


class UpdateBridge(QObject):
    """See the module docstring.

    Signals:
        updatesArrived(list): the updates that came in since the last delivery, oldest first
            (a list of :class:`HostUpdate`, on the GUI thread).
    """

    updatesArrived = Signal(list)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: list[HostUpdate] = []
        self._closed = False
        self._wake.connect(self.deliver, Qt.ConnectionType.QueuedConnection)

    def post(self, update: HostUpdate) -> None:
        """Queue ``update`` (any thread); the first of a batch wakes the GUI thread."""
        with self._lock:
            if self._closed:
                return
            self._pending.append(update)
            first = len(self._pending) == 1
        if first:
            self._wake.emit()

    def deliver(self) -> None:
        """Hand every queued update to ``updatesArrived`` (GUI thread)."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self.updatesArrived.emit(batch)

    def close(self) -> None:
        """Drop what is queued and ignore later posts (the watch is stopping)."""
        with self._lock:
            self._closed = True
            self._pending = []

    def reopen(self) -> None:
        with self._lock:
            self._closed = False
