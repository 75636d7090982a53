"""Add an SSH host or a Slurm login node, confirming its key fingerprint first.

``service.add_host`` runs on the TaskRunner. A new host raises HostKeyUnconfirmed with the key's
fingerprint: the person is asked "Trust this key?" and, on yes, the host is added again with
``accept_host_key`` set to exactly that fingerprint. A changed key (HostKeyChanged) is refused
with both fingerprints shown and no way to override it here.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import HostInfo
from mlops_desktop.core.errors import HostKeyChanged, HostKeyUnconfirmed
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner

ERROR_COLOR = "#d62728"


def _add_host(service: Any, kwargs: dict[str, Any], *, state: Any) -> HostInfo:
    return service.add_host(**kwargs)


class AddHostDialog(QDialog):
    """See the module docstring.

    Signals:
        added(HostInfo): the host was added (its key confirmed).
    """

    added = Signal(object)

    def __init__(self, service: Any, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a host")
        self.resize(560, 0)
        self._service = service
        self._runner = runner
        self._handle: TaskHandle | None = None
        self.message_box: QMessageBox | None = None
        self.host: HostInfo | None = None
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("gpu-box-1")
        self.address_edit = QLineEdit()
        self.address_edit.setPlaceholderText("[user@]host[:port], e.g. me@gpu1.lab.example:2222")
        self.identity_edit = QLineEdit()
        self.identity_edit.setPlaceholderText("optional: ~/.ssh/id_ed25519 (ssh-agent otherwise)")
        self.identity_button = QPushButton("Browse…")
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("SSH host", "ssh")
        self.kind_combo.addItem("Slurm cluster (login node)", "slurm")
        identity_row = QHBoxLayout()
        identity_row.addWidget(self.identity_edit, 1)
        identity_row.addWidget(self.identity_button)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Address", self.address_edit)
        form.addRow("Identity file", identity_row)
        form.addRow("Kind", self.kind_combo)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        self.identity_button.clicked.connect(self._on_browse)
        self.add_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._on_input_changed)
        self.address_edit.textChanged.connect(self._on_input_changed)
        self._on_input_changed()

    def kwargs(self, accept_host_key: str | None = None) -> dict[str, Any]:
        """The arguments of ``service.add_host``."""
        return {
            "name": self.name_edit.text().strip(),
            "ssh": self.address_edit.text().strip(),
            "identity": self.identity_edit.text().strip() or None,
            "accept_host_key": accept_host_key,
            "kind": str(self.kind_combo.currentData()),
        }

    def start(self, accept_host_key: str | None = None) -> None:
        """Add the host on the runner (with a confirmed fingerprint the second time)."""
        if self._handle is not None:
            return
        kwargs = self.kwargs(accept_host_key or None)
        self._show(f"Connecting to {kwargs['ssh']}…")
        self.add_button.setEnabled(False)
        self._handle = self._runner.submit(
            _add_host,
            self._service,
            kwargs,
            on_done=self._on_added,
            on_failed=self._on_failed,
            label=f"Adding host {kwargs['name']}",
        )
        self._handle.finished.connect(self._on_finished)

    def _show(self, text: str, error: bool = False) -> None:
        body = html.escape(text).replace("\n", "<br>")
        self.message.setText(f"<span style='color:{ERROR_COLOR}'>{body}</span>" if error else body)

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
            "reinstalled. Ask its administrator; if the new key is right, remove the old one "
            "from the app's known_hosts and add the host again."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.message_box = box
        box.open()

    # --- slots ---------------------------------------------------------------------------
    def _on_trust_answer(self, trusted: bool, fingerprint: str) -> None:
        if trusted:
            self.start(accept_host_key=fingerprint)
        else:
            self._show("Not added: the host key was not trusted.")

    def _on_added(self, host: HostInfo) -> None:
        self.host = host
        self._show(f"Added {host.name} ({host.host_key or 'key confirmed'}).")
        self.added.emit(host)
        self.accept()

    def _on_failed(self, exc: BaseException, _tb: str) -> None:
        if isinstance(exc, HostKeyUnconfirmed):
            self._show(f"New host key: {exc.fingerprint}")
            self._ask_trust(exc.fingerprint)
        elif isinstance(exc, HostKeyChanged):
            self._show(f"Refused: {exc}", error=True)
            self._refuse_changed_key(exc)
        else:
            self._show(f"Cannot add the host: {exc}", error=True)

    def _on_finished(self) -> None:
        self._handle = None
        self._on_input_changed()

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Identity file", self.identity_edit.text())
        if path:
            self.identity_edit.setText(path)

    def _on_input_changed(self, _text: str = "") -> None:
        ok = bool(self.name_edit.text().strip() and self.address_edit.text().strip())
        self.add_button.setEnabled(ok and self._handle is None)
