"""The running app's side of "one app per home": a ``QLocalServer`` that takes what a second
start asked for (:class:`~mlops_desktop.single_instance.ShowRequest`) and shows it.

See :mod:`mlops_desktop.single_instance` for the address, the wire format and the start claim.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from mlops_desktop.core.models import ModelVersion
from mlops_desktop.single_instance import ShowRequest, StartClaim
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskState

if TYPE_CHECKING:
    from mlops_desktop.services.experiments import ExperimentService
    from mlops_desktop.services.models import ModelService
    from mlops_desktop.ui.main_window import MainWindow

MAX_REQUEST_BYTES = 64 * 1024
_OK = json.dumps({"ok": True}).encode() + b"\n"
_REFUSED = json.dumps({"ok": False}).encode() + b"\n"
_log = logging.getLogger(__name__)


class InstanceServer(QObject):
    """Listens for later starts of the app on the same home.

    Signals:
        requestReceived(object): a :class:`ShowRequest` a later start handed over.
    """

    requestReceived = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self, claim: StartClaim) -> bool:
        """Listen at the claim's address, then let other starts look (the claim is released).

        A socket file there was left by a crashed app (the claim's start found that it refuses
        connections): it is removed first. False, logged, when the server cannot listen: the
        app then runs on without it.
        """
        try:
            QLocalServer.removeServer(claim.address)
            if self._server.listen(claim.address):
                _log.info("Listening for later starts at %s", claim.address)
                return True
            _log.warning(
                "Later starts cannot reach this app (%s): %s",
                claim.address,
                self._server.errorString(),
            )
            return False
        finally:
            claim.release()

    @property
    def address(self) -> str:
        return self._server.fullServerName()

    def close(self) -> None:
        """Stop listening (the socket file is removed)."""
        self._server.close()

    def _on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            connection = self._server.nextPendingConnection()
            self._buffers[connection] = b""
            connection.readyRead.connect(lambda c=connection: self._on_ready_read(c))
            connection.disconnected.connect(lambda c=connection: self._forget(c))

    def _on_ready_read(self, connection: QLocalSocket) -> None:
        data = self._buffers.get(connection, b"") + bytes(connection.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_REQUEST_BYTES:
                self._answer(connection, _REFUSED)
            else:
                self._buffers[connection] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            request = ShowRequest.from_line(line)
        except ValueError as exc:
            _log.warning("A later start sent a request that is not one: %s", exc)
            self._answer(connection, _REFUSED)
            return
        self._answer(connection, _OK)
        _log.info("A later start asked for %s", request)
        self.requestReceived.emit(request)

    def _answer(self, connection: QLocalSocket, answer: bytes) -> None:
        self._buffers.pop(connection, None)
        connection.write(answer)
        connection.flush()
        connection.disconnectFromServer()

    def _forget(self, connection: QLocalSocket) -> None:
        self._buffers.pop(connection, None)
        connection.deleteLater()


def _resolve_run(service: ExperimentService, ref: str, *, state: TaskState) -> str:
    return service.resolve_run_id(ref)


def _resolve_model(service: ModelService, ref: str, *, state: TaskState) -> ModelVersion:
    return service.get(ref)


def show_request(window: MainWindow, request: ShowRequest) -> None:
    """Bring ``window`` forward and show what ``request`` asks (a run, a model, a pane).

    References are resolved on the runner (a run's id prefix, a model's alias); one that does
    not resolve is told in the status bar.
    """
    window.bring_forward()
    if request.pane and window.show_pane(request.pane) is None:
        names = ", ".join(window.panes)
        window.show_status(f"There is no pane called {request.pane!r}: try one of {names}.")
    services = window.services

    def failed(failure: Failure) -> None:
        window.show_status(str(failure), 10000)

    if request.show_run:
        window.runner.submit(
            _resolve_run,
            services.experiments,
            request.show_run,
            key=(window, "show-run"),
            on_done=window.navigator.show_run,
            on_failed=failed,
        )
    if request.show_model:
        window.runner.submit(
            _resolve_model,
            services.models,
            request.show_model,
            key=(window, "show-model"),
            on_done=lambda found: window.navigator.show_model(found.name, found.version),
            on_failed=failed,
        )
