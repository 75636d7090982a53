"""Add an SSH host or a Slurm login node, confirming its key fingerprint first.

``service.add_host`` runs on the TaskRunner. A new host raises HostKeyUnconfirmed with the key's
fingerprint: the person is asked "Trust this key?" and, on yes, the host is added again with
``accept_host_key`` set to exactly that fingerprint. A changed key (HostKeyChanged) is refused
with both fingerprints shown and no way to override it here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import HostInfo
from mlops_desktop.core.errors import HostKeyChanged, HostKeyUnconfirmed
from mlops_desktop.services.compute import JobService
from mlops_desktop.ui.dialogs.service_dialog import PathField, ServiceDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState


@dataclass(frozen=True)
class HostRequest:
    """The arguments of ``JobService.add_host``."""

    name: str
    ssh: str
    identity: str | None
    accept_host_key: str | None
    kind: str


def _add_host(service: JobService, request: HostRequest, *, state: TaskState) -> HostInfo:
    return service.add_host(
        request.name,
        request.ssh,
        identity=request.identity,
        accept_host_key=request.accept_host_key,
        kind=request.kind,
    )


class AddHostDialog(ServiceDialog):
    """See the module docstring.

    Signals:
        added(HostInfo): the host was added (its key confirmed).
    """

    added = Signal(object)

    def __init__(
        self, service: JobService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(runner, "Add a host", parent)
        self.resize(560, 0)
        self._service = service
        self.message_box: QMessageBox | None = None
        self.host: HostInfo | None = None
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("gpu-box-1")
        self.address_edit = QLineEdit()
        self.address_edit.setPlaceholderText("[user@]host[:port], e.g. me@gpu1.lab.example:2222")
        self.identity_edit = PathField(
            placeholder="optional: ~/.ssh/id_ed25519 (ssh-agent otherwise)",
            file_caption="Identity file",
        )
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("SSH host", "ssh")
        self.kind_combo.addItem("Slurm cluster (login node)", "slurm")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Address", self.address_edit)
        form.addRow("Identity file", self.identity_edit)
        form.addRow("Kind", self.kind_combo)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton("Add", QDialogButtonBox.ButtonRole.ActionRole)
        self.add_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("The system's ssh connects to it, so ~/.ssh/config, agents and ProxyJump apply.")
        )
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.add_button.clicked.connect(lambda _checked=False: self.start())
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self.update_enabled)
        self.address_edit.textChanged.connect(self.update_enabled)
        self.update_enabled()

    def request(self, accept_host_key: str | None = None) -> HostRequest:
        """The arguments of ``service.add_host``."""
        return HostRequest(
            name=self.name_edit.text().strip(),
            ssh=self.address_edit.text().strip(),
            identity=self.identity_edit.text() or None,
            accept_host_key=accept_host_key,
            kind=str(self.kind_combo.currentData()),
        )

    def start(self, accept_host_key: str | None = None) -> None:
        """Add the host on the runner (with a confirmed fingerprint the second time)."""
        if self.is_running():
            return
        request = self.request(accept_host_key or None)
        self.show_message(f"Connecting to {request.ssh}…")
        self.run_task(
            _add_host,
            self._service,
            request,
            on_done=self._on_added,
            on_failed=self._on_failed,
            label=f"Adding host {request.name}",
        )

    def _ask_trust(self, fingerprint: str) -> None:
        address = html.escape(self.address_edit.text().strip())
        box = QMessageBox(QMessageBox.Icon.Question, "Confirm the host key", "", parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"<p>{address} is new to MLOps Desktop. It offered this key:</p>"
            f"<p style='font-family:monospace; font-size:large'><b>{html.escape(fingerprint)}"
            "</b></p>"
            "<p>Compare it with the key the host's administrator gives you (on the host: "
            "<code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>).</p>"
            "<p><b>Trust this key?</b></p>"
        )
        trust = box.addButton("Trust this key", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: self._on_trust_answer(button is trust, fingerprint)
        )
        self.message_box = box
        box.open()

    def _refuse_changed_key(self, exc: HostKeyChanged) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Host key changed", str(exc), parent=self)
        box.setInformativeText(
            "The connection was refused: someone may be intercepting it, or the host was "
            "reinstalled. Ask its administrator; if the new key is right, choose the host in "
            "the Hosts window, Check it and Accept new key."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.message_box = box
        box.open()

    # --- slots ---------------------------------------------------------------------------
    def _on_trust_answer(self, trusted: bool, fingerprint: str) -> None:
        if trusted:
            self.start(accept_host_key=fingerprint)
        else:
            self.show_message("Not added: the host key was not trusted.")

    def _on_added(self, host: HostInfo) -> None:
        self.host = host
        self.show_message(f"Added {host.name} ({host.host_key or 'key confirmed'}).")
        self.added.emit(host)
        self.accept()

    def _on_failed(self, failure: Failure) -> None:
        exc = failure.exc
        if isinstance(exc, HostKeyUnconfirmed):
            self.show_message(f"New host key: {exc.fingerprint}")
            self._ask_trust(exc.fingerprint)
        elif isinstance(exc, HostKeyChanged):
            self.show_message(f"Refused: {exc}", error=True)
            self._refuse_changed_key(exc)
        else:
            self.show_failure(failure, "Cannot add the host")

    def update_enabled(self, _text: str = "") -> None:
        ok = bool(self.name_edit.text().strip() and self.address_edit.text().strip())
        self.add_button.setEnabled(ok and not self.is_running())
